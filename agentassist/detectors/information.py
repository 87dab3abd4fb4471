"""Information: the agent gives information, an answer, a solution or a suggestion."""

from __future__ import annotations

import re

from agentassist.cues import question_form, words
from agentassist.detectors.base import HeadDetector, cue, normalise
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

CONCRETE = (
    cue(r"\b\d+([.,]\d+)?\s?(working |business )?(days?|hours?|minutes?|weeks?|months?|years?|"
        r"pounds?|dollars?|euros?|kroner|nok|gb|mb|%|percent|p\b|am\b|pm\b)|[£$€]\s?\d", 0.85,
        "gives concrete figures"),
    cue(r"\b(you can|you could|you're able to|you are able to|it's possible to|"
        r"i'?d (suggest|recommend)|i would (suggest|recommend)|my (suggestion|advice) would be|"
        r"the best (option|way|thing) (is|would be)|one option is|another option|"
        r"the (reason|cause) (is|was)|that'?s because|this is because|because)\b", 0.75,
        "explains an option or a reason"),
    cue(r"\b(the|your|this|that) (refund|fee|charge|plan|policy|balance|payment|ticket|order|"
        r"train|flight|delivery|appointment|bill|tariff|contract|cover|claim|booking|account|"
        r"parcel|package|bus|service|warranty|deadline|limit|rate|price|discount|voucher|"
        r"compensation|replacement|engineer|technician) (is|was|will|has|had|should|covers|"
        r"includes|costs|takes|arrives|leaves|runs|comes|goes)\b", 0.7,
        "states a fact about the customer's case"),
)
VAGUE = re.compile(
    r"\b(these things happen|at some point|it depends|not sure|no idea|can't say|"
    r"we'?re looking into it|someone will be in touch|it should be fine|hopefully)\b"
)


@register_detector("information.rules.v1")
class InformationRulesDetector:
    """Find agent sentences that give an answer, a fact, a solution or a suggestion.

    Counts: "the refund takes three to five working days", "you can change the seat in
    the app". Doesn't count: questions, greetings. Near miss: vague non-answers ("it
    should be sorted at some point").
    """

    behaviour = "information"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the informative sentences of an agent turn."""
        hits = []
        for sent in window.sentences:
            lowered = normalise(sent.text)
            if question_form(sent.text).kind or VAGUE.search(lowered):
                continue
            best = max((c for c in CONCRETE if c.pattern.search(lowered)),
                       key=lambda c: c.confidence, default=None)
            if best is not None:
                hits.append(Hit(sent.start, sent.end, best.confidence, best.reason))
            elif len(words(lowered)) >= 9:
                hits.append(Hit(sent.start, sent.end, 0.5, "a substantive statement"))
        return hits


@register_detector("information.head.v1")
class InformationHeadDetector(HeadDetector):
    """Score each agent sentence for information with the trained head."""

    behaviour = "information"
