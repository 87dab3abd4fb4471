"""Greeting: the agent opens personally and pleasantly."""

from __future__ import annotations

import re

from agentassist.detectors.base import HeadDetector, cue, match_cues
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.transcript import Role
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b(my name is|my name's|you'?re (speaking|talking) (with|to)|you'?re through to|"
        r"this is \w+ (from|at|speaking))\b", 0.9, "agent introduces themself"),
    cue(r"\b(good (morning|afternoon|evening)|welcome to|thanks? (you )?(so much )?for "
        r"(calling|contacting|getting in touch|reaching out|phoning|ringing))\b",
        0.8, "warm opening formula"),
    cue(r"^(hi|hello|hey|dear|hiya)\b", 0.7, "greets the customer"),
)
VETOES = (re.compile(r"\b(have a (nice|good|great|lovely|wonderful)|goodbye|bye|take care)\b"),)


@register_detector("greeting.rules.v1")
class GreetingRulesDetector:
    """Find a personal, pleasant opening in the agent's first turns.

    Counts: "Good morning, you're speaking with Sam", "Hi Maria, thanks for getting in
    touch". Doesn't count: sign-offs ("have a nice day"). Near miss: "hello?" said late
    in a call to check the line (late greetings get half the confidence).
    """

    behaviour = "greeting"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the greeting sentences of an agent turn."""
        earlier = sum(turn.role is Role.AGENT for turn in window.history)
        factor = 1.0 if earlier < 2 else 0.5
        return [Hit(h.start, h.end, h.confidence * factor, h.reason)
                for h in match_cues(window, CUES, vetoes=VETOES)]


@register_detector("greeting.head.v1")
class GreetingHeadDetector(HeadDetector):
    """Score each agent sentence for a personal greeting with the trained head."""

    behaviour = "greeting"
