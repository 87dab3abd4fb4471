"""Batch scoring in this process with the rules pipeline: stream, store, resume, fail well."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from agentassist.batch import (
    BatchProgress,
    default_job_name,
    export_job,
    iter_input_files,
    run_batch,
)
from agentassist.errors import ConfigError, DetectorError, InputError, TranscriptFormatError
from agentassist.jobs import JobStore
from agentassist.pipeline import Pipeline, TurnAnalysis
from agentassist.synth import generate_transcripts, write_jsonl
from agentassist.transcript import Transcript

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.from_url(f"sqlite:///{tmp_path / 'batch.db'}") as opened:
        yield opened


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "calls.jsonl", 30, turns=12, seed=3)


class SpyPipeline:
    """Wrap a pipeline, recording how many transcripts each analyse_many call gets."""

    def __init__(self, pipeline: Pipeline, crash_on: str | None = None) -> None:
        self.pipeline = pipeline
        self.calls: list[int] = []
        self.crash_on = crash_on
        self.method = pipeline.method

    def analyse_many(self, transcripts: Sequence[Transcript]) -> list[list[TurnAnalysis]]:
        self.calls.append(len(transcripts))
        if any(t.id == self.crash_on for t in transcripts):
            raise DetectorError(f"detector 'x' crashed on transcript {self.crash_on!r}, turn 0")
        return self.pipeline.analyse_many(transcripts)


def test_batch_scores_every_transcript_in_chunks_across_transcripts(
        store: JobStore, calls: Path, rules_pipeline: Pipeline) -> None:
    spy = SpyPipeline(rules_pipeline)
    seen: list[BatchProgress] = []
    summary = run_batch([calls], store=store, pipeline=spy, chunk_turns=100,  # type: ignore[arg-type]
                        progress=seen.append)
    assert (summary.scored, summary.skipped, summary.failed) == (30, 0, 0)
    assert summary.job.status == "done"
    assert summary.job.total == 30
    assert max(spy.calls) > 1
    assert sum(spy.calls) == 30
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].done == 30
    assert seen[-1].total == 30
    assert seen[-1].turns > 300


def test_running_the_same_batch_again_resumes_and_stores_nothing_twice(
        store: JobStore, calls: Path, rules_pipeline: Pipeline) -> None:
    first = run_batch([calls], store=store, pipeline=rules_pipeline)
    again = run_batch([calls], store=store, pipeline=rules_pipeline)
    assert again.job.id == first.job.id
    assert (again.scored, again.skipped) == (0, 30)
    assert store.count_results(first.job.id) == 30


def test_a_half_stored_file_is_finished_without_duplicates(
        store: JobStore, tmp_path: Path, rules_pipeline: Pipeline) -> None:
    calls = write_jsonl(tmp_path / "calls.jsonl", 20, turns=8)
    head = tmp_path / "head" / "calls.jsonl"
    head.parent.mkdir()
    lines = calls.read_text().splitlines(keepends=True)
    # Store the first 12 as if a killed run had got that far on the same file.
    head.write_text("".join(lines[:12]))
    run_batch([head], store=store, job="j", pipeline=rules_pipeline,
              source_names=lambda _: "calls.jsonl")
    summary = run_batch([calls], store=store, job="j", pipeline=rules_pipeline,
                        source_names=lambda _: "calls.jsonl")
    assert (summary.scored, summary.skipped) == (8, 12)
    ids = [r.transcript_id for r in store.iter_results(summary.job.id)]
    assert ids == [f"synth-{i:06d}" for i in range(20)]


def test_a_changed_file_is_read_again(store: JobStore, tmp_path: Path,
                                      rules_pipeline: Pipeline) -> None:
    path = write_jsonl(tmp_path / "calls.jsonl", 5, turns=6)
    run_batch([path], store=store, job="j", pipeline=rules_pipeline)
    with path.open("a") as handle:
        extra = next(generate_transcripts(1, turns=6, seed=9))
        handle.write(json.dumps({**extra, "id": "late-arrival"}) + "\n")
    summary = run_batch([path], store=store, job="j", pipeline=rules_pipeline)
    assert (summary.scored, summary.skipped) == (1, 5)


def test_bad_files_become_failures_and_the_rest_is_scored(
        store: JobStore, tmp_path: Path, rules_pipeline: Pipeline) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", 3, turns=6)
    (folder / "b.txt").write_text("this is not a transcript at all\n")
    lines = [json.dumps(t) for t in generate_transcripts(4, turns=6, seed=5)]
    lines[2] = '{"id": "broken", "turns": [{"speaker": "agent"'  # cut off mid-object
    (folder / "c.jsonl").write_text("\n".join(lines) + "\n")
    summary = run_batch([folder], store=store, pipeline=rules_pipeline)
    assert summary.scored == 6  # a.jsonl, and every line of c.jsonl but the broken one
    failures = sorted(summary.failures, key=lambda f: f.message)
    assert len(failures) == 2
    assert "b.txt" in failures[0].message
    assert "expected" in failures[0].message
    assert "c.jsonl:3" in failures[1].message
    assert "broken JSON" in failures[1].message
    assert "not read" not in failures[1].message
    assert failures[1].line == 3
    assert summary.job.status == "done"
    assert summary.job.failed == 2
    stored = [r.transcript_id for r in store.iter_results(summary.job.id)
              if r.source.endswith("c.jsonl")]
    assert stored == [json.loads(line)["id"] for i, line in enumerate(lines) if i != 2]


def test_an_invalid_line_fails_alone_with_its_id_and_line(
        store: JobStore, tmp_path: Path, rules_pipeline: Pipeline) -> None:
    lines = [json.dumps(t) for t in generate_transcripts(3, turns=4, seed=6)]
    lines[1] = json.dumps({"id": "no-turns", "speaker": "agent", "text": "hello"})
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines) + "\n")
    summary = run_batch([path], store=store, pipeline=rules_pipeline)
    assert summary.scored == 2
    [failure] = summary.failures
    assert (failure.transcript_id, failure.line) == ("no-turns", 2)
    assert "missing required key 'turns'" in failure.message
    again = run_batch([path], store=store, pipeline=rules_pipeline)  # same job, file unchanged
    assert (again.scored, again.skipped) == (0, 3)


def test_a_bad_csv_row_fails_its_call_and_the_other_calls_are_scored(
        store: JobStore, tmp_path: Path, rules_pipeline: Pipeline) -> None:
    rows = ["call_id,speaker,text"]
    for k in range(4):
        rows += [f"c-{k},agent,Good morning, how can I help?", f"c-{k},customer,My bill is wrong."]
    rows[4] = "c-1,custmer,My bill is wrong."  # line 5: a typo in one call's speaker
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(r.replace(", how", " how") for r in rows) + "\n")
    summary = run_batch([path], store=store, pipeline=rules_pipeline)
    assert summary.scored == 3
    [failure] = summary.failures
    assert (failure.transcript_id, failure.line) == ("c-1", 5)
    assert "unknown speaker 'custmer'" in failure.message
    stored = sorted(r.transcript_id for r in store.iter_results(summary.job.id))
    assert stored == ["c-0", "c-2", "c-3"]


def test_failures_are_not_repeated_when_the_job_resumes(
        store: JobStore, tmp_path: Path, rules_pipeline: Pipeline) -> None:
    (tmp_path / "bad.txt").write_text("nothing here looks like a transcript\n")
    write_jsonl(tmp_path / "good.jsonl", 2, turns=4)
    run_batch([tmp_path], store=store, job="j", pipeline=rules_pipeline)
    again = run_batch([tmp_path], store=store, job="j", pipeline=rules_pipeline,
                      retry_failed=True)
    assert again.job.failed == 1
    assert again.skipped == 2


def test_a_transcript_that_crashes_is_collected_and_its_chunk_still_scored(
        store: JobStore, calls: Path, rules_pipeline: Pipeline) -> None:
    spy = SpyPipeline(rules_pipeline, crash_on="synth-000004")
    summary = run_batch([calls], store=store, pipeline=spy)  # type: ignore[arg-type]
    assert (summary.scored, summary.failed) == (29, 1)
    [failure] = summary.failures
    assert failure.transcript_id == "synth-000004"
    assert failure.kind == "DetectorError"


def test_on_error_raise_stops_at_the_first_bad_file(
        store: JobStore, tmp_path: Path, rules_pipeline: Pipeline) -> None:
    (tmp_path / "bad.txt").write_text("nothing here looks like a transcript\n")
    with pytest.raises(TranscriptFormatError, match="bad.txt"):
        run_batch([tmp_path / "bad.txt"], store=store, job="j", pipeline=rules_pipeline,
                  on_error="raise")
    assert store.job("j").status == "failed"


def test_unanswered_and_empty_conversations_get_scorecards(
        store: JobStore, tmp_path: Path, rules_pipeline: Pipeline) -> None:
    (tmp_path / "empty.json").write_text('{"id": "empty", "turns": []}')
    summary = run_batch([tmp_path / "empty.json", EXAMPLES / "unanswered.json"], store=store,
                        pipeline=rules_pipeline)
    assert (summary.scored, summary.failed) == (2, 0)
    for result in store.iter_results(summary.job.id):
        assert {c["status"] for c in result.scorecard["criteria"]} == {"not_answered"}


def test_repeated_ids_in_one_file_fail_after_the_first(
        store: JobStore, tmp_path: Path, rules_pipeline: Pipeline) -> None:
    [one, two] = generate_transcripts(2, turns=4)
    path = tmp_path / "dups.jsonl"
    path.write_text(json.dumps(one) + "\n" + json.dumps({**two, "id": one["id"]}) + "\n")
    summary = run_batch([path], store=store, pipeline=rules_pipeline)
    assert (summary.scored, summary.failed) == (1, 1)
    assert "repeats an id" in summary.failures[0].message


def test_every_example_format_is_scored(store: JobStore, rules_pipeline: Pipeline) -> None:
    summary = run_batch([EXAMPLES], store=store, pipeline=rules_pipeline)
    assert summary.failed == 0
    assert summary.scored >= 8


def test_inputs_expand_files_folders_and_globs(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    for name in ("x/b.jsonl", "x/a.txt", "x/.hidden.jsonl", "x/notes.md", "c.vtt"):
        (tmp_path / name).write_text("x")
    found = list(iter_input_files([tmp_path / "x", str(tmp_path / "*.vtt"), tmp_path / "c.vtt"]))
    assert [p.name for p in found] == ["a.txt", "b.jsonl", "c.vtt"]
    with pytest.raises(InputError, match=r"nope\.jsonl: no such file or folder"):
        list(iter_input_files([tmp_path / "nope.jsonl"]))
    with pytest.raises(InputError, match="the pattern matches no file"):
        list(iter_input_files([str(tmp_path / "*.srt")]))


def test_the_same_command_names_the_same_job(tmp_path: Path) -> None:
    a = default_job_name([tmp_path / "calls"], rubric="default v1", method="rules")
    assert a == default_job_name([str(tmp_path / "calls")], rubric="default v1", method="rules")
    assert a != default_job_name([tmp_path / "calls"], rubric="strict v1", method="rules")
    assert a.startswith("calls-")
    assert default_job_name(["calls/*.json"], rubric="r", method="m").startswith("batch-")


def test_bad_options_say_what_is_expected(store: JobStore, calls: Path) -> None:
    with pytest.raises(ConfigError, match="engine must be one of local, dask, ray, got 'spark'"):
        run_batch([calls], store=store, engine="spark")
    with pytest.raises(ConfigError, match="on_error must be 'raise' or 'collect'"):
        run_batch([calls], store=store, on_error="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_results_files_have_one_row_per_transcript(
        store: JobStore, calls: Path, rules_pipeline: Pipeline, tmp_path: Path,
        suffix: str) -> None:
    summary = run_batch([calls, EXAMPLES / "unanswered.json"], store=store,
                        pipeline=rules_pipeline)
    out = tmp_path / f"results{suffix}"
    assert export_job(store, summary.job.id, out) == 31
    rows = _read(out)
    assert len(rows) == 31
    # Rows come in source order, and the sources' folders differ from machine to machine.
    row = next(r for r in rows if str(r["source"]).endswith("calls.jsonl"))
    if suffix == ".jsonl":
        assert "criteria" in row
        assert "turns" in row
        return
    for column in ("transcript_id", "source", "channel", "agent", "team", "date", "participant",
                   "industry", "overall", "unique_customer_status", "unique_customer_score",
                   "acknowledge_feelings_evidence", "survey_personal_reception", "flags"):
        assert column in row
    unanswered = next(r for r in rows if r["transcript_id"] == "chat-unanswered-5521")
    assert str(unanswered["answered"]).lower() == "false"


def _read(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    import pyarrow.parquet as pq

    return list(pq.read_table(path).to_pylist())


def test_a_pipeline_of_its_own_forgets_each_chunks_words() -> None:
    from agentassist.batch import Item, score_items
    from agentassist.jobs import transcript_from_json
    from agentassist.resources import Resources
    from agentassist.rubric import load_rubric

    resources = Resources.blank()
    pipeline = Pipeline.from_resources(resources, method="rules")
    rubric = load_rubric()

    def chunk(seed: int) -> list[Item]:
        return [Item("s", i, transcript_from_json(t))
                for i, t in enumerate(generate_transcripts(5, turns=8, seed=seed))]

    score_items(pipeline, rubric, chunk(1), own_pipeline=True)
    strings = len(resources.nlp.vocab.strings)
    outcomes = score_items(pipeline, rubric, chunk(2), own_pipeline=True)
    assert len(resources.nlp.vocab.strings) == strings  # new names and numbers are gone
    assert all(o.scorecard is not None for o in outcomes)
    score_items(pipeline, rubric, chunk(3))  # shared pipeline (the service): no zone
    assert len(resources.nlp.vocab.strings) > strings
