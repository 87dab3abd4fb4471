"""Hit (a detector's raw find) and Evidence (a hit placed in a transcript)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Hit:
    """What a detector found in the turn it was shown. Offsets index ``turn.text``."""

    start: int
    end: int
    confidence: float
    reason: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """A hit placed in a transcript: which turn, who spoke, what behaviour, the quote.

    ``quote`` is exactly ``turn.text[start:end]``. ``detector`` is provenance for
    debugging and stays out of the JSON.
    """

    turn: int
    speaker: str
    behaviour: str
    quote: str
    start: int
    end: int
    confidence: float
    reason: str
    detector: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return DESIGN.md's evidence object."""
        return {
            "turn": self.turn,
            "speaker": self.speaker,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "behaviour": self.behaviour,
            "confidence": round(self.confidence, 4),
            "reason": self.reason,
        }
