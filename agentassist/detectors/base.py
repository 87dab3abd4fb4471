"""The Detector protocol and the plain helpers detectors share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from agentassist.errors import ConfigError
from agentassist.evidence import Hit
from agentassist.heads import MODEL_NAME

if TYPE_CHECKING:
    from agentassist.resources import Resources
    from agentassist.window import TurnWindow


class Detector(Protocol):
    """Finds one behaviour in one turn. Built as ``factory(resources, **params)``."""

    behaviour: str
    threshold: float
    name: str

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return what was found in ``window.turn``, or ``[]``. Don't raise for odd text."""
        ...


def check_unit_interval(name: str, value: float) -> float:
    """Return ``value`` if it lies in [0, 1], else raise ``ConfigError`` naming it."""
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 and 1, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Cue:
    """A pattern that shows a behaviour, with the confidence it earns and its reason."""

    pattern: re.Pattern[str]
    confidence: float
    reason: str


def cue(pattern: str, confidence: float, reason: str) -> Cue:
    r"""Compile a case-insensitive cue; ``\b`` word boundaries are the caller's to add."""
    return Cue(re.compile(pattern, re.IGNORECASE), confidence, reason)


def normalise(text: str) -> str:
    """Lower-case and fold typographic apostrophes, so lexicons match either form."""
    return text.lower().replace("\u2019", "'")


def match_cues(
    window: TurnWindow,
    cues: Sequence[Cue],
    *,
    vetoes: Sequence[re.Pattern[str]] = (),
) -> list[Hit]:
    """Return one hit per sentence that matches a cue (the strongest) and no veto."""
    hits = []
    for sent in window.sentences:
        lowered = normalise(sent.text)
        if any(veto.search(lowered) for veto in vetoes):
            continue
        best = max(
            (c for c in cues if c.pattern.search(lowered)),
            key=lambda c: c.confidence,
            default=None,
        )
        if best is not None:
            hits.append(Hit(sent.start, sent.end, best.confidence, best.reason))
    return hits


class HeadDetector:
    """Score every sentence with the trained head for ``behaviour``.

    Reports every sentence it scored, so ``label`` and ``evaluate`` see real
    confidences; the pipeline decides presence at ``threshold`` (the model's own,
    chosen on validation data).
    """

    behaviour = ""
    needs_features = True

    def __init__(self, resources: Resources, *, model: str = MODEL_NAME) -> None:
        self._heads = resources.head(model)
        self.threshold = self._heads.threshold(self.behaviour)

    def detect(self, window: TurnWindow) -> list[Hit]:
        """Return one hit per sentence with the head's calibrated confidence."""
        spans = window.sentences
        if not spans or window.features is None:
            return []
        confidences = self._heads.predict(self.behaviour, window.features)
        return [
            Hit(
                span.start,
                span.end,
                float(p),
                self._heads.reason(self.behaviour, span.text, float(p)),
            )
            for span, p in zip(spans, confidences, strict=True)
        ]
