r"""How far two labellers of the project's corpus agree, behaviour by behaviour.

A second labeller, who never saw the corpus's labels, labels the same conversations
from ``docs/labelling.md`` alone. Their agreement with the original labels is the
ceiling a model trained and measured on those labels can be expected to reach: where
two careful people applying one guide agree on 70 % of positives, a model scoring 0.70
F1 against either of them is as good as that guide lets anyone be.

The second labelling is a JSON Lines file, one conversation per line, the labels of each
turn in order (nothing else: the texts stay in the corpus)::

    {"conversation_id": "telecom-chat-0007", "labels": [["greeting", "open_question"], []]}

It is compared on the records of an exported split (``agentassist corpus --out DIR``,
so near-duplicates of training turns are left out exactly as in the held-out figures)::

    python -m evaluation.label_agreement evaluation/data/second-labelling-test.jsonl \\
        --split DIR/test.jsonl --write DIR

``--write DIR`` also writes ``DIR/second.jsonl`` (the split's records with the second
labeller's labels) and ``DIR/consensus.jsonl`` (each behaviour's label kept only where the
two labellers agree), for ``agentassist evaluate``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentassist.behaviours import DERIVED_QUESTION
from agentassist.corpus import SIDE_LABELS, turn_labels
from agentassist.errors import InputError, TranscriptFormatError
from evaluation.metrics import PRF, bootstrap_intervals, cohen_kappa


@dataclass(frozen=True)
class Pair:
    """One turn's label for one behaviour from each labeller."""

    behaviour: str
    first: int
    second: int
    conversation_id: str


