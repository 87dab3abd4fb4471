"""Confusion: the customer does not understand or asks for clarification."""

from __future__ import annotations

from agentassist.detectors.base import HeadDetector, cue, match_cues
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b((i )?(don'?t|do not|didn'?t) (understand|get (it|that|what|why|how)|follow)|"
        r"confus\w*|what do you mean|what does (that|this|it) mean|you'?ve lost me|lost me|"
        r"makes no sense|doesn'?t make (any )?sense|i'?m (a bit |so |really )?lost|"
        r"not (sure|clear) (what|how|why|i understand|what you mean)|so wait|wait,? what|"
        r"come again|say that again|(can|could) you (explain|repeat|clarify|go over)|"
        r"sorry,? (what|pardon|huh)\??|pardon\?|i'?m not following|which (one|bit) (is it|do i))",
        0.85, "says they do not understand"),
    cue(r"^(huh|what)\?+$|\bwhat\?$", 0.6, "asks for a repeat"),
)


@register_detector("confusion.rules.v1")
class ConfusionRulesDetector:
    """Find customer sentences that show confusion or ask for clarification.

    Counts: "sorry, what do you mean by pro rata?", "so wait, do I pay now or later?".
    Doesn't count: a new question on another topic. Near miss: "pardon, the line's bad".
    """

    behaviour = "confusion"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the customer's sentences that show confusion."""
        return match_cues(window, CUES)


@register_detector("confusion.head.v1")
class ConfusionHeadDetector(HeadDetector):
    """Score each customer sentence for confusion with the trained head."""

    behaviour = "confusion"
