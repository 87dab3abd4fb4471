"""Batch jobs over REST: upload, poll, results (JSON pages and CSV), failures."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agentassist.resources import Resources
from agentassist.synth import generate_transcripts
from service.main import create_app
from tests.service.conftest import EXAMPLES, make_settings


@pytest.fixture
def jobs_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    app = create_app(make_settings(tmp_path), resources=Resources.blank())
    with TestClient(app) as client:
        yield client


def _wait(client: TestClient, job_id: int, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_uploaded_files_are_scored_in_the_background(jobs_client: TestClient) -> None:
    synthetic = "\n".join(json.dumps(t) for t in generate_transcripts(12, turns=8, seed=2))
    files = [
        ("files", ("calls.jsonl", synthetic.encode(), "application/json")),
        ("files", ("good_call.txt", (EXAMPLES / "good_call.txt").read_bytes(), "text/plain")),
        ("files", ("broken.txt", b"no transcript in here\n", "text/plain")),
    ]
    created = jobs_client.post("/v1/jobs", files=files)
    assert created.status_code == 202
    job = created.json()
    assert job["status"] in ("queued", "running", "done")
    assert job["links"]["results"] == f"/v1/jobs/{job['id']}/results"
    done = _wait(jobs_client, job["id"])
    assert (done["status"], done["scored"], done["failed"], done["progress"]) == (
        "done", 13, 1, 1.0)

    page = jobs_client.get(f"/v1/jobs/{job['id']}/results", params={"limit": 5}).json()
    assert (page["total"], len(page["items"]), page["next_offset"]) == (13, 5, 5)
    first = page["items"][0]
    assert first["source"] == "calls.jsonl"
    assert "criteria" in first
    assert first["result_id"]
    last = jobs_client.get(f"/v1/jobs/{job['id']}/results",
                           params={"offset": 10, "limit": 5}).json()
    assert len(last["items"]) == 3
    assert last["next_offset"] is None

    failures = jobs_client.get(f"/v1/jobs/{job['id']}/failures").json()["items"]
    assert [f["source"] for f in failures] == ["broken.txt"]
    assert "expected" in failures[0]["message"]


def test_results_download_as_csv(jobs_client: TestClient) -> None:
    body = {"transcripts": list(generate_transcripts(4, turns=6, seed=4)), "name": "csv-job"}
    job = jobs_client.post("/v1/jobs/transcripts", json=body).json()
    assert job["name"] == "csv-job"
    _wait(jobs_client, job["id"])
    response = jobs_client.get(f"/v1/jobs/{job['id']}/results", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["transcript_id"] for r in rows] == [f"synth-{i:06d}" for i in range(4)]
    assert {"agent", "team", "overall", "lead_dialogue_status", "survey_engaged"} <= set(rows[0])


def test_jobs_are_listed_newest_first(jobs_client: TestClient) -> None:
    one = jobs_client.post("/v1/jobs/transcripts", json={
        "transcripts": list(generate_transcripts(1, turns=4))}).json()
    two = jobs_client.post("/v1/jobs/transcripts", json={
        "transcripts": list(generate_transcripts(1, turns=4, seed=1))}).json()
    listed = [j["id"] for j in jobs_client.get("/v1/jobs").json()]
    assert listed[:2] == [two["id"], one["id"]]


def test_bad_requests_say_what_is_wrong(jobs_client: TestClient) -> None:
    assert jobs_client.get("/v1/jobs/999").json() == {"detail": "no batch job 999"}
    assert jobs_client.get("/v1/jobs/999/results").status_code == 404
    assert jobs_client.post("/v1/jobs/transcripts", json={"transcripts": []}).status_code == 422
    assert jobs_client.post("/v1/jobs", files=[]).status_code == 422
    first = jobs_client.post("/v1/jobs/transcripts", json={
        "name": "same", "transcripts": list(generate_transcripts(1, turns=4))})
    assert first.status_code == 202
    _wait(jobs_client, first.json()["id"])
    again = jobs_client.post("/v1/jobs/transcripts", json={
        "name": "same", "transcripts": list(generate_transcripts(1, turns=4))})
    assert again.status_code == 422
    assert "'same' already exists" in again.json()["detail"]


def test_a_job_left_unfinished_resumes_when_the_service_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agentassist.batch import rubric_label
    from agentassist.jobs import JobStore
    from agentassist.rubric import load_rubric

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    settings = make_settings(tmp_path)
    folder = tmp_path / "data" / "agentassist" / "jobs" / "left-over"
    folder.mkdir(parents=True)
    (folder / "calls.jsonl").write_text(
        "\n".join(json.dumps(t) for t in generate_transcripts(3, turns=4)) + "\n")
    with JobStore.from_url(settings.database_url) as store:  # as a shutdown left it
        store.open_job("left-over", rubric=rubric_label(load_rubric()), method="rules",
                       inputs=["calls.jsonl"], status="interrupted")
    app = create_app(settings, resources=Resources.blank())
    with TestClient(app) as client:
        [job] = client.get("/v1/jobs").json()
        done = _wait(client, job["id"])
    assert (done["name"], done["status"], done["scored"]) == ("left-over", "done", 3)
    assert not folder.exists()  # uploads go once their job is done
