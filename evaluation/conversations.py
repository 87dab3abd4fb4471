"""Conversation-level agreement: do scorecards order conversations as people rated them?

For a file of conversations with human ratings (for example ESConv's, where each
help-seeker rated the supporter's empathy 1-5 and some chats were marked failed), score
every conversation and report Spearman correlations between a rating and a criterion's
score (or the overall score), and how well the overall score separates failed chats
(ROC AUC). Reads ``{"conversation_id", "turns": [{"speaker", "text"}], <ratings>...}``
per line; ``speaker`` is ``agent`` or ``customer``.

    python -m evaluation.conversations ../shared/data/esconv_conversations.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentassist.pipeline import Pipeline
from agentassist.resources import Resources
from agentassist.rubric import load_rubric
from agentassist.scoring import score
from agentassist.transcript import Channel, Role, Transcript, Turn


def ranks(values: Sequence[float]) -> list[float]:
    """Return average ranks (ties share their mean rank).

    Example:
        >>> ranks([10, 20, 20, 5])
        [2.0, 3.5, 3.5, 1.0]
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Return Spearman's rank correlation of ``a`` and ``b``.

    Example:
        >>> round(spearman([1, 2, 3], [10, 30, 20]), 4)
        0.5
    """
    ra, rb = ranks(a), ranks(b)
    n = len(ra)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va and vb else 0.0


def roc_auc(scores: Sequence[float], positive: Sequence[int]) -> float:
    """Return the probability a random positive scores above a random negative.

    Example:
        >>> roc_auc([0.9, 0.8, 0.1], [1, 0, 0])
        1.0
    """
    r = ranks(scores)
    n_pos = sum(positive)
    n_neg = len(positive) - n_pos
    if not n_pos or not n_neg:
        return 0.0
    return (sum(x for x, p in zip(r, positive, strict=True) if p) - n_pos * (n_pos + 1) / 2) / (
        n_pos * n_neg)


def read_rated(path: Path) -> list[tuple[Transcript, dict[str, Any]]]:
    """Return each conversation as a Transcript with its rating fields."""
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            raw = json.loads(line)
            turns = tuple(Turn(Role(t["speaker"]), t["text"]) for t in raw["turns"]
                          if t["speaker"] in ("agent", "customer") and t["text"].strip())
            ratings = {k: v for k, v in raw.items() if isinstance(v, int | float)}
            out.append((Transcript(raw["conversation_id"], turns, Channel.CHAT), ratings))
    return out


def evaluate(path: Path, pipeline: Pipeline, *, limit: int | None = None) -> dict[str, Any]:
    """Score every rated conversation and correlate scores with the ratings."""
    rubric = load_rubric()
    rated = read_rated(path)[:limit] if limit else read_rated(path)
    rows = []
    for start in range(0, len(rated), 32):
        chunk = rated[start:start + 32]
        for (transcript, ratings), analyses in zip(
                chunk, pipeline.analyse_many([t for t, _ in chunk]), strict=True):
            card = score(transcript, analyses, rubric)
            scores = {r.id: r.score for r in card.criteria}
            rows.append((ratings, scores, card.overall))
    report: dict[str, Any] = {"conversations": len(rows)}
    for rating in ("seeker_empathy", "seeker_relevance"):
        pairs = [(r[rating], s["acknowledge_feelings"]) for r, s, _ in rows
                 if rating in r and s["acknowledge_feelings"] is not None]
        if pairs:
            report[f"spearman_{rating}_vs_acknowledge_feelings"] = spearman(
                *zip(*pairs, strict=True)
            )
            report[f"n_{rating}_acknowledge_feelings"] = len(pairs)
        pairs = [(r[rating], overall) for r, _, overall in rows if rating in r]
        if pairs:
            report[f"spearman_{rating}_vs_overall"] = spearman(*zip(*pairs, strict=True))
    failed = [(int(r["failed"]), overall) for r, _, overall in rows if "failed" in r]
    if failed:
        # A failed chat should score lower: AUC of (1 - overall) for failed.
        report["auc_failed_by_low_overall"] = roc_auc([1 - o for _, o in failed],
                                                      [f for f, _ in failed])
        report["failed"] = sum(f for f, _ in failed)
    return report


def main() -> None:
    """Print the conversation-level report as JSON."""
    parser = argparse.ArgumentParser(description="Correlate scorecards with human ratings.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--method", default="auto")
    options = parser.parse_args()
    pipeline = Pipeline.from_resources(Resources.load(), method=options.method)
    print(json.dumps(evaluate(options.path, pipeline, limit=options.limit), indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
