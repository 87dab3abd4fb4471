"""Negative emotion: the customer expresses frustration, worry, anger, sadness, fear."""

from __future__ import annotations

import re

from agentassist.detectors.base import HeadDetector, cue, match_cues
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b(frustrat\w*|annoy\w*|angry|furious|livid|fuming|upset\w*|worr(ied|ying|y)|anxious|"
        r"stress(ed|ful)|disappoint\w*|scared|afraid|terrified|panick\w*|devastated|gutted|"
        r"heartbroken|distraught|desperate|miserable|exhausted|fed up|sick (of|and tired)|"
        r"had enough|tired of|at my wits'? end|nightmare)\b", 0.9, "names a negative feeling"),
    cue(r"\b(ridiculous|a joke|unacceptable|outrageous|useless|pathetic|disgrace\w*|appalling|"
        r"shocking|absurd|incompetent|rubbish|waste of (my )?time|can't believe|cannot believe|"
        r"how (hard|difficult) (can|is) it|seriously\?|what the hell|bloody|for god'?s sake|"
        r"great,? just great|thanks for nothing)\b", 0.85, "expresses anger or exasperation"),
    cue(r"\b((third|fourth|fifth|\d+(st|nd|rd|th)) time|again and again|still (not|hasn'?t|"
        r"haven'?t|no|nothing|waiting)|nobody|no one (has|ever|is)|every single time|"
        r"keep(s)? (happening|getting|telling)|passed away|died|lost my|can'?t afford|"
        r"i'?m (really |so )?struggling|don'?t know what (to do|i'?ll do)|"
        r"i'?ve got nobody|i'?m at a loss)\b", 0.75, "describes a distressing situation"),
    cue(r"!{2,}|\?!", 0.6, "emphatic punctuation"),
)
VETOES = (re.compile(r"\b(no worries|not worried|don'?t worry|no problem|not a problem)\b"),)


@register_detector("negative_emotion.rules.v1")
class NegativeEmotionRulesDetector:
    """Find customer sentences that express a negative feeling.

    Counts: "this is the third time I've called", "I'm really worried we'll miss the
    flight". Doesn't count: a calm problem report. Near miss: "no worries".
    """

    behaviour = "negative_emotion"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the customer's sentences that carry a negative emotion."""
        return match_cues(window, CUES, vetoes=VETOES)


@register_detector("negative_emotion.head.v1")
class NegativeEmotionHeadDetector(HeadDetector):
    """Score each customer sentence for negative emotion with the trained head."""

    behaviour = "negative_emotion"
