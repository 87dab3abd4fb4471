"""Personalization: the agent uses the customer's name or details the customer gave."""

from __future__ import annotations

import re

from agentassist.cues import words
from agentassist.detectors.base import HeadDetector, cue, match_cues, normalise
from agentassist.evidence import Hit
from agentassist.registry import register_detector
from agentassist.resources import Resources
from agentassist.transcript import Role
from agentassist.window import TurnWindow

CUES = (
    cue(r"\b(you (mentioned|said|told me|explained)|as you (said|mentioned|explained)|"
        r"like you said|since you('re| are| have|'ve)|given (that )?you)\b",
        0.75, "refers back to what the customer said"),
    cue(r"\b(mr|mrs|ms|miss|dr)\.? [a-z]+", 0.8, "addresses the customer by name"),
)
NAME_INTRO = re.compile(
    r"\b(?i:my name is|my name's|this is|it's|i'm|i am|name's)\s+([A-Z][a-z]+)"
    r"|^(?i:thanks|regards|best|cheers|kind regards|many thanks)[,!.]?\s+([A-Z][a-z]+)\b",
    re.MULTILINE,
)
NOT_NAMES = frozenset({"I", "The", "It", "Just", "Really", "Calling", "Not", "So", "Very",
                       "Trying", "Still", "Here", "Sorry", "Fine", "Good", "Okay", "Ok"})
STOPWORDS = frozenset(
    ["the", "a", "an", "and", "or", "but", "so", "to", "of", "in", "on", "at", "for", "with", "is",
     "are", "was", "were", "be", "been", "it", "this", "that", "i", "you", "we", "they", "he",
     "she", "my", "your", "our", "me", "us", "do", "did", "does", "have", "has", "had", "not", "no",
     "yes", "can", "could", "would", "will", "just", "there", "here", "what", "how", "when",
     "where", "which", "who", "why", "if", "then", "than", "as", "from", "by", "about", "up", "out",
     "get", "got", "um", "uh", "like", "know", "yeah", "okay", "ok", "well", "really", "very",
     "one"]
)


def customer_names(window: TurnWindow) -> set[str]:
    """Return names the customer gave for themself in earlier turns."""
    names = set()
    for turn in window.history:
        if turn.role is Role.CUSTOMER:
            for match in NAME_INTRO.finditer(turn.text):
                name = match.group(1) or match.group(2)
                if name and name not in NOT_NAMES:
                    names.add(name.lower())
    return names


@register_detector("personalization.rules.v1")
class PersonalizationRulesDetector:
    """Find agent sentences that use the customer's name or refer back to their details.

    Counts: "Thanks Maria", "since you're travelling with the kids on Friday". Doesn't
    count: the agent's own name, "sir/madam". Near miss: reading back an account number.
    """

    behaviour = "personalization"
    threshold = 0.5

    def __init__(self, resources: Resources) -> None:
        del resources

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return sentences that use the customer's name or echo their details."""
        hits = {h.start: h for h in match_cues(window, CUES)}
        names = customer_names(window)
        told = {
            w for turn in window.history if turn.role is Role.CUSTOMER
            for w in words(turn.text) if len(w) > 3 and w not in STOPWORDS and not w.isdigit()
        }
        for sent in window.sentences:
            tokens = set(words(normalise(sent.text)))
            if names & tokens:
                hits[sent.start] = Hit(sent.start, sent.end, 0.9, "uses the customer's name")
            elif sent.start not in hits and len(told & tokens) >= 3 and re.search(
                r"\byour?\b", normalise(sent.text)
            ):
                hits[sent.start] = Hit(sent.start, sent.end, 0.55,
                                       "repeats details the customer gave")
        return sorted(hits.values(), key=lambda h: h.start)


@register_detector("personalization.head.v1")
class PersonalizationHeadDetector(HeadDetector):
    """Score each agent sentence for personalization with the trained head."""

    behaviour = "personalization"
