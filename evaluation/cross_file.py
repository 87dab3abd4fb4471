"""Leave-files-out estimate: how the models do on a batch of conversations they never saw.

    python -m evaluation.cross_file [--folds 5] [--finetune] [--json OUT]

The held-out split of ``agentassist train`` is drawn by conversation, so its turns share
writers, rounds and topics with the training turns, and flatters the models. Here the
corpus files (each one a writing round: an industry, a style, a set of writers) are dealt
round-robin into ``--folds`` groups. For each group, the heads are fitted on the training
split of the *other* files, C is chosen and confidences calibrated on their validation
split, and every turn of the group's files is measured; turns with a near-duplicate
(published-encoder cosine >= 0.95) among the fold's training turns are left out. The
predictions of all folds are pooled into one table per behaviour. It is a step closer to
language nobody here wrote than the held-out split, but still the project's own writing:
no substitute for public, human-labelled data.

The heads read the published encoder, never the shipped fine-tuned one (which was trained
on every file's training split, held-out files included). ``--finetune`` measures the
shipped recipe instead: each fold fine-tunes its own encoder on its own training turns,
as ``agentassist train`` does, and featurises the corpus with it.

It also compares the ways of reading a threshold off a validation F1 curve
(``agentassist.training.THRESHOLD_RULES``): each fold reads every rule's cut off its own
validation split, applies it to its held-out turns, and each rule's pooled macro F1 is
printed beside the shipped rule's. That is where a threshold rule is chosen, not on
public data.

Takes 13-20 minutes on the 2-core machine (featurising once, then five fits); with
``--finetune`` about an hour (five fine-tunings and featurisings).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agentassist.behaviours import BEHAVIOURS  # noqa: E402
from agentassist.training import (  # noqa: E402
    NEAR_DUPLICATE,
    THRESHOLD_RULE,
    THRESHOLD_RULES,
    TurnRows,
    best_threshold,
    fit_heads,
    near_duplicate_index,
    predictions,
)
from evaluation.metrics import binary_report  # noqa: E402


def file_folds(sources: Sequence[str], folds: int) -> list[list[str]]:
    """Deal the distinct ``sources`` (sorted) round-robin into ``folds`` groups.

    Example:
        >>> file_folds(["b.jsonl", "a.jsonl", "c.jsonl", "a.jsonl"], 2)
        [['a.jsonl', 'c.jsonl'], ['b.jsonl']]
    """
    names = sorted(set(sources))
    if not 2 <= folds <= len(names):
        raise ValueError(f"--folds must be between 2 and the number of files ({len(names)}), "
                         f"not {folds}")
    return [names[k::folds] for k in range(folds)]


def fold_rows(rows: TurnRows, splits: Sequence[str], sources: Sequence[str],
              held_out: set[str]) -> tuple[TurnRows, TurnRows, TurnRows]:
    """Return (train, validation, test) rows for one fold.

    ``splits[i]`` and ``sources[i]`` are turn ``i``'s corpus split and file. Training and
    validation come from files outside ``held_out``; the test is every turn inside it.
    """
    def outside(split: str) -> Callable[[int], bool]:
        return lambda i: sources[i] not in held_out and splits[i] == split

    return (rows.subset(outside("train")), rows.subset(outside("validation")),
            rows.subset(lambda i: sources[i] in held_out))


def near_duplicates(vectors: np.ndarray, train: Sequence[int], test: Sequence[int],
                    threshold: float = NEAR_DUPLICATE) -> set[int]:
    """Return the members of ``test`` with cosine >= ``threshold`` to a member of ``train``.

    ``vectors`` are unit length, so a dot product is the cosine.
    """
    test = list(test)
    return {test[j] for j in near_duplicate_index(vectors[list(train)], vectors[test], threshold)}


def cross_file(rows: TurnRows, splits: Sequence[str], sources: Sequence[str],
               vectors: np.ndarray, folds: int = 5,
               progress: Callable[[str], None] | None = None,
               fold_features: Callable[[set[str]], TurnRows] | None = None) -> dict[str, Any]:
    """Fit and measure every fold; return per-fold figures and the pooled table.

    ``vectors`` are the turns' unit-length published-encoder vectors (near-duplicate check).
    ``fold_features``, given a fold's held-out files, returns the rows featurised for that
    fold (same turns, same order; e.g. with an encoder fine-tuned without those files).
    """
    say = progress or (lambda _msg: None)
    position = {turn_id: i for i, turn_id in enumerate(rows.ids)}
    pooled: dict[str, dict[str, list]] = {b: {"pred": [], "p": [], "y": []} for b in BEHAVIOURS}
    # Each threshold rule's predictions on the same held-out turns (the confidences are
    # the same; only the cut read off each fold's validation curve differs).
    by_rule: dict[str, dict[str, list[int]]] = {r: {b: [] for b in BEHAVIOURS}
                                                for r in THRESHOLD_RULES}
    rule_thresholds: dict[str, dict[str, list[float]]] = {r: {b: [] for b in BEHAVIOURS}
                                                          for r in THRESHOLD_RULES}
    per_fold = []
    for k, group in enumerate(file_folds(sources, folds)):
        started = time.perf_counter()
        held_out = set(group)
        featured = rows if fold_features is None else fold_features(held_out)
        if featured.ids != rows.ids:
            raise ValueError("fold_features must return the same turns in the same order")
        train, validation, test = fold_rows(featured, splits, sources, held_out)
        train_index = [position[t] for t in train.ids]
        test_index = [position[t] for t in test.ids]
        dupes = {rows.ids[i] for i in near_duplicates(vectors, train_index, test_index)}
        test = test.subset(lambda i, test=test, dupes=dupes: test.ids[i] not in dupes)
        say(f"fold {k + 1}/{folds}: {', '.join(group)} ({len(test)} turns held out, "
            f"{len(dupes)} near-duplicates dropped)")
        heads, _report = fit_heads(train, validation)
        fold: dict[str, Any] = {"files": group, "turns": len(test), "dropped": len(dupes),
                                "f1": {}}
        checked = predictions(heads, validation)
        for behaviour, (pred, p, y) in predictions(heads, test).items():
            _vpred, vp, vy = checked[behaviour]
            for rule in THRESHOLD_RULES:
                cut = best_threshold(np.array(vp), np.array(vy), rule)
                rule_thresholds[rule][behaviour].append(cut)
                by_rule[rule][behaviour] += [int(v >= cut) for v in p]
            pooled[behaviour]["pred"] += pred
            pooled[behaviour]["p"] += p
            pooled[behaviour]["y"] += y
            fold["f1"][behaviour] = binary_report(pred, p, y)["f1"]
        fold["macro_f1"] = float(np.mean(list(fold["f1"].values())))
        fold["seconds"] = round(time.perf_counter() - started, 1)
        per_fold.append(fold)
    table = {b: binary_report(v["pred"], v["p"], v["y"]) for b, v in pooled.items() if v["y"]}
    rules = {}
    for rule, found in by_rule.items():
        f1 = {b: binary_report(found[b], pooled[b]["p"], pooled[b]["y"])["f1"] for b in table}
        rules[rule] = {"macro_f1": float(np.mean(list(f1.values()))), "f1": f1,
                       "thresholds": {b: rule_thresholds[rule][b] for b in table}}
    return {"folds": per_fold, "behaviours": table, "threshold_rule": THRESHOLD_RULE,
            "threshold_rules": rules,
            "macro_f1": float(np.mean([m["f1"] for m in table.values()])),
            "macro_pr_auc": float(np.mean([m["pr_auc"] for m in table.values()]))}


def featurise_corpus(corpus: Path, resources: Any = None
                     ) -> tuple[TurnRows, list[str], list[str], np.ndarray]:
    """Featurise every turn of ``corpus`` as ``agentassist train`` does (published encoder).

    Returns the rows, each turn's split and file, and its unit-length encoder vector.
    """
    from agentassist.corpus import labelled_records, read_conversations
    from agentassist.resources import Resources

    resources = resources or Resources.load()
    resources = resources.with_encoder(resources.base_encoder)
    conversations = list(read_conversations(corpus))
    rows = _rows(resources, conversations)
    by_id = {conv.id: conv for conv in conversations}
    text = {f"{conv.id}:{i}": record["text"] for conv in conversations
            for i, record in enumerate(labelled_records(conv))}
    splits = [by_id[t.rsplit(":", 1)[0]].split for t in rows.ids]
    sources = [by_id[t.rsplit(":", 1)[0]].source for t in rows.ids]
    vectors = np.asarray(resources.base_encoder.encode([text[t] for t in rows.ids]))
    vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
    return rows, splits, sources, vectors


def _rows(resources: Any, conversations: Sequence[Any]) -> TurnRows:
    from agentassist.pipeline import Pipeline
    from agentassist.training import conversation_rows

    return conversation_rows(Pipeline.from_resources(resources, method="rules"), conversations)


def finetuned_features(corpus: Path, resources: Any = None,
                       progress: Callable[[str], None] | None = None
                       ) -> Callable[[set[str]], TurnRows]:
    """Return ``fold_features`` for :func:`cross_file` that fine-tunes an encoder per fold.

    Each fold's encoder learns from the training split of the files outside the fold
    only, exactly as ``agentassist train`` fine-tunes on the whole training split.
    """
    import tempfile

    from agentassist.corpus import read_conversations
    from agentassist.resources import Resources
    from agentassist.training import tuned_encoder

    resources = resources or Resources.load()
    conversations = list(read_conversations(corpus))

    def features(held_out: set[str]) -> TurnRows:
        training = [c for c in conversations if c.split == "train" and c.source not in held_out]
        with tempfile.TemporaryDirectory() as tmp:
            encoder, _report = tuned_encoder(resources, training, Path(tmp), progress=progress)
            rows = _rows(resources.with_encoder(encoder), conversations)
        return rows

    return features


def render(result: Mapping[str, Any]) -> str:
    """Return the pooled table and the per-fold macro F1 as plain text."""
    lines = [f"{'behaviour':20} {'n':>6} {'pos':>5} {'P':>6} {'R':>6} {'F1':>6} {'PR-AUC':>7}"]
    for behaviour, m in result["behaviours"].items():
        lines.append(f"{behaviour:20} {int(m['n']):6d} {int(m['positives']):5d} "
                     f"{m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['pr_auc']:7.3f}")
    lines.append(f"macro F1 {result['macro_f1']:.3f}   macro PR-AUC {result['macro_pr_auc']:.3f}")
    rules = result.get("threshold_rules", {})
    if rules:
        scores = ", ".join(f"{rule} {m['macro_f1']:.3f}" for rule, m in rules.items())
        lines.append(f"threshold rules (macro F1; shipped: {result['threshold_rule']}): {scores}")
    for k, fold in enumerate(result["folds"], start=1):
        lines.append(f"fold {k}: macro F1 {fold['macro_f1']:.3f} on {fold['turns']} turns "
                     f"({', '.join(fold['files'])})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the estimate on the project's corpus and print (and optionally save) it."""
    from agentassist.corpus import corpus_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5, help="groups of files (default 5)")
    parser.add_argument("--corpus", type=Path, default=None, help="folder of conversations")
    parser.add_argument("--finetune", action="store_true",
                        help="fine-tune an encoder per fold, as agentassist train does")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    corpus = args.corpus or corpus_dir()
    try:
        file_folds([path.name for path in corpus.glob("*.jsonl")], args.folds)
    except ValueError as exc:
        print(f"error: {corpus}: {exc}", file=sys.stderr)
        return 2
    from agentassist.resources import Resources

    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    resources = Resources.load()  # spaCy and the published encoder, loaded once for all folds
    rows, splits, sources, vectors = featurise_corpus(corpus, resources)
    per_fold = finetuned_features(corpus, resources, progress=say) if args.finetune else None
    result = cross_file(rows, splits, sources, vectors, args.folds, progress=say,
                        fold_features=per_fold)
    result["encoder"] = "fine-tuned per fold" if args.finetune else "published, frozen"
    print(render(result))
    print(f"took {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
