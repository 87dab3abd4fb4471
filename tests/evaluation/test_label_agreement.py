"""The label-agreement report: two labellings of the same turns compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentassist.errors import TranscriptFormatError
from evaluation.label_agreement import (
    agreement,
    main,
    pairs_for,
    read_second_labelling,
    rewrite,
)


def _record(cid: str, turn: int, speaker: str, **labels: int) -> dict:
    names = (("greeting", "empathy", "open_question", "closed_question") if speaker == "agent"
             else ("confusion", "need", "open_question", "closed_question"))
    full = {name: labels.get(name, 0) for name in names}
    full["question"] = int(full["open_question"] or full["closed_question"])
    return {"id": f"{cid}:{turn}", "speaker": speaker, "text": "…", "context": [],
            "labels": full, "conversation_id": cid}


RECORDS = [
    _record("c1", 0, "agent", greeting=1, open_question=1),
    _record("c1", 1, "customer", confusion=1),
    _record("c1", 2, "agent", empathy=1),
    _record("c2", 0, "agent", greeting=1, closed_question=1),
    _record("c3", 0, "agent"),  # not second-labelled: left out
]
SECOND = {
    "c1": [frozenset({"greeting", "closed_question"}), frozenset({"confusion", "need"}),
           frozenset({"empathy"})],
    "c2": [frozenset({"greeting", "closed_question"})],
}


def test_agreement_counts_each_labellers_positives_and_the_shared_ones() -> None:
    report = agreement(pairs_for(RECORDS, SECOND), resamples=0)
    assert report["greeting"] == {"n": 3, "first_positives": 2, "second_positives": 2,
                                  "both": 2, "f1": 1.0, "f1_ci": [], "kappa": 1.0}
    # open vs closed disagree on c1's first turn; "question" agrees (either form)
    assert report["open_question"]["both"] == 0
    assert report["open_question"]["f1"] == 0.0
    assert report["closed_question"]["first_positives"] == 1
    assert report["closed_question"]["second_positives"] == 2
    assert report["closed_question"]["f1"] == pytest.approx(2 / 3)
    assert report["question"]["f1"] == 1.0
    # need: the second labeller's extra positive, the first has none
    assert (report["need"]["first_positives"], report["need"]["second_positives"]) == (0, 1)
    assert report["need"]["n"] == 1
    assert report["greeting"]["n"] == 3


def test_interval_resamples_conversations_and_holds_the_estimate() -> None:
    report = agreement(pairs_for(RECORDS, SECOND), resamples=200)
    low, high = report["closed_question"]["f1_ci"]
    assert low <= report["closed_question"]["f1"] <= high


def test_rewrite_gives_second_labels_or_only_the_agreed_ones() -> None:
    second = rewrite(RECORDS, SECOND, consensus=False)
    assert [r["id"] for r in second] == ["c1:0", "c1:1", "c1:2", "c2:0"]
    assert second[0]["labels"]["closed_question"] == 1
    assert second[0]["labels"]["open_question"] == 0
    consensus = rewrite(RECORDS, SECOND, consensus=True)
    assert "open_question" not in consensus[0]["labels"]
    assert "closed_question" not in consensus[0]["labels"]
    assert consensus[0]["labels"]["greeting"] == 1
    assert consensus[0]["labels"]["question"] == 1
    assert "need" not in consensus[1]["labels"]
    assert consensus[1]["labels"]["confusion"] == 1


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"c1": [frozenset({"greeting"})]}, "has 1 label lists, but the corpus has a turn 1"),
        ({"c1": [frozenset(), frozenset({"empathy"}), frozenset()]},
         "labels ['empathy'] are not customer behaviours"),
    ],
)
def test_second_labels_that_do_not_fit_the_corpus_are_errors(second: dict, message: str) -> None:
    pattern = message.replace("[", r"\[").replace("]", r"\]")
    with pytest.raises(TranscriptFormatError, match=pattern):
        pairs_for(RECORDS, second)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "second.jsonl:2: not JSON"),
        ('{"conversation_id": "c9", "labels": "greeting"}', "one list of behaviour names per turn"),
        ('{"conversation_id": "c1", "labels": [[]]}', "labelled twice"),
    ],
)
def test_bad_second_labelling_lines_name_file_and_line(tmp_path: Path, line: str,
                                                       message: str) -> None:
    path = tmp_path / "second.jsonl"
    path.write_text('{"conversation_id": "c1", "labels": [[]]}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(TranscriptFormatError, match=message):
        read_second_labelling(path)


def test_command_prints_the_table_and_writes_files_for_evaluate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    split = tmp_path / "test.jsonl"
    split.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    second = tmp_path / "second-labelling.jsonl"
    second.write_text("".join(json.dumps({"conversation_id": c, "labels": [sorted(t) for t in ts]})
                              + "\n" for c, ts in SECOND.items()), encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(second), "--split", str(split), "--write", str(out), "--resamples", "0",
                 "--json", str(tmp_path / "report.json")]) == 0
    printed = capsys.readouterr().out
    assert "2 conversations, 4 turns" in printed
    assert "greeting" in printed
    written = [json.loads(line) for line in (out / "second.jsonl").read_text().splitlines()]
    assert len(written) == 4
    assert written[1]["labels"]["need"] == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["behaviours"]["greeting"]["f1"] == 1.0


def test_command_reports_bad_input_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tmp_path / "second.jsonl"
    second.write_text("{oops\n", encoding="utf-8")
    assert main([str(second), "--split", str(tmp_path / "missing.jsonl")]) == 2
    assert "second.jsonl:1: not JSON" in capsys.readouterr().err


def test_the_committed_second_labelling_fits_the_corpus() -> None:
    """The second labelling covers every test conversation, turn for turn."""
    from agentassist.corpus import labelled_records, read_conversations

    path = Path(__file__).resolve().parents[2] / "evaluation/data/second-labelling-test.jsonl"
    second = read_second_labelling(path)
    conversations = {c.id: c for c in read_conversations()}
    assert set(second) == {cid for cid, c in conversations.items() if c.split == "test"}
    for cid, turns in second.items():
        assert len(turns) == len(conversations[cid].turns), cid
    records = [r for cid in second for r in labelled_records(conversations[cid])]
    pairs = pairs_for(records, second, source=path)  # raises on a label the speaker can't have
    assert len({p.conversation_id for p in pairs}) == len(second)
