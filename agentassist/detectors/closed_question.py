"""Closed question: a yes/no, either/or or single-fact question (either speaker)."""

from __future__ import annotations

from agentassist.cues import question_form
from agentassist.detectors.base import HeadDetector, check_unit_interval
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow


@register_detector("closed_question.syntax.v1")
class ClosedQuestionSyntaxDetector:
    """Find sentences that ask a closed question, from surface syntax.

    Counts: "Can you see the second charge?", "morning or afternoon?", "what's your
    postcode?", tag questions. Doesn't count: statements, open wh-questions. Near miss:
    "can you tell me if you got the e-mail?" looks open but asks yes/no.
    """

    behaviour = "closed_question"
    threshold = 0.5

    def __init__(self, resources: Resources, *, confidence: float = 0.85) -> None:
        del resources
        self.confidence = check_unit_interval("closed_question.syntax.v1: confidence", confidence)

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the closed-question sentences of the turn."""
        hits = []
        for sent in window.sentences:
            form = question_form(sent.text)
            if form.kind == "closed":
                hits.append(Hit(sent.start, sent.end, self.confidence, form.reason))
        return hits


@register_detector("closed_question.head.v1")
class ClosedQuestionHeadDetector(HeadDetector):
    """Score each sentence for a closed question with the trained head."""

    behaviour = "closed_question"
