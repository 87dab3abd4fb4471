"""Pure metric functions: precision, recall, F1, PR-AUC, Cohen's kappa, calibration.

Each takes plain sequences and returns floats (or a flat dict), so reports drop into
a spreadsheet. :func:`bootstrap_intervals` says how far a figure could move on another
sample of the same kind of data.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class PRF:
    """Counts of true positives, false positives and false negatives.

    Example:
        >>> counts = PRF(tp=8, fp=2, fn=2) + PRF(tp=0, fp=0, fn=0)
        >>> round(counts.precision, 2), round(counts.recall, 2), round(counts.f1, 2)
        (0.8, 0.8, 0.8)
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        """Return tp / (tp + fp), 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Return tp / (tp + fn), 0 when nothing is positive."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Return the harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @classmethod
    def count(cls, predicted: Sequence[int], actual: Sequence[int]) -> PRF:
        """Count from parallel 0/1 sequences.

        Example:
            >>> PRF.count([1, 1, 0, 0], [1, 0, 1, 0])
            PRF(tp=1, fp=1, fn=1)
        """
        tp = sum(1 for p, a in zip(predicted, actual, strict=True) if p and a)
        fp = sum(1 for p, a in zip(predicted, actual, strict=True) if p and not a)
        fn = sum(1 for p, a in zip(predicted, actual, strict=True) if a and not p)
        return cls(tp, fp, fn)


def average_precision(scores: Sequence[float], actual: Sequence[int]) -> float:
    """Return the area under the precision-recall curve (average precision).

    Example:
        >>> average_precision([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
        0.8333333333333333
    """
    return _average_precision(np.asarray(scores, dtype=np.float64), np.asarray(actual, dtype=bool))


def cohen_kappa(a: Sequence[object], b: Sequence[object]) -> float:
    """Return Cohen's kappa between two raters' labels (1.0 when both are constant and equal).

    Example:
        >>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 2)
        0.5
    """
    n = len(a)
    if n == 0:
        return 0.0
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    labels = set(a) | set(b)
    expected = sum((list(a).count(k) / n) * (list(b).count(k) / n) for k in labels)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def expected_calibration_error(
    scores: Sequence[float], actual: Sequence[int], *, bins: int = 10
) -> float:
    """Return the expected calibration error over equal-width confidence bins.

    Example:
        >>> round(expected_calibration_error([0.9, 0.9, 0.1, 0.1], [1, 1, 0, 0]), 4)
        0.1
    """
    n = len(scores)
    if n == 0:
        return 0.0
    totals = [0] * bins
    confidence = [0.0] * bins
    correct = [0.0] * bins
    for score, label in zip(scores, actual, strict=True):
        k = min(int(score * bins), bins - 1)
        totals[k] += 1
        confidence[k] += score
        correct[k] += label
    return sum(abs(correct[k] - confidence[k]) for k in range(bins) if totals[k]) / n


def binary_report(
    predicted: Sequence[int], scores: Sequence[float], actual: Sequence[int]
) -> dict[str, float]:
    """Return the flat metric dict ``evaluate`` reports for one behaviour.

    Example:
        >>> sorted(binary_report([1, 0], [0.8, 0.2], [1, 0]))[:3]
        ['ece', 'f1', 'kappa']
    """
    counts = PRF.count(predicted, actual)
    return {
        "n": float(len(actual)),
        "positives": float(sum(actual)),
        "predicted": float(sum(predicted)),
        "precision": counts.precision,
        "recall": counts.recall,
        "f1": counts.f1,
        "pr_auc": average_precision(scores, actual),
        "kappa": cohen_kappa(list(predicted), list(actual)),
        "ece": expected_calibration_error(scores, actual),
    }


def bootstrap_intervals(
    predicted: Sequence[int],
    scores: Sequence[float],
    actual: Sequence[int],
    groups: Sequence[Hashable] | None = None,
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Return percentile-bootstrap intervals of F1 and PR-AUC: ``{"f1_ci": [lo, hi], ...}``.

    Rows are drawn with replacement, ``resamples`` times (seeded, so a report can be
    repeated exactly). With ``groups`` (e.g. each turn's conversation id) whole groups are
    drawn instead: the turns of one conversation share a speaker, a topic and often a
    mistake, so resampling them one by one would make the interval too narrow.

    Example:
        >>> ci = bootstrap_intervals([1, 0, 1, 0] * 25, [0.9, 0.2, 0.7, 0.6] * 25,
        ...                          [1, 0, 1, 1] * 25, resamples=200)
        >>> ci["f1_ci"][0] < 0.8 < ci["f1_ci"][1]
        True
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    pred = np.asarray(predicted, dtype=bool)
    score = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(actual, dtype=bool)
    if not (len(pred) == len(score) == len(truth)) or (groups is not None
                                                       and len(groups) != len(truth)):
        raise ValueError("predicted, scores, actual (and groups) must have the same length")
    if not len(truth) or resamples < 1:
        return {"f1_ci": [float("nan")] * 2, "pr_auc_ci": [float("nan")] * 2}
    rng = np.random.default_rng(seed)
    members = _group_members(groups) if groups is not None else None
    f1s = np.empty(resamples)
    aps = np.empty(resamples)
    for k in range(resamples):
        if members is None:
            index = rng.integers(0, len(truth), len(truth))
        else:
            index = np.concatenate([members[g] for g in rng.integers(0, len(members),
                                                                      len(members))])
        f1s[k] = _f1(pred[index], truth[index])
        aps[k] = _average_precision(score[index], truth[index])
    tail = (1.0 - level) / 2 * 100
    return {name: [float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]
            for name, values in (("f1_ci", f1s), ("pr_auc_ci", aps))}


def _group_members(groups: Sequence[Hashable]) -> list[np.ndarray]:
    by_group: dict[Any, list[int]] = {}
    for row, group in enumerate(groups):
        by_group.setdefault(group, []).append(row)
    return [np.asarray(rows) for rows in by_group.values()]


def _f1(pred: np.ndarray, truth: np.ndarray) -> float:
    return PRF(tp=int(np.count_nonzero(pred & truth)), fp=int(np.count_nonzero(pred & ~truth)),
               fn=int(np.count_nonzero(~pred & truth))).f1


def _average_precision(score: np.ndarray, truth: np.ndarray) -> float:
    """Average precision over scores ranked high to low (tied scores keep their order).

    The precisions are added one after another (``cumsum``), as a plain loop would, so
    the result does not depend on numpy's summation order.
    """
    positives = int(np.count_nonzero(truth))
    if not positives:
        return 0.0
    ordered = truth[np.argsort(-score, kind="stable")]
    precision = np.cumsum(ordered) / np.arange(1, len(ordered) + 1)
    return float(np.cumsum(precision[ordered])[-1] / positives)
