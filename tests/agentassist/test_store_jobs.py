"""The batch-job store against SQLite and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agentassist.errors import ConfigError
from agentassist.jobs import (
    BatchResult,
    FailureRecord,
    JobStore,
    ResultRecord,
    transcript_from_json,
    transcript_to_json,
)
from agentassist.store import Base, make_engine, make_sessionmaker
from agentassist.transcript import Channel, Role, Transcript, Turn
from tests.postgres import pg_url, postgres_server  # noqa: F401


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(database_url: str) -> Iterator[JobStore]:
    with JobStore.from_url(database_url) as opened:
        yield opened


def _record(tid: str, position: int = 0, source: str = "calls.jsonl") -> ResultRecord:
    scorecard = {"transcript_id": tid, "channel": "chat", "overall": 0.5,
                 "criteria": [{"id": "lead_dialogue", "status": "met", "score": 1.0}],
                 "flags": [], "survey": {"competent": True}}
    return ResultRecord(source, tid, position, scorecard, {"id": tid, "turns": []})


def test_store_creates_tables_on_the_shared_base(database_url: str) -> None:
    engine = make_engine(database_url)
    make_sessionmaker(engine)
    engine.dispose()
    assert {"batch_jobs", "batch_results", "batch_failures", "batch_sources"} <= set(
        Base.metadata.tables)


def test_saving_the_same_key_twice_stores_it_once(store: JobStore) -> None:
    job = store.open_job("j1", rubric="default v1", method="rules", inputs=["calls.jsonl"])
    assert store.save(job.id, [_record("a", 0), _record("b", 1)]) == 2
    assert store.save(job.id, [_record("b", 1), _record("c", 2)]) == 1
    with store.sessions() as session:
        count = session.scalar(select(func.count()).select_from(BatchResult))
    assert count == 3
    assert [r.transcript_id for r in store.iter_results(job.id)] == ["a", "b", "c"]


def test_same_transcript_id_in_two_sources_is_two_results(store: JobStore) -> None:
    job = store.open_job("j1", rubric="default v1", method="rules", inputs=["x"])
    store.save(job.id, [_record("a", source="one.jsonl"), _record("a", source="two.jsonl")])
    assert store.count_results(job.id) == 2


def test_resuming_a_job_with_another_rubric_is_refused(store: JobStore) -> None:
    store.open_job("weekly", rubric="default v1", method="rules", inputs=["x"])
    again = store.open_job("weekly", rubric="default v1", method="rules", inputs=["x"])
    assert again.status == "running"
    with pytest.raises(ConfigError, match=r"job 'weekly' was started with rubric 'default v1'"):
        store.open_job("weekly", rubric="strict v2", method="rules", inputs=["x"])


def test_unknown_job_names_recent_ones(store: JobStore) -> None:
    store.open_job("monday", rubric="default v1", method="rules", inputs=["x"])
    with pytest.raises(ConfigError, match=r"no batch job 'tuesday'.*monday"):
        store.job("tuesday")


def test_progress_counts_results_and_failures(store: JobStore) -> None:
    job = store.open_job("j", rubric="default v1", method="rules", inputs=["x"])
    store.set_total(job.id, 3)
    store.save(job.id, [_record("a")], [FailureRecord("bad.txt", "bad.txt:3: broken", "E")])
    store.set_status(job.id, "done")
    info = store.job(job.id)
    assert (info.status, info.total, info.scored, info.failed) == ("done", 3, 1, 1)
    assert info.to_json()["finished_at"].endswith("+00:00")
    assert store.failures(job.id)[0].to_json()["message"] == "bad.txt:3: broken"


def test_finished_sources_are_remembered_and_forgotten(store: JobStore) -> None:
    job = store.open_job("j", rubric="default v1", method="rules", inputs=["x"])
    store.finish_sources(job.id, [("a.jsonl", "10:1", 4)])
    store.finish_sources(job.id, [("a.jsonl", "10:2", 5)])  # re-marking replaces it
    assert store.finished_source(job.id, "a.jsonl") == ("10:2", 5)
    store.save(job.id, [], [FailureRecord("a.jsonl", "broken")])
    assert store.has_failures(job.id, "a.jsonl")
    store.begin_source(job.id, "a.jsonl")
    assert store.finished_source(job.id, "a.jsonl") is None
    assert not store.has_failures(job.id, "a.jsonl")


def test_stored_transcript_round_trips_for_review(store: JobStore) -> None:
    transcript = Transcript(
        "c-9", (Turn(Role.CUSTOMER, "My bill is wrong.", 0.0, 2.5, "Caller"),
                Turn(Role.AGENT, "I'm sorry, let's fix it.", 3.0, 5.0, "Maria")),
        channel=Channel.VOICE, metadata={"agent": "Maria", "team": "Billing"})
    job = store.open_job("j", rubric="default v1", method="rules", inputs=["x"])
    record = _record("c-9")
    store.save(job.id, [ResultRecord("calls.jsonl", "c-9", 0, record.scorecard,
                                     transcript_to_json(transcript))])
    [stored] = store.results_page(job.id)
    assert transcript_from_json(store.result(stored.id).transcript) == transcript
    with pytest.raises(ConfigError, match="no batch result with id 999"):
        store.result(999)
