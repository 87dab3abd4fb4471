"""Batch jobs in the database: the tables, and the one class that reads and writes them.

A job has one row in ``batch_jobs``; each scored transcript one row in ``batch_results``
keyed by (job, source, transcript id), holding the scorecard JSON and the transcript
itself (for the trainer-review pages); each transcript or file that failed one row in
``batch_failures``; each input file one row in ``batch_sources`` once all its
transcripts are stored, so a resumed job skips it without reading it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from agentassist.errors import ConfigError
from agentassist.store import Base, Store, isoformat_utc
from agentassist.transcript import Channel, Role, Transcript, Turn

logger = logging.getLogger(__name__)

#: A job's status: queued (not started), running, done, failed (stopped by an error),
#: interrupted (stopped by the user). A job killed outright stays "running" until resumed.
JOB_STATUSES: Final = ("queued", "running", "done", "failed", "interrupted")


def _now() -> datetime:
    return datetime.now(UTC)


class BatchJob(Base):
    """One batch job: its name, what it scores with, and where it stands."""

    __tablename__ = "batch_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    rubric: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(20))
    inputs: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BatchSource(Base):
    """An input file whose every transcript is stored (or failed): skipped on resume."""

    __tablename__ = "batch_sources"
    __table_args__ = (UniqueConstraint("job_id", "source", name="uq_batch_sources_job_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("batch_jobs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(1000))
    fingerprint: Mapped[str] = mapped_column(String(100))
    transcripts: Mapped[int] = mapped_column(Integer)


class BatchResult(Base):
    """One scored transcript: its scorecard JSON, the transcript, and columns to filter by."""

    __tablename__ = "batch_results"
    __table_args__ = (
        UniqueConstraint("job_id", "source", "transcript_id", name="uq_batch_results_key"),
        Index("ix_batch_results_order", "job_id", "source", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("batch_jobs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(1000))
    transcript_id: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    answered: Mapped[bool] = mapped_column(Boolean)
    overall: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean)
    scorecard: Mapped[dict[str, Any]] = mapped_column(JSON)
    transcript: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class BatchFailure(Base):
    """A transcript or a file that could not be scored, with the error (where/what/expected)."""

    __tablename__ = "batch_failures"
    __table_args__ = (Index("ix_batch_failures_job_source", "job_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("batch_jobs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(1000))
    transcript_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


# -- plain records that cross the store's boundary ------------------------------------------


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A job and its progress, as the CLI and the service show it."""

    id: int
    name: str
    rubric: str
    method: str
    status: str
    total: int | None
    scored: int
    failed: int
    message: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    inputs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the job as JSON (times in ISO 8601)."""
        return {
            "id": self.id, "name": self.name, "rubric": self.rubric, "method": self.method,
            "status": self.status, "total": self.total, "scored": self.scored,
            "failed": self.failed, "message": self.message,
            "created_at": isoformat_utc(self.created_at),
            "updated_at": isoformat_utc(self.updated_at),
            "finished_at": isoformat_utc(self.finished_at),
        }


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """One transcript's outcome to store: the scorecard and the transcript, as JSON."""

    source: str
    transcript_id: str
    position: int
    scorecard: Mapping[str, Any]
    transcript: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """A transcript (``transcript_id`` set) or a whole file that failed."""

    source: str
    message: str
    kind: str = "error"
    transcript_id: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the failure as JSON."""
        return {"source": self.source, "transcript_id": self.transcript_id,
                "line": self.line, "kind": self.kind, "message": self.message}


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A stored result read back: where it came from, its scorecard and transcript."""

    id: int
    source: str
    transcript_id: str
    scorecard: dict[str, Any]
    transcript: dict[str, Any] = field(default_factory=dict)


# -- transcripts as JSON --------------------------------------------------------------------


