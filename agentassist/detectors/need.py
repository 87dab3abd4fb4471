"""Need: the customer states a need, wish or request."""

from __future__ import annotations

from agentassist.detectors.base import HeadDetector, cue, match_cues
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b(i (really )?(need|want|would like|wanna|must|have to|require)|i'?d (like|love|"
        r"prefer|rather)|i was hoping|i'?m hoping|i'?m (calling|writing|phoning|contacting|"
        r"ringing|emailing|messaging|getting in touch) (about|to|because|regarding|re)|"
        r"i'?m (looking|trying) (for|to)|is it possible to|is there (any way|a way)|"
        r"how (do|can|should) i|what (do|should|can) i do|we need|we want|we'?d like)\b",
        0.85, "states a need or request"),
    cue(r"\b((can|could|would|will) you (please )?(help|cancel|change|send|check|refund|book|fix|"
        r"sort|tell|explain|transfer|update|reset|move|add|remove|look|arrange|confirm|replace|"
        r"reissue|waive|call)|please (help|cancel|change|send|refund|fix|sort|advise|call))\b",
        0.8, "asks the agent to do something"),
)


@register_detector("need.rules.v1")
class NeedRulesDetector:
    """Find customer sentences that state a need, wish or request.

    Counts: "I need to change my flight", "can you cancel the order?". Doesn't count:
    answers to identification questions. Near miss: "thanks, bye".
    """

    behaviour = "need"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the customer's sentences that state a need."""
        return match_cues(window, CUES)


@register_detector("need.head.v1")
class NeedHeadDetector(HeadDetector):
    """Score each customer sentence for a need with the trained head."""

    behaviour = "need"