def read_second_labelling(path: Path) -> dict[str, list[frozenset[str]]]:
    """Return ``{conversation_id: [labels of turn 0, …]}`` from a second-labelling file."""
    out: dict[str, list[frozenset[str]]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the second labelling: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TranscriptFormatError(f"not JSON ({exc.msg})", source=path, line=number) from exc
        cid = raw.get("conversation_id") if isinstance(raw, dict) else None
        labels = raw.get("labels") if isinstance(raw, dict) else None
        if not isinstance(cid, str) or not isinstance(labels, list) or not all(
                isinstance(turn, list) and all(isinstance(x, str) for x in turn)
                for turn in labels):
            raise TranscriptFormatError(
                'expected {"conversation_id": "<id>", "labels": [["<behaviour>", …], …]} '
                "with one list of behaviour names per turn", source=path, line=number)
        if cid in out:
            raise TranscriptFormatError("labelled twice", source=path, line=number,
                                        transcript_id=cid)
        out[cid] = [frozenset(turn) for turn in labels]
    return out


def pairs_for(records: Iterable[Mapping[str, Any]],
              second: Mapping[str, Sequence[frozenset[str]]], *, source: Path | str = "second"
              ) -> list[Pair]:
    """Pair each record's labels with the second labeller's for the same turn.

    Records come from an exported split (ids ``<conversation_id>:<turn>``); records of
    conversations the second labeller did not label are left out. A second label that is
    not a behaviour of the turn's speaker, or a conversation whose turn count differs, is
    an error that names the conversation and turn.
    """
    out = []
    for record in records:
        cid, turn = _turn_of(record)
        if cid not in second:
            continue
        turns = second[cid]
        if turn >= len(turns):
            raise TranscriptFormatError(
                f"has {len(turns)} label lists, but the corpus has a turn {turn}; expected "
                "one list per turn", source=source, transcript_id=cid)
        speaker = str(record["speaker"])
        unknown = turns[turn] - set(SIDE_LABELS[speaker])
        if unknown:
            raise TranscriptFormatError(
                f"labels {sorted(unknown)} are not {speaker} behaviours; expected some of "
                f"{', '.join(SIDE_LABELS[speaker])}", source=source, transcript_id=cid,
                turn=turn)
        theirs = turn_labels(turns[turn], speaker)
        for behaviour, first in record["labels"].items():
            if behaviour in theirs:
                out.append(Pair(behaviour, int(first), theirs[behaviour], cid))
    return out


def agreement(pairs: Sequence[Pair], *, resamples: int = 1000) -> dict[str, dict[str, Any]]:
    """Return per-behaviour agreement: positives of each labeller, F1, kappa, interval.

    F1 of one labeller against the other is symmetric (the share of positives the two
    agree on: 2 x both / (first + second)); its interval resamples whole conversations.
    """
    by_behaviour: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_behaviour.setdefault(pair.behaviour, []).append(pair)
    out = {}
    for behaviour, rows in by_behaviour.items():
        first = [p.first for p in rows]
        second = [p.second for p in rows]
        counts = PRF.count(second, first)
        ci = bootstrap_intervals(second, second, first, [p.conversation_id for p in rows],
                                 resamples=resamples)["f1_ci"] if resamples else []
        out[behaviour] = {
            "n": len(rows), "first_positives": sum(first), "second_positives": sum(second),
            "both": counts.tp, "f1": counts.f1, "f1_ci": ci,
            "kappa": cohen_kappa(first, second),
        }
    return out


def rewrite(records: Iterable[Mapping[str, Any]],
            second: Mapping[str, Sequence[frozenset[str]]], *, consensus: bool
            ) -> list[dict[str, Any]]:
    """Return the records of second-labelled conversations with new labels.

    ``consensus=False``: the second labeller's labels. ``consensus=True``: each
    behaviour's original label kept only where the second labeller agrees (a behaviour
    they disagree on is left out of that record, so ``evaluate`` does not count it).
    """
    out = []
    for record in records:
        cid, turn = _turn_of(record)
        if cid not in second:
            continue
        theirs = turn_labels(second[cid][turn], str(record["speaker"]))
        first = record["labels"]
        labels = ({b: v for b, v in first.items() if theirs.get(b) == v} if consensus
                  else {b: theirs[b] for b in first if b in theirs})
        out.append(dict(record, labels=labels))
    return out


def _turn_of(record: Mapping[str, Any]) -> tuple[str, int]:
    """Return (conversation id, turn index) of an exported record (``<id>:<turn>``)."""
    cid, _, index = str(record["id"]).rpartition(":")
    return cid, int(index)


def render(report: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the agreement table as text."""
    lines = [f"{'behaviour':<20} {'n':>6} {'first':>6} {'second':>6} {'both':>6} "
             f"{'F1':>6} {'95% CI':>13} {'kappa':>6}"]
    for behaviour, row in report.items():
        ci = "–".join(f"{x:.3f}" for x in row["f1_ci"]) if row["f1_ci"] else ""
        lines.append(f"{behaviour:<20} {row['n']:>6} {row['first_positives']:>6} "
                     f"{row['second_positives']:>6} {row['both']:>6} {row['f1']:>6.3f} "
                     f"{ci:>13} {row['kappa']:>6.3f}")
    macro = [row["f1"] for b, row in report.items() if b != DERIVED_QUESTION]
    if macro:
        lines.append(f"macro F1 over {len(macro)} behaviours: {sum(macro) / len(macro):.3f}")
    return "\n".join(lines)


def _read_split(path: Path) -> list[dict[str, Any]]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read the split (write it with 'agentassist corpus "
                         f"--out DIR'): {exc}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Compare a second labelling with the corpus on one exported split."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("second", type=Path, help="the second labelling (JSON Lines)")
    parser.add_argument("--split", type=Path, required=True,
                        help="an exported split, e.g. DIR/test.jsonl from 'agentassist corpus'")
    parser.add_argument("--write", type=Path, default=None,
                        help="write second.jsonl and consensus.jsonl here")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument("--resamples", type=int, default=1000,
                        help="bootstrap resamples of conversations (0 skips the intervals)")
    args = parser.parse_args(argv)
    try:
        second = read_second_labelling(args.second)
        records = _read_split(args.split)
        pairs = pairs_for(records, second, source=args.second)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    labelled = {p.conversation_id for p in pairs}
    missing = sorted(set(second) - labelled)
    if missing:
        print(f"note: {len(missing)} second-labelled conversations have no record in "
              f"{args.split} (another split?): {', '.join(missing[:5])}", file=sys.stderr)
    report = agreement(pairs, resamples=args.resamples)
    turns = sum(p.behaviour == DERIVED_QUESTION for p in pairs)
    print(f"{len(labelled)} conversations, {turns} turns")
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps({"conversations": len(labelled), "behaviours": report},
                                        indent=2) + "\n", encoding="utf-8")
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for name, consensus in (("second", False), ("consensus", True)):
            path = args.write / f"{name}.jsonl"
            with path.open("w", encoding="utf-8") as out:
                for record in rewrite(records, second, consensus=consensus):
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
