"""Interest: the agent shows interest in the customer's needs and wishes."""

from __future__ import annotations

from agentassist.cues import question_form, words
from agentassist.detectors.base import HeadDetector, cue, match_cues
from agentassist.detectors.personalization import STOPWORDS
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b(what matters (most )?to you|what('s| is) (most )?important to you|what would "
        r"(work|suit|be) (best|better|easiest)|how (do|would) you (like|prefer|feel|want)|"
        r"what are you (looking|hoping)|what do you (need|use|want|usually|mostly)|"
        r"how (will|would|do) you (be )?(using|use)|tell me (a (bit|little) )?more|"
        r"is there anything (in particular|specific|special)|what (kind|sort|type) of .* "
        r"(do you|are you|would you)|how (has|is|was) (this|it|that) (affect|impact)|"
        r"how are you (getting on|managing|coping|doing)|what would you (like|prefer))",
        0.85, "asks about the customer's needs and wishes"),
)


@register_detector("interest.rules.v1")
class InterestRulesDetector:
    """Find agent sentences that explore the customer's needs or follow up on them.

    Counts: "what matters most to you in a new plan?", an open question about something
    the customer said. Doesn't count: identification questions. Near miss: "is there
    anything else I can help with?" is a script line, not interest.
    """

    behaviour = "interest"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return needs-exploring sentences and open follow-ups on the customer's words."""
        hits = {h.start: h for h in match_cues(window, CUES)}
        previous = window.previous_other
        said = set()
        if previous is not None:
            said = {w for w in words(previous.text) if w not in STOPWORDS and len(w) > 3}
        for sent in window.sentences:
            if sent.start in hits or question_form(sent.text).kind != "open":
                continue
            overlap = said & set(words(sent.text))
            confidence = 0.7 if overlap else 0.5
            hits[sent.start] = Hit(sent.start, sent.end, confidence,
                                   "open follow-up on what the customer said" if overlap
                                   else "open question about the customer's situation")
        return sorted(hits.values(), key=lambda h: h.start)


@register_detector("interest.head.v1")
class InterestHeadDetector(HeadDetector):
    """Score each agent sentence for interest with the trained head."""

    behaviour = "interest"