def transcript_to_json(transcript: Transcript) -> dict[str, Any]:
    """Return the transcript as JSON: the shape the JSON reader reads back.

    Example:
        >>> from agentassist.transcript import Role, Turn
        >>> t = Transcript("c-1", (Turn(Role.AGENT, "Hello", 0.0, 1.2, "Maria"),))
        >>> transcript_to_json(t)["turns"]
        [{'speaker': 'agent', 'text': 'Hello', 'start': 0.0, 'end': 1.2, 'name': 'Maria'}]
        >>> transcript_from_json(transcript_to_json(t)) == t
        True
    """
    return {
        "id": transcript.id,
        "channel": transcript.channel.value,
        "language": transcript.language,
        "metadata": {str(k): v if isinstance(v, str | int | float | bool | None) else str(v)
                     for k, v in transcript.metadata.items()},
        "turns": [
            {"speaker": turn.role.value, "text": turn.text, "start": turn.start, "end": turn.end,
             "name": turn.speaker}
            for turn in transcript.turns
        ],
    }


def transcript_from_json(data: Mapping[str, Any]) -> Transcript:
    """Rebuild a transcript stored by :func:`transcript_to_json`."""
    return Transcript(
        id=str(data["id"]),
        turns=tuple(Turn(Role(t["speaker"]), t["text"], t.get("start"), t.get("end"),
                         t.get("name")) for t in data["turns"]),
        channel=Channel(data.get("channel", "voice")),
        language=data.get("language", "en"),
        metadata=data.get("metadata") or {},
    )


# -- the store ------------------------------------------------------------------------------


