"""Guidance: the agent leads the dialogue, states next steps, steers back on track."""

from __future__ import annotations

from agentassist.cues import question_form
from agentassist.detectors.base import HeadDetector, cue, match_cues
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b((the )?next step(s)? (is|are|will be|would be)|what (i'?ll|i will|we'?ll|we will|"
        r"i'?m going to|we'?re going to) do (now|is|next|first)|here'?s what (happens|will happen|"
        r"we'?ll do|i'?ll do)|first(ly)?,? (i'?ll|i will|we'?ll|let'?s|i'?m going)|"
        r"let'?s (start|focus|look|go|get|begin|deal|sort|take)|once (that'?s|that is|this is|"
        r"it'?s) (done|through|sorted|processed)|after that,? (i'?ll|we'?ll|you'?ll)|"
        r"in the meantime|from (there|here),? )", 0.85, "lays out the next steps"),
    cue(r"\b(i'?ll|i will|i'?m going to|we'?ll|we will) (now |just |also |then )?(send|transfer|"
        r"check|raise|escalate|book|arrange|put|pass|log|call|ring|email|e-mail|update|refund|"
        r"cancel|process|look|open|reissue|replace|credit|waive|follow up|set up|schedule|"
        r"submit|forward|note|add|move|switch|reset|text|order|contact)", 0.7,
        "says what the agent will do"),
    cue(r"\b(you('?ll| will) (need to|have to|want to|receive|get|be able to|see)|you need to|"
        r"(please|just) (go|click|log|visit|call|bring|send|fill|reply|take|keep|tap|open|select|"
        r"choose|restart|check|follow)|all you need to do|what you('?ll)? need to do)", 0.65,
        "tells the customer what to do next"),
)


@register_detector("guidance.rules.v1")
class GuidanceRulesDetector:
    """Find agent sentences that lead the dialogue or state next steps.

    Counts: "first I'll check the booking, then we'll look at refunds", "the next step is
    to…". Doesn't count: a fact without a step (that is information). Near miss: "one
    moment please" alone.
    """

    behaviour = "guidance"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the sentences that lead the dialogue (questions ask, they don't lead)."""
        return [hit for hit in match_cues(window, CUES)
                if not question_form(window.turn.text[hit.start:hit.end]).kind]


@register_detector("guidance.head.v1")
class GuidanceHeadDetector(HeadDetector):
    """Score each agent sentence for guidance with the trained head."""

    behaviour = "guidance"
