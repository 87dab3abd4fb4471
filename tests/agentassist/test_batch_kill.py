"""A batch job killed with SIGKILL part-way resumes: every transcript stored exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select

from agentassist.jobs import BatchResult, JobStore
from agentassist.synth import write_jsonl
from tests.postgres import pg_url, postgres_server  # noqa: F401

COUNT = 400


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return str(request.getfixturevalue("pg_url"))


def _counts(store: JobStore) -> tuple[int, int]:
    with store.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(BatchResult)) or 0
        keys = session.scalar(select(func.count(distinct(BatchResult.transcript_id)))) or 0
    return rows, keys


def test_killed_batch_resumes_with_exactly_one_result_per_transcript(
        database_url: str, tmp_path: Path) -> None:
    calls = write_jsonl(tmp_path / "calls.jsonl", COUNT, turns=12, seed=11)
    out = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "agentassist", "batch", str(calls), "--out", str(out),
               "--database", database_url, "--method", "rules", "--chunk-turns", "48"]
    env = {**os.environ, "AGENTASSIST_MODELS_DIR": str(tmp_path / "no-models")}
    store = JobStore.from_url(database_url)
    try:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline and process.poll() is None:
            stored = _counts(store)[0]
            if stored >= 10:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the batch finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()
        assert process.returncode == -signal.SIGKILL
        killed_at = _counts(store)[0]
        assert 10 <= killed_at < COUNT

        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert f"{killed_at} already stored" in done.stderr.replace("\n", " ")
        assert _counts(store) == (COUNT, COUNT)
        ids = [json.loads(line)["transcript_id"] for line in out.read_text().splitlines()]
        assert ids == [f"synth-{i:06d}" for i in range(COUNT)]
        assert store.jobs()[0].status == "done"
    finally:
        store.close()