class JobStore(Store):
    """Read and write batch jobs; every write is its own short transaction.

    Results are inserted so that a key already stored is skipped, not duplicated, even
    when two writers race (``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL).
    """

    # jobs ---------------------------------------------------------------------------------

    def open_job(self, name: str, *, rubric: str, method: str, inputs: Sequence[str],
                 status: str = "running") -> JobInfo:
        """Return the job ``name``, created if new; a resumed job must match rubric and method.

        Raises:
            ConfigError: the job exists with another rubric or method.
        """
        for attempt in range(2):
            try:
                job_id = self._open(name, rubric, method, inputs, status)
            except IntegrityError:  # another process created the job a moment ago
                if attempt:
                    raise
                continue
            break
        return self.job(job_id)

    def _open(self, name: str, rubric: str, method: str, inputs: Sequence[str],
              status: str) -> int:
        with self.sessions.begin() as session:
            job = session.scalar(select(BatchJob).where(BatchJob.name == name))
            if job is None:
                job = BatchJob(name=name, rubric=rubric, method=method, inputs=list(inputs),
                               status=status)
                session.add(job)
            elif (job.rubric, job.method) != (rubric, method):
                raise ConfigError(
                    f"job {name!r} was started with rubric {job.rubric!r} and method "
                    f"{job.method!r}, not {rubric!r} and {method!r}; expected the same "
                    "settings to resume it, or pass --job NEW-NAME to start another job"
                )
            else:
                job.status, job.message, job.finished_at = status, None, None
                job.updated_at = _now()
            session.flush()
            return job.id

    def job(self, job: int | str) -> JobInfo:
        """Return a job by id or name, with its progress.

        Raises:
            ConfigError: no such job (the message lists a few that exist).
        """
        with self.sessions() as session:
            clause = BatchJob.id == job if isinstance(job, int) else BatchJob.name == job
            row = session.scalar(select(BatchJob).where(clause))
            if row is None:
                names = session.scalars(
                    select(BatchJob.name).order_by(BatchJob.id.desc()).limit(5)).all()
                known = ", ".join(names) if names else "none yet"
                raise ConfigError(f"no batch job {job!r} in the database; recent jobs: {known}")
            return self._info(session, row)

    def jobs(self, *, limit: int = 50) -> list[JobInfo]:
        """Return the most recent jobs, newest first."""
        with self.sessions() as session:
            rows = session.scalars(select(BatchJob).order_by(BatchJob.id.desc()).limit(limit))
            return [self._info(session, row) for row in rows]

    def _info(self, session: Session, row: BatchJob) -> JobInfo:
        scored = session.scalar(select(func.count()).where(BatchResult.job_id == row.id)) or 0
        failed = session.scalar(select(func.count()).where(BatchFailure.job_id == row.id)) or 0
        return JobInfo(row.id, row.name, row.rubric, row.method, row.status, row.total, scored,
                       failed, row.message, row.created_at, row.updated_at, row.finished_at,
                       tuple(row.inputs or ()))

    def set_status(self, job_id: int, status: str, *, message: str | None = None) -> None:
        """Set a job's status (``done`` and ``failed`` also stamp ``finished_at``)."""
        if status not in JOB_STATUSES:
            raise ConfigError(
                f"job status must be one of {', '.join(JOB_STATUSES)}, got {status!r}")
        finished = _now() if status in ("done", "failed", "interrupted") else None
        with self.sessions.begin() as session:
            session.execute(update(BatchJob).where(BatchJob.id == job_id).values(
                status=status, message=message, updated_at=_now(), finished_at=finished))

    def set_total(self, job_id: int, total: int | None) -> None:
        """Record how many transcripts the job's inputs hold (for progress)."""
        with self.sessions.begin() as session:
            session.execute(update(BatchJob).where(BatchJob.id == job_id).values(
                total=total, updated_at=_now()))

    # sources ------------------------------------------------------------------------------

    def finished_source(self, job_id: int, source: str) -> tuple[str, int] | None:
        """Return ``(fingerprint, transcripts)`` of a source already finished, else None."""
        with self.sessions() as session:
            row = session.execute(
                select(BatchSource.fingerprint, BatchSource.transcripts)
                .where(BatchSource.job_id == job_id, BatchSource.source == source)).first()
            return None if row is None else (row[0], row[1])

    def has_failures(self, job_id: int, source: str) -> bool:
        """Tell whether ``source`` has failures recorded in this job."""
        with self.sessions() as session:
            return session.scalar(select(BatchFailure.id).where(
                BatchFailure.job_id == job_id, BatchFailure.source == source).limit(1)) is not None

    def stored_ids(self, job_id: int, source: str) -> set[str]:
        """Return the transcript ids of ``source`` already stored in this job."""
        with self.sessions() as session:
            return set(session.scalars(select(BatchResult.transcript_id).where(
                BatchResult.job_id == job_id, BatchResult.source == source)))

    def begin_source(self, job_id: int, source: str) -> None:
        """Forget a source's finished mark and failures before it is read (again)."""
        with self.sessions.begin() as session:
            session.execute(delete(BatchSource).where(
                BatchSource.job_id == job_id, BatchSource.source == source))
            session.execute(delete(BatchFailure).where(
                BatchFailure.job_id == job_id, BatchFailure.source == source))

    def finish_sources(self, job_id: int, finished: Iterable[tuple[str, str, int]]) -> None:
        """Mark ``(source, fingerprint, transcripts)`` as finished, in one transaction."""
        rows = [{"job_id": job_id, "source": s, "fingerprint": f, "transcripts": n}
                for s, f, n in finished]
        if not rows:
            return
        with self.sessions.begin() as session:
            for row in rows:  # few rows, and a re-run may have marked one already
                session.execute(delete(BatchSource).where(
                    BatchSource.job_id == job_id, BatchSource.source == row["source"]))
            session.execute(insert(BatchSource), rows)

    # results ------------------------------------------------------------------------------

    def save(self, job_id: int, results: Sequence[ResultRecord],
             failures: Sequence[FailureRecord] = ()) -> int:
        """Store results and failures in one transaction; return how many results were new.

        A result whose key is already stored is skipped (never duplicated).
        """
        rows = [_result_row(job_id, r) for r in results]
        with self.sessions.begin() as session:
            added = _insert_ignoring_conflicts(session, rows) if rows else 0
            if failures:
                session.execute(insert(BatchFailure), [
                    {"job_id": job_id, "source": f.source, "transcript_id": f.transcript_id,
                     "line": f.line, "kind": f.kind, "message": f.message} for f in failures])
            session.execute(update(BatchJob).where(BatchJob.id == job_id).values(updated_at=_now()))
        return added

    def count_results(self, job_id: int) -> int:
        """Return how many results the job has stored."""
        with self.sessions() as session:
            return session.scalar(select(func.count()).where(BatchResult.job_id == job_id)) or 0

    def iter_results(self, job_id: int, *, with_transcripts: bool = False,
                     batch: int = 500) -> Iterator[StoredResult]:
        """Yield the job's results in input order, streamed from the database."""
        columns = [BatchResult.id, BatchResult.source, BatchResult.transcript_id,
                   BatchResult.scorecard]
        if with_transcripts:
            columns.append(BatchResult.transcript)
        query = (select(*columns).where(BatchResult.job_id == job_id)
                 .order_by(BatchResult.source, BatchResult.position, BatchResult.id)
                 .execution_options(yield_per=batch))
        with self.sessions() as session:
            for row in session.execute(query):
                values: tuple[Any, ...] = tuple(row)
                yield StoredResult(values[0], values[1], values[2], values[3],
                                   values[4] if with_transcripts else {})

    def results_page(self, job_id: int, *, offset: int = 0, limit: int = 100) -> list[StoredResult]:
        """Return one page of results in input order."""
        query = (select(BatchResult.id, BatchResult.source, BatchResult.transcript_id,
                        BatchResult.scorecard)
                 .where(BatchResult.job_id == job_id)
                 .order_by(BatchResult.source, BatchResult.position, BatchResult.id)
                 .offset(offset).limit(limit))
        with self.sessions() as session:
            return [StoredResult(*row) for row in session.execute(query)]

    def result(self, result_id: int) -> StoredResult:
        """Return one stored result with its transcript (for the trainer-review pages).

        Raises:
            ConfigError: no result has this id.
        """
        with self.sessions() as session:
            row = session.get(BatchResult, result_id)
            if row is None:
                raise ConfigError(f"no batch result with id {result_id}")
            return StoredResult(row.id, row.source, row.transcript_id, row.scorecard,
                                row.transcript)

    def failures(self, job_id: int, *, offset: int = 0,
                 limit: int | None = None) -> list[FailureRecord]:
        """Return the job's failures in the order they were recorded."""
        query = (select(BatchFailure).where(BatchFailure.job_id == job_id)
                 .order_by(BatchFailure.id).offset(offset))
        if limit is not None:
            query = query.limit(limit)
        with self.sessions() as session:
            return [FailureRecord(f.source, f.message, f.kind, f.transcript_id, f.line)
                    for f in session.scalars(query)]


