"""Acknowledgement: the agent shows the customer's point was heard."""

from __future__ import annotations

import re

from agentassist.cues import words
from agentassist.detectors.base import HeadDetector, cue, match_cues, normalise
from agentassist.detectors.personalization import STOPWORDS
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b(so (what )?you('re| are)? (saying|telling me)|if i('ve)? (understand|understood|"
        r"heard|got) (you|that|this|it)? ?(correctly|right)|so (just )?to (recap|summari[sz]e)|"
        r"let me (make sure i|just) (understand|recap|summari[sz]e))", 0.9,
        "restates the customer's point"),
    cue(r"\b(you'?re (absolutely |completely |quite |totally )?right|that (shouldn't|should not) "
        r"have happened|that's not (ok|okay|acceptable|good enough|right)|fair (point|enough)|"
        r"(that's|that is) a (fair|good|valid|reasonable) (point|question|concern)|"
        r"you('re| are) right to (query|question|ask|raise|call|be))", 0.85,
        "validates the customer's concern"),
    cue(r"\b(i (can )?see (why|what you mean|that|the problem|the issue)|i hear you|"
        r"i get (it|that|why|what you mean)|thanks? (you )?for (explaining|letting me know|"
        r"telling me|flagging|raising|bringing)|i (completely |totally |fully )?understand "
        r"(that|why|what|your|the))", 0.7, "shows the point was heard"),
)
VETOES = (re.compile(r"\bi (do )?understand,? (but|however)\b"),)


@register_detector("acknowledgement.rules.v1")
class AcknowledgementRulesDetector:
    """Find agent sentences that restate, paraphrase or validate the customer's point.

    Counts: "so the charge appeared twice after you cancelled", "you're right to query
    that". Doesn't count: "ok", "mhm". Near miss: "I understand, but that's our policy".
    """

    behaviour = "acknowledgement"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return sentences that acknowledge, plus paraphrases of the customer's last turn."""
        hits = {h.start: h for h in match_cues(window, CUES, vetoes=VETOES)}
        previous = window.previous_other
        if previous is not None:
            said = {w for w in words(previous.text) if w not in STOPWORDS and len(w) > 2}
            for sent in window.sentences:
                lowered = normalise(sent.text)
                tokens = {w for w in words(lowered) if w not in STOPWORDS and len(w) > 2}
                if (sent.start not in hits and said and len(said & tokens) >= 3
                        and re.match(r"^(so|ok so|okay so|right so|alright so)\b", lowered)):
                    hits[sent.start] = Hit(sent.start, sent.end, 0.65,
                                           "paraphrases the customer's last turn")
        return sorted(hits.values(), key=lambda h: h.start)


@register_detector("acknowledgement.head.v1")
class AcknowledgementHeadDetector(HeadDetector):
    """Score each agent sentence for acknowledgement with the trained head."""

    behaviour = "acknowledgement"
