"""Empathy: the agent recognises or responds to the customer's feeling."""

from __future__ import annotations

import re

from agentassist.detectors.base import HeadDetector, cue, match_cues
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

FEELINGS = (r"(stressful|frustrating|difficult|hard|awful|upsetting|worrying|annoying|horrible|"
            r"terrible|tough|scary|exhausting|distressing|worrying|draining|overwhelming|"
            r"disappointing|maddening|infuriating|heartbreaking|painful|a nightmare|rubbish|"
            r"unsettling|a worry|a lot|a shock)")
CUES = (
    cue(r"\b(so |really |very |truly )?sorry (to hear|for your loss|about your (loss|"
        r"(mum|dad|mother|father|husband|wife|partner|son|daughter|friend)))", 0.9,
        "responds to the customer's situation with sympathy"),
    cue(rf"\b(that|this|it) (must|must've|must have|sounds|sound|seems|'s|is|has been|"
        rf"must be|would be|would've been)( been| be)? (really |so |very |incredibly |"
        rf"absolutely |such |quite |pretty )?(a |an )?(really |very |truly |bit )?{FEELINGS}",
        0.9, "names the customer's feeling"),
    cue(r"\b(i can (only )?(imagine|hear|tell|see) (how|that|why|you)|i'?d (be|feel) "
        r"(the same|just as|really|so|exactly|worried|upset|frustrated|annoyed|angry)|"
        r"no wonder you|of course you('re| are| feel)|anyone would (be|feel)|"
        r"it sounds like you('re| are| feel|'ve been)|you (must|must've|must have) been)",
        0.85, "reflects the customer's feeling"),
    cue(r"\b(my (deepest |sincere )?(condolences|sympathies)|what a (horrible|awful|terrible|"
        r"rotten|stressful|rough|nightmare)|oh no|how awful|that's awful|that's terrible|"
        r"completely understandable|totally understandable|you've done (exactly )?the right thing|"
        r"we'?ll (get|sort) (this|it|you) (sorted|out|through)? ?together|please don't worry|"
        r"i'?m (so|really|very|truly) sorry)", 0.8, "reassures or sympathises"),
    cue(r"\b(i (completely |totally |really |fully )?understand (how|why|your (frustration|"
        r"worry|concern|anger|disappointment)|that (this|it)('s| is| must))|"
        r"i hear (you|how|that)|you're (understandably|rightly) )", 0.7,
        "acknowledges how the customer feels"),
)
# Ritual politeness and refusals that borrow empathy's words.
VETOES = (
    re.compile(r"\bsorry (for|about) (the|your|keeping you|any) ?(wait|delay|hold|waiting)"),
    re.compile(r"\bapologi[sz]e for any inconvenience\b"),
    re.compile(r"\bthank(s| you) for (your )?(patience|holding|waiting)\b"),
    re.compile(r"\bi (do )?understand,? (but|however)\b"),
)


@register_detector("empathy.rules.v1")
class EmpathyRulesDetector:
    """Find agent sentences that respond to the customer's feeling.

    Counts: "that sounds really stressful", "I'd be worried too", "what a horrible
    morning". Doesn't count: politeness ("sorry for the wait", "thank you for your
    patience"). Near miss: "I understand, but I can't refund that" is a refusal.
    """

    behaviour = "empathy"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the empathic sentences of an agent turn."""
        return match_cues(window, CUES, vetoes=VETOES)


@register_detector("empathy.head.v1")
class EmpathyHeadDetector(HeadDetector):
    """Score each agent sentence for empathy with the trained head."""

    behaviour = "empathy"
