"""Open question: a question that invites an elaborated answer (either speaker)."""

from __future__ import annotations

from agentassist.cues import question_form
from agentassist.detectors.base import HeadDetector, check_unit_interval
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow


@register_detector("open_question.syntax.v1")
class OpenQuestionSyntaxDetector:
    """Find sentences that ask an open question, from surface syntax.

    Counts: wh-questions ("How did that happen?"), "tell me more about…", "could you
    walk me through…". Doesn't count: yes/no questions, "is there anything else?". Near
    miss: "What is your account number?" asks for one fact, so it is closed.
    """

    behaviour = "open_question"
    threshold = 0.5

    def __init__(self, resources: Resources, *, confidence: float = 0.85) -> None:
        del resources
        self.confidence = check_unit_interval("open_question.syntax.v1: confidence", confidence)

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the open-question sentences of the turn."""
        hits = []
        for sent in window.sentences:
            form = question_form(sent.text)
            if form.kind == "open":
                hits.append(Hit(sent.start, sent.end, self.confidence, form.reason))
        return hits


@register_detector("open_question.head.v1")
class OpenQuestionHeadDetector(HeadDetector):
    """Score each sentence for an open question with the trained head."""

    behaviour = "open_question"