def _result_row(job_id: int, record: ResultRecord) -> dict[str, Any]:
    scorecard = record.scorecard
    criteria = scorecard.get("criteria", [])
    answered = not any(c.get("status") == "not_answered" for c in criteria)
    return {
        "job_id": job_id, "source": record.source, "transcript_id": record.transcript_id,
        "position": record.position, "channel": str(scorecard.get("channel", "")),
        "answered": answered, "overall": float(scorecard.get("overall", 0.0)),
        "flagged": bool(scorecard.get("flags")), "scorecard": dict(scorecard),
        "transcript": dict(record.transcript), "created_at": _now(),
    }


def _insert_ignoring_conflicts(session: Session, rows: list[dict[str, Any]]) -> int:
    dialect = session.get_bind().dialect.name
    key = ["job_id", "source", "transcript_id"]
    statement: Any = None
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(BatchResult).on_conflict_do_nothing(index_elements=key)
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement = postgresql_insert(BatchResult).on_conflict_do_nothing(index_elements=key)
    if statement is not None:
        # RETURNING gives one row per inserted result; rowcount is unreliable for batches.
        return len(session.connection().execute(statement.returning(BatchResult.id), rows).all())
    # Other databases: skip the keys already there, then insert the rest.
    keys = {(r["source"], r["transcript_id"]) for r in rows}
    stored = set(session.execute(select(BatchResult.source, BatchResult.transcript_id).where(
        BatchResult.job_id == rows[0]["job_id"],
        BatchResult.transcript_id.in_([k[1] for k in keys]))).tuples())
    fresh = [r for r in rows if (r["source"], r["transcript_id"]) not in stored]
    if fresh:
        session.execute(insert(BatchResult), fresh)
    return len(fresh)


__all__ = [
    "JOB_STATUSES",
    "BatchFailure",
    "BatchJob",
    "BatchResult",
    "BatchSource",
    "FailureRecord",
    "JobInfo",
    "JobStore",
    "ResultRecord",
    "StoredResult",
    "transcript_from_json",
    "transcript_to_json",
]
