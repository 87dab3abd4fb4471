"""Check understanding: the agent checks the customer understood or agrees."""

from __future__ import annotations

import re

from agentassist.detectors.base import HeadDetector, cue, match_cues
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b(does (that|this|it|all that) (make sense|sound (ok|okay|good|alright|all right|"
        r"right|fair)|work( for you)?|help|answer|cover)|is (that|this) (ok|okay|alright|"
        r"all right|clear|acceptable|fine)( (for|with) you)?|how does (that|this) sound|"
        r"are you (happy|ok|okay|comfortable|clear|alright) (with|about)|"
        r"would (that|this) (be ok|be okay|be alright|work|suit)|"
        r"have i (got|understood) (that|this|it|everything) (right|correctly)|"
        r"did (that|i) (make sense|explain)|any questions (about|on) (that|this|what)|"
        r"(is|was) (that|everything) clear|shall (i|we) go ahead|are we (agreed|good)|"
        r"sound (good|ok|okay)\?|(are you |you )?(still )?with me so far|"
        r"(^|[,.;] )make sense\b(?! of)|any (of )?(that|this) (unclear|confusing)|"
        r"anything (in )?there (you're|you are) (unsure|not sure) (about|of))",
        0.9, "checks the customer understands or agrees"),
    # "just to check, you'd like it on the direct debit" is a check of what was agreed;
    # "just to check your date of birth" (a security question) is not: "your" never matches.
    cue(r"\b(just )?to (confirm|make sure|double[- ]check|check i)|"
        r"\bjust to check[,:]? (that |so )?(you|you're|you'd|you've|we|we're|we've|it's|"
        r"that's|this is|i've)\b", 0.8, "confirms the agreed details"),
)
VETOES = (re.compile(r"\b(anything else|can you hear me|are you still there)\b"),)


@register_detector("check_understanding.rules.v1")
class CheckUnderstandingRulesDetector:
    """Find agent sentences that check understanding of, or agreement on, the solution.

    Counts: "does that make sense?", "just to confirm, the refund goes to the card?",
    "just to check, you'd like it on the direct debit", "with me so far".
    Doesn't count: "can you hear me?", "just to check your date of birth" (a security
    question). Near miss: "anything else?" asks for a new need.
    """

    behaviour = "check_understanding"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return the sentences that check understanding."""
        return match_cues(window, CUES, vetoes=VETOES)


@register_detector("check_understanding.head.v1")
class CheckUnderstandingHeadDetector(HeadDetector):
    """Score each agent sentence for checking understanding with the trained head."""

    behaviour = "check_understanding"
