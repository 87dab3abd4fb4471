"""Batch jobs over REST: upload transcripts, poll progress, fetch results and failures.

Jobs run one at a time in a background thread of the service (never on the event loop),
with the service's own pipeline and rubric, and write to the service's database as the
``agentassist batch`` command does; a job stopped by a shutdown resumes at the next start.
Uploads are kept in ``<data folder>/jobs/<job name>/`` until their job is done.
"""

from __future__ import annotations

import functools
import logging
import queue
import re
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from agentassist.batch import rubric_label, run_batch
from agentassist.errors import AgentAssistError, ConfigError, InputError
from agentassist.export import iter_csv
from agentassist.jobs import JobInfo, JobStore
from agentassist.pipeline import Pipeline
from agentassist.rubric import Rubric
from service.schemas import TranscriptIn
from service.settings import data_dir

logger = logging.getLogger(__name__)

SERVICE_CHUNK_TURNS = 256  # small chunks: live sessions share the encoder with the job
MAX_PAGE = 1000


class JobRunner:
    """Run batch jobs one after another in a daemon thread, off the event loop."""

    def __init__(self, store: JobStore, pipeline: Pipeline, rubric: Rubric, spool: Path) -> None:
        self.store, self.pipeline, self.rubric, self.spool = store, pipeline, rubric, spool
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="agentassist-batch-jobs",
                                        daemon=True)

    def start(self) -> None:
        """Start the worker and queue the jobs a shutdown left unfinished."""
        self._thread.start()
        for job in reversed(self.store.jobs(limit=200)):
            unfinished = job.status in ("queued", "running", "interrupted")
            if unfinished and self.folder(job.name).is_dir():
                self.submit(job.name)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the chunk in hand (the job resumes at the next start)."""
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def folder(self, name: str) -> Path:
        """Return the folder holding job ``name``'s uploads."""
        return self.spool / name

    def submit(self, name: str) -> None:
        """Queue job ``name`` (its uploads are in :meth:`folder`)."""
        self._queue.put(name)

    def _work(self) -> None:
        while not self._stop.is_set():
            name = self._queue.get()
            if name is None:
                return
            folder = self.folder(name)
            try:
                run_batch([folder], store=self.store, job=name, rubric=self.rubric,
                          pipeline=self.pipeline, chunk_turns=SERVICE_CHUNK_TURNS,
                          source_names=_relative_to(folder), stop=self._stop)
            except AgentAssistError as exc:  # recorded on the job row by run_batch
                logger.warning("batch job %s failed: %s", name, type(exc).__name__)
                continue
            except Exception:
                logger.exception("batch job %s crashed", name)
                continue
            if not self._stop.is_set():
                shutil.rmtree(folder, ignore_errors=True)


class _RelativeName:
    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def __call__(self, path: Path) -> str:
        return path.resolve().relative_to(self.folder).as_posix()


def _relative_to(folder: Path) -> _RelativeName:
    return _RelativeName(folder)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = getattr(app.state, "agentassist", None)
    runner = None
    if state is not None:
        store = JobStore.from_url(state.settings.database_url)
        runner = JobRunner(store, state.pipeline, state.rubric, data_dir() / "jobs")
        runner.start()
        app.state.agentassist_jobs = runner
    try:
        yield
    finally:
        if runner is not None:
            runner.stop()
            runner.store.close()
            del app.state.agentassist_jobs


router = APIRouter(tags=["batch jobs"], lifespan=_lifespan)


def get_job_runner(conn: HTTPConnection) -> JobRunner:
    """Return the service's batch-job runner (started by the lifespan)."""
    runner = getattr(conn.app.state, "agentassist_jobs", None)
    if not isinstance(runner, JobRunner):
        raise HTTPException(503, "batch jobs are not available yet; try again shortly")
    return runner


RunnerDep = Annotated[JobRunner, Depends(get_job_runner)]


# -- schemas --------------------------------------------------------------------------------


class JobOut(BaseModel):
    """A job and its progress."""

    id: int
    name: str
    status: Literal["queued", "running", "done", "failed", "interrupted"]
    rubric: str
    method: str
    total: int | None = Field(description="transcripts in the inputs (null until counted)")
    scored: int
    failed: int
    progress: float | None = Field(description="share done, 0 to 1 (null until counted)")
    message: str | None
    created_at: str | None
    updated_at: str | None
    finished_at: str | None
    links: dict[str, str]

    @classmethod
    def from_info(cls, info: JobInfo) -> JobOut:
        """Return the wire form of a job."""
        data = info.to_json()
        done = info.scored + info.failed
        progress = None if not info.total else min(1.0, done / info.total)
        if info.status == "done":
            progress = 1.0
        base = f"/v1/jobs/{info.id}"
        return cls(**data, progress=progress, links={
            "self": base, "results": f"{base}/results", "csv": f"{base}/results?format=csv",
            "failures": f"{base}/failures"})


class JobTranscriptsIn(BaseModel):
    """Transcripts as JSON, scored as one job."""

    transcripts: list[TranscriptIn] = Field(min_length=1)
    name: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9][\w.-]*$")


