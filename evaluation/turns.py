"""Turn-level evaluation: what ``agentassist label`` and ``agentassist evaluate`` run."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentassist.behaviours import LABEL_NAMES
from agentassist.labelled import LabelledTurn, LabelStats, read_labelled
from agentassist.pipeline import Pipeline, TurnAnalysis
from evaluation.metrics import binary_report, bootstrap_intervals

logger = logging.getLogger(__name__)
CHUNK = 512
#: The record key whose value groups turns for the bootstrap (a conversation's turns).
GROUP_KEY = "conversation_id"


def label_records(
    pipeline: Pipeline, records: Iterable[LabelledTurn]
) -> Iterator[tuple[LabelledTurn, TurnAnalysis]]:
    """Analyse labelled records in chunks (shared encoder batches), in input order."""
    chunk: list[LabelledTurn] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK:
            yield from _analyse(pipeline, chunk)
            chunk = []
    if chunk:
        yield from _analyse(pipeline, chunk)


def _analyse(pipeline: Pipeline, chunk: list[LabelledTurn]
             ) -> Iterator[tuple[LabelledTurn, TurnAnalysis]]:
    jobs = [(str(r.record.get("id", r.line)), len(r.context), r.turn, r.context) for r in chunk]
    yield from zip(chunk, pipeline.analyse_turns(jobs), strict=True)


def labelled_output(record: LabelledTurn, analysis: TurnAnalysis) -> dict[str, Any]:
    """Return the record with DESIGN.md's ``confidence`` and ``predicted`` keys added."""
    out = dict(record.record)
    out["confidence"] = {k: round(v, 4) for k, v in analysis.confidences.items()}
    out["predicted"] = sorted(analysis.present)
    return out


@dataclass
class Evaluation:
    """Per-behaviour metrics against the labels present, plus the notices gathered."""

    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    records: int = 0
    ignored_labels: int = 0
    ignored_names: list[str] = field(default_factory=list)
    #: ``"head"`` (trained models) or ``"rules"``: which detectors gave these figures.
    method: str = ""
    #: How the ``f1_ci`` / ``pr_auc_ci`` intervals were drawn (empty when not computed).
    intervals: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON ``evaluate --json`` prints."""
        return {"records": self.records, "method": self.method,
                "ignored_labels": self.ignored_labels,
                "ignored_names": self.ignored_names, "intervals": self.intervals,
                "behaviours": self.metrics}


def evaluate_file(pipeline: Pipeline, path: str | Path, *, resamples: int = 1000,
                  level: float = 0.95) -> Evaluation:
    """Compare the pipeline's predictions with every label present in ``path``.

    With ``resamples`` > 0 each behaviour also gets 95 % bootstrap intervals of F1 and
    PR-AUC (``f1_ci``, ``pr_auc_ci``). When every record has a ``conversation_id``,
    whole conversations are resampled; otherwise single turns, which understates the
    spread when turns of one conversation sit in the file together.
    """
    stats = LabelStats()
    truth: dict[str, list[int]] = {name: [] for name in LABEL_NAMES}
    scores: dict[str, list[float]] = {name: [] for name in LABEL_NAMES}
    decided: dict[str, list[int]] = {name: [] for name in LABEL_NAMES}
    groups: dict[str, list[Any]] = {name: [] for name in LABEL_NAMES}
    records = 0
    grouped = True
    for record, analysis in label_records(pipeline, read_labelled(path, stats)):
        records += 1
        group = record.record.get(GROUP_KEY)
        grouped = grouped and group is not None
        _collect(record.labels, analysis, str(group), truth, scores, decided, groups)
    result = Evaluation(records=records, ignored_labels=stats.unknown_labels,
                        ignored_names=sorted(stats.unknown_names or ()), method=pipeline.method)
    if resamples > 0:
        result.intervals = {"level": level, "resamples": resamples, "seed": 0,
                            "resampled": "conversations" if grouped and records else "turns"}
    for name in LABEL_NAMES:
        if truth[name]:
            result.metrics[name] = binary_report(decided[name], scores[name], truth[name])
            if resamples > 0:
                result.metrics[name].update(bootstrap_intervals(
                    decided[name], scores[name], truth[name],
                    groups[name] if grouped else None, resamples=resamples, level=level))
    if stats.unknown_labels:
        logger.warning("%d labels outside the vocabulary were ignored (%s)",
                       stats.unknown_labels, ", ".join(result.ignored_names))
    return result


def _collect(labels: Mapping[str, int], analysis: TurnAnalysis, group: str,
             truth: dict[str, list[int]], scores: dict[str, list[float]],
             decided: dict[str, list[int]], groups: dict[str, list[Any]]) -> None:
    for name, value in labels.items():
        if name not in analysis.confidences:
            continue  # a behaviour not judged for this speaker's turns
        truth[name].append(value)
        groups[name].append(group)
        scores[name].append(analysis.confidences[name])
        decided[name].append(int(name in analysis.present))
