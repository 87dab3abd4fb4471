"""Pipeline: shared analysis once per turn (spaCy, embeddings), then every detector."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from agentassist.behaviours import (
    AGENT_BEHAVIOURS,
    BEHAVIOURS,
    CUSTOMER_BEHAVIOURS,
    DERIVED_QUESTION,
    QUESTION_BEHAVIOURS,
    behaviours_for,
)
from agentassist.errors import ConfigError, DetectorError
from agentassist.evidence import Evidence, Hit
from agentassist.features import rule_behaviours_for, sentence_features
from agentassist.heads import MODEL_NAME
from agentassist.registry import build_detector
from agentassist.resources import Resources
from agentassist.transcript import Role, Transcript, Turn
from agentassist.window import TurnWindow, split_sentences

logger = logging.getLogger(__name__)

#: Which detector finds each behaviour: the trained heads, and the rules beside them.
HEAD_DETECTORS: Final[Mapping[str, str]] = {b: f"{b}.head.v1" for b in BEHAVIOURS}
RULE_DETECTORS: Final[Mapping[str, str]] = {
    b: f"{b}.syntax.v1" if b in QUESTION_BEHAVIOURS else f"{b}.rules.v1" for b in BEHAVIOURS
}
ENCODE_BATCH: Final = 64


@dataclass(frozen=True, slots=True)
class TurnAnalysis:
    """What the detectors found in one turn.

    ``confidences`` has every behaviour judged for the turn (plus ``question``);
    ``present`` those at or above the detector's threshold; ``evidence`` the hits
    behind each present behaviour, best first.
    """

    index: int
    role: Role
    confidences: Mapping[str, float]
    present: frozenset[str]
    evidence: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)

    def best(self, behaviour: str) -> Evidence | None:
        """Return the strongest evidence for ``behaviour`` in this turn, if any."""
        found = self.evidence.get(behaviour, ())
        return found[0] if found else None


class Pipeline:
    """Run the shared analysis once per turn, then each detector of the turn's side."""

    def __init__(self, resources: Resources, detectors: Mapping[str, Any]) -> None:
        missing = [b for b in BEHAVIOURS if b not in detectors]
        if missing:
            raise ConfigError(f"no detector for behaviour(s) {', '.join(missing)}")
        for behaviour, detector in detectors.items():
            if detector.behaviour != behaviour:
                raise ConfigError(
                    f"detector {detector.name!r} finds {detector.behaviour!r}, "
                    f"not {behaviour!r}"
                )
        self.resources = resources
        self.detectors = dict(detectors)
        self.needs_features = any(getattr(d, "needs_features", False) for d in detectors.values())
        # The rule detectors also feed the heads' features (their cues are features).
        self.rules = {b: build_detector(n, resources) for b, n in RULE_DETECTORS.items()}
        self.thresholds = {b: float(getattr(d, "threshold", 0.5)) for b, d in detectors.items()}

    @classmethod
    def from_resources(cls, resources: Resources, *, method: str = "auto") -> Pipeline:
        """Build the pipeline: ``"head"`` (trained models), ``"rules"``, or ``"auto"``."""
        if method not in ("auto", "head", "rules"):
            raise ConfigError(f"method must be 'auto', 'head' or 'rules', got {method!r}")
        use_heads = method == "head" or (method == "auto" and resources.has_model(MODEL_NAME))
        names = HEAD_DETECTORS if use_heads else RULE_DETECTORS
        return cls(resources, {b: build_detector(n, resources) for b, n in names.items()})

    @property
    def method(self) -> str:
        """Return ``"head"`` if trained heads decide, else ``"rules"``."""
        return "head" if self.needs_features else "rules"

    # -- analysis -------------------------------------------------------------------

    def analyse(self, transcript: Transcript) -> list[TurnAnalysis]:
        """Return one analysis per turn of ``transcript``."""
        return self.analyse_many([transcript])[0]

    def analyse_many(self, transcripts: Sequence[Transcript]) -> list[list[TurnAnalysis]]:
        """Analyse several transcripts, embedding all their sentences in shared batches."""
        jobs = [
            (transcript.id, index, turn, transcript.turns[:index])
            for transcript in transcripts
            for index, turn in enumerate(transcript.turns)
        ]
        analyses = self.analyse_turns(jobs)
        out: list[list[TurnAnalysis]] = []
        position = 0
        for transcript in transcripts:
            out.append(analyses[position : position + len(transcript.turns)])
            position += len(transcript.turns)
        return out

    def analyse_turn(
        self, turn: Turn, history: Sequence[Turn], *, index: int | None = None,
        transcript_id: str = "",
    ) -> TurnAnalysis:
        """Analyse one turn given the turns before it (the live unit)."""
        index = len(history) if index is None else index
        return self.analyse_turns([(transcript_id, index, turn, tuple(history))])[0]

    def analyse_turns(
        self, jobs: Iterable[tuple[str, int, Turn, Sequence[Turn]]]
    ) -> list[TurnAnalysis]:
        """Analyse ``(transcript_id, index, turn, history)`` jobs in shared batches."""
        return [self._detect(window) for window in self.windows(jobs)]

    def windows(
        self, jobs: Iterable[tuple[str, int, Turn, Sequence[Turn]]], *, features: bool | None = None
    ) -> list[TurnWindow]:
        """Build the shared analysis of each job: Doc, sentences, vectors (and features).

        Every sentence is parsed once and embedded once, in length-sorted batches;
        ``features`` (default: whether a detector needs them) adds the heads' rows.
        """
        jobs = list(jobs)
        want = self.needs_features if features is None else features
        docs = list(self.resources.nlp.pipe((turn.text for _, _, turn, _ in jobs), batch_size=256))
        spans = [split_sentences(doc) for doc in docs]
        unique: dict[str, int] = {}
        if want:
            for (_, _, turn, _), sents in zip(jobs, spans, strict=True):
                if turn.role is not Role.SYSTEM:
                    for sent in sents:
                        unique.setdefault(sent.text, len(unique))
        vectors = self._encode(list(unique), want)
        dim = self.resources.encoder.dimension if want else 0
        windows = []
        for (tid, index, turn, history), doc, sents in zip(jobs, docs, spans, strict=True):
            if not unique or turn.role is Role.SYSTEM or not sents:
                sentence_vectors = np.zeros((len(sents), dim), dtype=np.float32)
            else:
                sentence_vectors = vectors[[unique[s.text] for s in sents]]
            window = TurnWindow(turn=turn, index=index, history=tuple(history), doc=doc,
                                turn_vector=_mean_vector(sentence_vectors, dim),
                                sentence_vectors=sentence_vectors, sentences=sents,
                                transcript_id=tid)
            role = turn.role
            if want and behaviours_for(role) and sents:
                rule_hits = {b: self._run(self.rules[b], window) for b in rule_behaviours_for(role)}
                window = _with_features(window, sentence_features(window, rule_hits))
            windows.append(window)
        return windows

    def _encode(self, texts: list[str], wanted: bool) -> np.ndarray:
        if not texts or not wanted:
            return np.zeros((0, 0), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        encoded = self.resources.encoder.encode([texts[i] for i in order])
        out = np.empty_like(encoded)
        out[order] = encoded
        return out

    def _detect(self, window: TurnWindow) -> TurnAnalysis:
        role = window.turn.role
        judged = behaviours_for(role)
        confidences: dict[str, float] = {}
        evidence: dict[str, tuple[Evidence, ...]] = {}
        present = set()
        for behaviour in judged:
            detector = self.detectors[behaviour]
            hits = sorted(self._run(detector, window), key=lambda h: -h.confidence)
            best = hits[0].confidence if hits else 0.0
            confidences[behaviour] = best
            threshold = self.thresholds[behaviour]
            if best >= threshold:
                present.add(behaviour)
                evidence[behaviour] = tuple(
                    Evidence(window.index, role.value, behaviour, window.turn.text[h.start:h.end],
                             h.start, h.end, h.confidence, h.reason, detector.name)
                    for h in hits if h.confidence >= threshold
                )
        if judged:
            confidences[DERIVED_QUESTION] = max(
                confidences.get("open_question", 0.0), confidences.get("closed_question", 0.0)
            )
            if present & set(QUESTION_BEHAVIOURS):
                present.add(DERIVED_QUESTION)
        return TurnAnalysis(window.index, role, confidences, frozenset(present), evidence,
                            {b: self.thresholds[b] for b in judged})

    def _run(self, detector: Any, window: TurnWindow) -> list[Hit]:
        try:
            hits = detector.detect(window)
        except Exception as exc:
            raise DetectorError(
                f"detector {detector.name!r} crashed on transcript {window.transcript_id!r}, "
                f"turn {window.index}: {type(exc).__name__}: {exc}"
            ) from exc
        length = len(window.turn.text)
        for hit in hits:
            if not (0 <= hit.start < hit.end <= length and 0.0 <= hit.confidence <= 1.0):
                raise DetectorError(
                    f"detector {detector.name!r} returned an invalid hit {hit!r} on transcript "
                    f"{window.transcript_id!r}, turn {window.index} (text length {length}); "
                    "expected 0 <= start < end <= length and 0 <= confidence <= 1"
                )
        return hits


def _mean_vector(vectors: np.ndarray, dim: int) -> np.ndarray:
    if len(vectors) == 0:
        return np.zeros(dim, dtype=np.float32)
    if len(vectors) == 1:
        return vectors[0]
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm else mean).astype(np.float32)


def _with_features(window: TurnWindow, features: np.ndarray) -> TurnWindow:
    return TurnWindow(turn=window.turn, index=window.index, history=window.history,
                      doc=window.doc, turn_vector=window.turn_vector,
                      sentence_vectors=window.sentence_vectors, sentences=window.sentences,
                      features=features, transcript_id=window.transcript_id)


__all__ = ["AGENT_BEHAVIOURS", "CUSTOMER_BEHAVIOURS", "Pipeline", "TurnAnalysis"]