class ResultsPage(BaseModel):
    """One page of a job's results: scorecard JSON plus ``source`` and ``result_id``."""

    job: int
    offset: int
    limit: int
    total: int
    items: list[dict[str, Any]]
    next_offset: int | None


class FailureOut(BaseModel):
    """A transcript or file that could not be scored, and why."""

    source: str
    transcript_id: str | None
    line: int | None
    kind: str
    message: str


class FailuresPage(BaseModel):
    """The failures of a job."""

    job: int
    items: list[FailureOut]


# -- routes ---------------------------------------------------------------------------------


_UNSAFE = re.compile(r"[^\w.-]+")


def _safe_name(filename: str | None, index: int, taken: set[str]) -> str:
    name = _UNSAFE.sub("_", Path(filename or "").name).strip("._") or f"upload-{index}"
    if name in taken:
        name = f"{index}-{name}"
    taken.add(name)
    return name


def _new_job(runner: JobRunner, name: str | None, inputs: list[str]) -> JobInfo:
    name = name or f"upload-{uuid.uuid4().hex[:12]}"
    if runner.folder(name).exists() or _exists(runner.store, name):
        raise InputError(f"a job named {name!r} already exists; expected a new name")
    return runner.store.open_job(name, rubric=rubric_label(runner.rubric),
                                 method=runner.pipeline.method, inputs=inputs, status="queued")


def _exists(store: JobStore, name: str) -> bool:
    try:
        store.job(name)
    except ConfigError:
        return False
    return True


def _job(runner: JobRunner, job_id: int) -> JobInfo:
    try:
        return runner.store.job(job_id)
    except ConfigError:
        raise HTTPException(404, f"no batch job {job_id}") from None


@router.post("/v1/jobs", status_code=202)
def create_job_from_files(
    runner: RunnerDep,
    files: Annotated[list[UploadFile], File(description="Transcript files in any format.")],
    name: Annotated[str | None, Form(max_length=100, pattern=r"^[A-Za-z0-9][\w.-]*$")] = None,
) -> JobOut:
    """Upload transcript files (any reader format) and score them as a background job."""
    taken: set[str] = set()
    names = [_safe_name(f.filename, i, taken) for i, f in enumerate(files)]
    info = _new_job(runner, name, names)
    folder = runner.folder(info.name)
    folder.mkdir(parents=True)
    for upload, filename in zip(files, names, strict=True):
        with (folder / filename).open("wb") as handle:
            shutil.copyfileobj(upload.file, handle, 1024 * 1024)
    runner.submit(info.name)
    return JobOut.from_info(info)


@router.post("/v1/jobs/transcripts", status_code=202)
def create_job_from_json(runner: RunnerDep, body: JobTranscriptsIn) -> JobOut:
    """Score transcripts sent as JSON (the ``/v1/score`` shape) as a background job."""
    info = _new_job(runner, body.name, ["transcripts.jsonl"])
    folder = runner.folder(info.name)
    folder.mkdir(parents=True)
    with (folder / "transcripts.jsonl").open("w", encoding="utf-8") as handle:
        for transcript in body.transcripts:
            handle.write(transcript.model_dump_json() + "\n")
    runner.submit(info.name)
    return JobOut.from_info(info)


@router.get("/v1/jobs")
def list_jobs(runner: RunnerDep,
              limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[JobOut]:
    """List the most recent jobs, newest first."""
    return [JobOut.from_info(info) for info in runner.store.jobs(limit=limit)]


@router.get("/v1/jobs/{job_id}")
def get_job(runner: RunnerDep, job_id: int) -> JobOut:
    """Return a job's status and progress."""
    return JobOut.from_info(_job(runner, job_id))


@router.get("/v1/jobs/{job_id}/results", response_model=None)
def get_results(
    runner: RunnerDep, job_id: int,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> ResultsPage | StreamingResponse:
    """Return a page of results as JSON, or every result as CSV (``format=csv``)."""
    info = _job(runner, job_id)
    if format == "csv":
        return StreamingResponse(
            iter_csv(functools.partial(_records, runner.store, info.id)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{info.name}.csv"'})
    page = runner.store.results_page(info.id, offset=offset, limit=limit)
    items = [{**r.scorecard, "source": r.source, "result_id": r.id} for r in page]
    following = offset + len(items)
    return ResultsPage(job=info.id, offset=offset, limit=limit, total=info.scored, items=items,
                       next_offset=following if following < info.scored else None)


def _records(store: JobStore, job_id: int) -> Iterator[tuple[str, dict[str, Any]]]:
    for result in store.iter_results(job_id):
        yield result.source, result.scorecard


@router.get("/v1/jobs/{job_id}/failures")
def get_failures(
    runner: RunnerDep, job_id: int,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> FailuresPage:
    """Return the transcripts and files of a job that could not be scored."""
    info = _job(runner, job_id)
    failures = runner.store.failures(info.id, offset=offset, limit=limit)
    return FailuresPage(job=info.id, items=[FailureOut(**f.to_json()) for f in failures])
