"""QA batch scoring: many transcript files into the database, resumable, on one or many machines.

:func:`run_batch` reads the inputs as a stream, groups transcripts into chunks of about
``chunk_turns`` turns (so the encoder batches sentences *across* transcripts), scores
each chunk on an engine (in this process, or on Dask or Ray workers) and stores each
chunk's scorecards in one transaction, keyed by (job, source, transcript id). Killed
at any moment and run again with the same inputs, a job skips what is stored: nothing
is lost and nothing is written twice. Nothing here prints; progress goes to a callback.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import itertools
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from agentassist.errors import AgentAssistError, ConfigError, InputError, TranscriptFormatError
from agentassist.jobs import (
    FailureRecord,
    JobInfo,
    JobStore,
    ResultRecord,
    transcript_from_json,
    transcript_to_json,
)
from agentassist.pipeline import MODEL_NAME, Pipeline
from agentassist.readers import EXTENSIONS, read_records
from agentassist.rubric import Rubric, load_rubric
from agentassist.scoring import score
from agentassist.transcript import Transcript

logger = logging.getLogger(__name__)

ENGINES: Final = ("local", "dask", "ray")
CHUNK_TURNS: Final = 1024
_GLOB_CHARS: Final = frozenset("*?[")

OnError = Literal["raise", "collect"]


# -- progress and summary -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Where a running job stands; ``done`` counts transcripts stored before this run too."""

    total: int | None
    done: int
    scored: int
    skipped: int
    failed: int
    turns: int
    elapsed: float

    @property
    def turns_per_second(self) -> float:
        """Return this run's scoring rate in turns per second."""
        return self.turns / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What a run did: the job, what was scored now, skipped (stored before) and failed."""

    job: JobInfo
    scored: int
    skipped: int
    failed: int
    turns: int
    elapsed: float
    failures: tuple[FailureRecord, ...] = ()

    @property
    def turns_per_second(self) -> float:
        """Return this run's scoring rate in turns per second."""
        return self.turns / self.elapsed if self.elapsed > 0 else 0.0


ProgressCallback = Callable[[BatchProgress], None]


# -- inputs ---------------------------------------------------------------------------------


def iter_input_files(inputs: Iterable[str | Path], *,
                     any_extension: bool = False) -> Iterator[Path]:
    """Yield the transcript files named by ``inputs``: files, folders and glob patterns.

    A folder is walked recursively in name order, keeping files with a transcript
    extension (all files if ``any_extension``) and skipping hidden ones; a pattern
    (``calls/**/*.json``) is expanded in name order. A file named twice is read once.

    Raises:
        InputError: an input is missing, or a pattern or folder matches no file.
    """
    seen: set[Path] = set()
    for given in inputs:
        text = str(given)
        if _GLOB_CHARS & set(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True) if Path(m).is_file())
            if not matches:
                raise InputError(f"{text}: the pattern matches no file; expected at least one "
                                 "transcript file")
            paths: Iterable[Path] = matches
        else:
            path = Path(text)
            if path.is_dir():
                paths = _walk(path, any_extension)
            elif path.exists():
                paths = [path]
            else:
                raise InputError(f"{text}: no such file or folder; expected transcript files, "
                                 "folders or glob patterns")
        found = False
        for path in paths:
            found = True
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield resolved
        if not found:
            known = ", ".join(sorted(EXTENSIONS))
            raise InputError(f"{text}: the folder holds no transcript file; expected files "
                             f"ending in {known} (or pass --format to read every file)")


def _walk(folder: Path, any_extension: bool) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            if any_extension or Path(name).suffix.lower() in EXTENSIONS:
                yield Path(root) / name


def default_job_name(inputs: Sequence[str | Path], *, rubric: str, method: str) -> str:
    """Return a job name derived from the inputs, rubric and method.

    The same command gives the same name, so running it again resumes the job.

    Example:
        >>> name = default_job_name(["/data/calls"], rubric="default v1", method="head")
        >>> name == default_job_name(["/data/calls/"], rubric="default v1", method="head")
        True
        >>> name.startswith("calls-"), len(name)
        (True, 16)
    """
    absolute = [os.path.abspath(str(i)) for i in inputs]
    key = json.dumps({"inputs": absolute, "rubric": rubric, "method": method}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    stem = Path(str(inputs[0])).stem if inputs else "batch"
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem)
    stem = stem.strip("-.")[:40] or "batch"
    return f"{stem}-{digest}"


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


# -- what flows from the reader to the engines ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One transcript to score: which source, where in it, and the transcript."""

    source: str
    position: int
    transcript: Transcript


@dataclass(frozen=True, slots=True)
class Outcome:
    """One transcript's result (``scorecard`` set) or failure (``message`` set)."""

    source: str
    position: int
    transcript_id: str
    turns: int
    scorecard: dict[str, Any] | None = None
    transcript: dict[str, Any] | None = None
    kind: str = ""
    message: str = ""


def score_items(pipeline: Pipeline, rubric: Rubric, items: Sequence[Item], *,
                on_error: OnError = "collect", own_pipeline: bool = False) -> list[Outcome]:
    """Score a chunk of transcripts, encoding their sentences in shared batches.

    With ``on_error="collect"``, a transcript that crashes the pipeline becomes a
    failure outcome and the rest of the chunk is still scored. With ``own_pipeline``
    (no other thread uses it), the chunk runs in a spaCy memory zone, so the strings of
    its words are freed afterwards: without it every new name and number stays in the
    vocabulary, about 20 MB per thousand transcripts.
    """
    zone = getattr(pipeline.resources.nlp, "memory_zone", None) if own_pipeline else None
    with zone() if zone is not None else contextlib.nullcontext():
        return _score_items(pipeline, rubric, items, on_error)


def _score_items(pipeline: Pipeline, rubric: Rubric, items: Sequence[Item],
                 on_error: OnError) -> list[Outcome]:
    try:
        analyses = pipeline.analyse_many([item.transcript for item in items])
    except Exception as exc:
        if on_error == "raise":
            raise
        if len(items) == 1:
            return [_failure(items[0], exc)]
        # One bad transcript must not sink the chunk: find it by scoring one at a time.
        return [outcome for item in items
                for outcome in _score_items(pipeline, rubric, [item], on_error)]
    out = []
    for item, analysis in zip(items, analyses, strict=True):
        transcript = item.transcript
        try:
            scorecard = score(transcript, analysis, rubric).to_json()
        except Exception as exc:
            if on_error == "raise":
                raise
            out.append(_failure(item, exc))
            continue
        out.append(Outcome(item.source, item.position, transcript.id, len(transcript.turns),
                           scorecard, transcript_to_json(transcript)))
    return out


def _failure(item: Item, exc: BaseException) -> Outcome:
    transcript = item.transcript
    if isinstance(exc, AgentAssistError):
        message = str(exc)
    else:
        message = (f"transcript {transcript.id!r}: internal error {type(exc).__name__}: {exc}; "
                   "this is a bug in agentassist, please report it")
    logger.error("batch: transcript %r of %s failed: %s", transcript.id, item.source,
                 type(exc).__name__)
    return Outcome(item.source, item.position, transcript.id, len(transcript.turns),
                   kind=type(exc).__name__, message=message)


# -- engines --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """What a remote worker needs to build its own pipeline, once per worker process."""

    method: str = "auto"
    rubric: str | None = None
    models_dir: str | None = None
    threads: int | None = None
    on_error: OnError = "collect"


_WORKER_CACHE: dict[WorkerConfig, tuple[Pipeline, Rubric]] = {}


def _worker_pipeline(config: WorkerConfig) -> tuple[Pipeline, Rubric]:
    """Return this process's pipeline and rubric for ``config``, built on first use."""
    cached = _WORKER_CACHE.get(config)
    if cached is None:
        from agentassist.resources import Resources

        models_dir = Path(config.models_dir) if config.models_dir else None
        resources = Resources.load(models_dir=models_dir, threads=config.threads)
        cached = (Pipeline.from_resources(resources, method=config.method),
                  load_rubric(config.rubric))
        _WORKER_CACHE[config] = cached
        logger.info("batch worker %d: pipeline loaded (%s)", os.getpid(), cached[0].method)
    return cached


def score_payload(config: WorkerConfig, payload: list[tuple[str, int, dict[str, Any]]]
                  ) -> list[Outcome]:
    """Score a chunk sent to a remote worker as JSON transcripts (the worker task)."""
    pipeline, rubric = _worker_pipeline(config)
    items = [Item(source, position, transcript_from_json(data))
             for source, position, data in payload]
    return score_items(pipeline, rubric, items, on_error=config.on_error, own_pipeline=True)


def _payload(chunk: Sequence[Item]) -> list[tuple[str, int, dict[str, Any]]]:
    return [(item.source, item.position, transcript_to_json(item.transcript)) for item in chunk]


class Engine(Protocol):
    """Scores chunks somewhere and yields their outcomes, in any order."""

    name: str

    def map(self, chunks: Iterator[list[Item]]) -> Iterator[list[Outcome]]:
        """Score every chunk; keep only a bounded number in flight."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


class LocalEngine:
    """Score in this process with one pipeline (the encoder uses every core through torch)."""

    name = "local"

    def __init__(self, pipeline: Pipeline, rubric: Rubric, *, on_error: OnError,
                 own_pipeline: bool = False) -> None:
        self.pipeline, self.rubric, self.on_error = pipeline, rubric, on_error
        self.own_pipeline = own_pipeline

    def map(self, chunks: Iterator[list[Item]]) -> Iterator[list[Outcome]]:
        """Score chunk after chunk."""
        for chunk in chunks:
            yield score_items(self.pipeline, self.rubric, chunk, on_error=self.on_error,
                              own_pipeline=self.own_pipeline)

    def close(self) -> None:
        """Nothing to release."""


class _WindowedEngine:
    """Keep up to ``window`` chunks in flight on remote workers; yield results as they finish."""

    name = "remote"
    window = 4

    def map(self, chunks: Iterator[list[Item]]) -> Iterator[list[Outcome]]:
        """Submit chunks, at most ``window`` at a time, and yield each result when done."""
        pending: deque[Any] = deque()
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                    break
                pending.append(self._submit(_payload(chunk)))
            if not pending:
                return
            done, rest = self._wait_first(list(pending))
            pending = deque(rest)
            for future in done:
                yield self._result(future)

    def _submit(self, payload: list[tuple[str, int, dict[str, Any]]]) -> Any:
        raise NotImplementedError

    def _wait_first(self, futures: list[Any]) -> tuple[list[Any], list[Any]]:
        raise NotImplementedError

    def _result(self, future: Any) -> list[Outcome]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers."""


class DaskEngine(_WindowedEngine):
    """Score on Dask workers: a scheduler at ``address``, or a LocalCluster started here.

    Each worker process builds its own pipeline once (see :func:`score_payload`); the
    results come back to this process, which alone writes them to the database.
    """

    name = "dask"

    def __init__(self, config: WorkerConfig, *, address: str | None = None,
                 workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("--engine dask needs Dask: run 'pip install \"dask[distributed]\"'"
                              ) from None
        self.config = config
        self._cluster: Any = None
        self._client: Any
        if address:
            self._client = Client(address)  # type: ignore[no-untyped-call]
        else:
            count = workers or os.cpu_count() or 1
            self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None)
            self._client = Client(self._cluster)  # type: ignore[no-untyped-call]
        self.window = 2 * max(1, len(self._client.scheduler_info().get("workers", {})) or 1)

    def _submit(self, payload: list[tuple[str, int, dict[str, Any]]]) -> Any:
        return self._client.submit(score_payload, self.config, payload, pure=False)

    def _wait_first(self, futures: list[Any]) -> tuple[list[Any], list[Any]]:
        from distributed import wait

        done, rest = wait(futures, return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
        return list(done), list(rest)

    def _result(self, future: Any) -> list[Outcome]:
        result: list[Outcome] = future.result()
        return result

    def close(self) -> None:
        """Close the client, and the cluster if this engine started it."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


class RayEngine(_WindowedEngine):
    """Score on Ray workers (``ray.init(address)``, or a local Ray started here)."""

    name = "ray"

    def __init__(self, config: WorkerConfig, *, address: str | None = None,
                 workers: int | None = None) -> None:
        try:
            import ray  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            raise ConfigError("--engine ray needs Ray: run 'pip install \"ray[default]\"' "
                              "(or use --engine dask, which is much lighter)") from None
        self._ray = ray
        if not ray.is_initialized():
            ray.init(address=address, num_cpus=None if address else workers,
                     include_dashboard=False, log_to_driver=False)
        self._task = ray.remote(num_cpus=1)(score_payload)
        self.config = config
        self.window = 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _submit(self, payload: list[tuple[str, int, dict[str, Any]]]) -> Any:
        return self._task.remote(self.config, payload)

    def _wait_first(self, futures: list[Any]) -> tuple[list[Any], list[Any]]:
        done, rest = self._ray.wait(futures, num_returns=1)
        return list(done), list(rest)

    def _result(self, future: Any) -> list[Outcome]:
        result: list[Outcome] = self._ray.get(future)
        return result

    def close(self) -> None:
        """Leave Ray running if it was running before; else shut it down."""
        self._ray.shutdown()


# -- reading the inputs as a stream ---------------------------------------------------------


@dataclass
class _SourceState:
    fingerprint: str
    outstanding: int = 0
    transcripts: int = 0
    read: bool = False


@dataclass
class _Tracker:
    """What the reader saw, for the writer: open sources, failures to store, counts."""

    sources: dict[str, _SourceState] = field(default_factory=dict)
    failures: list[FailureRecord] = field(default_factory=list)
    skipped: int = 0

    def finished(self) -> list[tuple[str, str, int]]:
        done = [(name, state.fingerprint, state.transcripts)
                for name, state in self.sources.items() if state.read and state.outstanding == 0]
        for name, _, _ in done:
            del self.sources[name]
        return done


@dataclass(frozen=True, slots=True)
class _ReadOptions:
    input_format: str | None
    speaker_roles: Mapping[str, str] | None
    on_error: OnError
    retry_failed: bool


class _Reader:
    """Stream the items still to score, skipping what the job has stored."""

    def __init__(self, store: JobStore, job_id: int, files: Callable[[], Iterator[Path]],
                 names: Callable[[Path], str], options: _ReadOptions) -> None:
        self.store, self.job_id, self.files, self.names = store, job_id, files, names
        self.options = options
        self.tracker = _Tracker()

    def _finished(self, path: Path, name: str) -> tuple[str, int] | None:
        finished = self.store.finished_source(self.job_id, name)
        if finished is None or finished[0] != _fingerprint(path):
            return None
        if self.options.retry_failed and self.store.has_failures(self.job_id, name):
            return None
        return finished

    def count(self) -> int:
        """Count the transcripts of every input (stored counts for finished files)."""
        total = 0
        for path in self.files():
            finished = self._finished(path, self.names(path))
            if finished is not None:
                total += finished[1]
                continue
            try:
                for _ in self._read(path):
                    total += 1
            except AgentAssistError:
                continue  # reported when the file is read for scoring
        return total

    def _read(self, path: Path) -> Iterator[Transcript | TranscriptFormatError]:
        return read_records(path, format=self.options.input_format,
                            speaker_roles=self.options.speaker_roles)

    def items(self) -> Iterator[Item]:
        """Yield every transcript not yet stored; failures of reading go to the tracker."""
        for path in self.files():
            name = self.names(path)
            finished = self._finished(path, name)
            if finished is not None:
                self.tracker.skipped += finished[1]
                continue
            self.store.begin_source(self.job_id, name)
            state = _SourceState(_fingerprint(path))
            self.tracker.sources[name] = state
            stored = self.store.stored_ids(self.job_id, name)
            seen: set[str] = set()
            position = -1
            try:
                for position, transcript in enumerate(self._read(path)):
                    state.transcripts += 1
                    if isinstance(transcript, TranscriptFormatError):
                        if self.options.on_error == "raise":
                            raise transcript
                        # One bad line or list item: reported, and the file read on.
                        self.tracker.failures.append(_read_failure(name, transcript, 0))
                        continue
                    if transcript.id in seen:
                        self._duplicate(name, transcript.id, position)
                        continue
                    seen.add(transcript.id)
                    if transcript.id in stored:
                        self.tracker.skipped += 1
                        continue
                    state.outstanding += 1
                    yield Item(name, position, transcript)
            except AgentAssistError as exc:
                if self.options.on_error == "raise":
                    raise
                self.tracker.failures.append(_read_failure(name, exc, position + 1))
            state.read = True

    def _duplicate(self, name: str, transcript_id: str, position: int) -> None:
        message = (f"{name}: transcript {transcript_id!r} (number {position + 1} in the file) "
                   "repeats an id seen earlier in the file; expected unique ids within a "
                   "file; the first one was scored")
        if self.options.on_error == "raise":
            raise TranscriptFormatError(message)
        self.tracker.failures.append(FailureRecord(name, message, "DuplicateTranscriptId",
                                                   transcript_id))


def _read_failure(name: str, exc: AgentAssistError, read: int) -> FailureRecord:
    line = getattr(exc, "line", None)
    transcript_id = getattr(exc, "transcript_id", None)
    message = str(exc)
    if read:
        message += (f" (the {read} transcript(s) before this point were scored; the rest of "
                    "the file was not read)")
    return FailureRecord(name, message, type(exc).__name__, transcript_id, line)


def _chunks(items: Iterator[Item], chunk_turns: int,
            stop: threading.Event | None = None) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    turns = 0
    for item in items:
        if stop is not None and stop.is_set():
            return
        chunk.append(item)
        turns += max(1, len(item.transcript.turns))
        if turns >= chunk_turns:
            yield chunk
            chunk, turns = [], 0
    if chunk:
        yield chunk


# -- the driver -----------------------------------------------------------------------------


def rubric_label(rubric: Rubric) -> str:
    """Return how a job records its rubric: ``"<name> v<version>"``."""
    return f"{rubric.name} v{rubric.version}"


def resolve_method(method: str, models_dir: Path | None = None) -> str:
    """Return ``head`` or ``rules``: what ``auto`` means with the models present."""
    if method not in ("auto", "head", "rules"):
        raise ConfigError(f"method must be 'auto', 'head' or 'rules', got {method!r}")
    if method != "auto":
        return method
    from agentassist.resources import Resources, default_models_dir

    resources = Resources(nlp=None, models_dir=models_dir or default_models_dir())
    return "head" if resources.has_model(MODEL_NAME) else "rules"


def run_batch(
    inputs: Sequence[str | Path],
    *,
    store: JobStore,
    job: str | None = None,
    rubric: str | Path | Rubric | None = None,
    input_format: str | None = None,
    speaker_roles: Mapping[str, str] | None = None,
    method: str = "auto",
    engine: str = "local",
    address: str | None = None,
    workers: int | None = None,
    pipeline: Pipeline | None = None,
    on_error: OnError = "collect",
    progress: ProgressCallback | None = None,
    chunk_turns: int = CHUNK_TURNS,
    retry_failed: bool = False,
    count_first: bool = True,
    source_names: Callable[[Path], str] | None = None,
    stop: threading.Event | None = None,
) -> BatchSummary:
    """Score every transcript of ``inputs`` into the job's tables; resume if it exists.

    Args:
        inputs: transcript files, folders and glob patterns (any reader format).
        store: the database to write to.
        job: the job's name; default :func:`default_job_name` of inputs, rubric, method.
        rubric: a rubric YAML file or a loaded rubric (default: the packaged checklist).
        input_format: a reader format, instead of sniffing each file.
        speaker_roles: speaker name → role, passed to the readers.
        method: ``auto``, ``head`` or ``rules`` (ignored when ``pipeline`` is given).
        engine: ``local`` (this process), ``dask`` or ``ray``.
        address: the scheduler of an existing Dask or Ray cluster (default: start one).
        workers: worker processes for a cluster started here (default: one per core).
        pipeline: an already loaded pipeline for the local engine (the service's, tests').
        on_error: ``collect`` failures as rows and go on, or ``raise`` on the first.
        progress: called after every stored chunk.
        chunk_turns: about how many turns to score together (the encoder's batches
            are filled across transcripts).
        retry_failed: read again files that had failures, even when unchanged.
        count_first: count the transcripts first, so progress has a total.
        source_names: how a file is named in the results (default: its absolute path).
        stop: when set, the job stops after the chunk in hand, as ``interrupted``
            (a service shutting down); running it again resumes it.

    Returns:
        What this run scored, skipped and failed, with the job's first failures.

    Raises:
        InputError: an input is missing; with ``on_error="raise"``, a bad transcript.
        ConfigError: a bad option, or the job exists with another rubric or method.
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if on_error not in ("raise", "collect"):
        raise ConfigError(f"on_error must be 'raise' or 'collect', got {on_error!r}")
    if chunk_turns < 1:
        raise ConfigError(f"chunk_turns must be at least 1, got {chunk_turns}")
    if not inputs:
        raise InputError("no inputs given; expected transcript files, folders or glob patterns")
    if isinstance(rubric, Rubric):
        checklist, rubric_path = rubric, None
    else:
        checklist = load_rubric(rubric)
        rubric_path = str(Path(rubric).resolve()) if rubric is not None else None
    if engine != "local" and isinstance(rubric, Rubric):
        raise ConfigError(f"engine {engine!r} loads the rubric on each worker: pass it as a "
                          "file path, not a loaded Rubric")
    resolved = pipeline.method if pipeline is not None else resolve_method(method)

    def files() -> Iterator[Path]:
        return iter_input_files(inputs, any_extension=input_format is not None)

    for _ in files():  # a missing input fails now, before a job is created
        pass
    name = job or default_job_name(inputs, rubric=rubric_path or rubric_label(checklist),
                                   method=resolved)
    info = store.open_job(name, rubric=rubric_label(checklist), method=resolved,
                          inputs=[str(i) for i in inputs])
    reader = _Reader(store, info.id, files, source_names or str,
                     _ReadOptions(input_format, speaker_roles, on_error, retry_failed))
    started = time.monotonic()
    config = WorkerConfig(method=resolved, rubric=rubric_path,
                          threads=1 if engine != "local" else None, on_error=on_error)
    factory = functools.partial(_engine, engine, pipeline, checklist, config, address=address,
                                workers=workers)
    try:
        total = reader.count() if count_first else None
        store.set_total(info.id, total)
        counts = _drive(store, info.id, reader, factory, total, chunk_turns, progress, started,
                        stop)
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        store.set_status(info.id, status, message=str(exc) or type(exc).__name__)
        raise
    failed_total = store.job(info.id).failed
    message = f"{failed_total} transcript(s) or file(s) failed" if failed_total else None
    if stop is not None and stop.is_set():
        store.set_status(info.id, "interrupted", message="stopped before the end; run it "
                         "again to resume")
    else:
        store.set_status(info.id, "done", message=message)
    return BatchSummary(store.job(info.id), counts[0], reader.tracker.skipped, counts[1],
                        counts[2], time.monotonic() - started,
                        tuple(store.failures(info.id, limit=50)))


def _engine(name: str, pipeline: Pipeline | None, rubric: Rubric, config: WorkerConfig, *,
            address: str | None, workers: int | None) -> Engine:
    if name == "local":
        if pipeline is not None:  # the caller's: maybe shared with other threads
            return LocalEngine(pipeline, rubric, on_error=config.on_error)
        from agentassist.resources import Resources

        own = Pipeline.from_resources(Resources.load(), method=config.method)
        return LocalEngine(own, rubric, on_error=config.on_error, own_pipeline=True)
    if name == "dask":
        return DaskEngine(config, address=address, workers=workers)
    return RayEngine(config, address=address, workers=workers)


def _scored(factory: Callable[[], Engine], chunks: Iterator[list[Item]]
            ) -> Iterator[list[Outcome]]:
    """Start the engine only when there is something to score (a resumed job may have none)."""
    first = next(chunks, None)
    if first is None:
        return
    engine = factory()
    try:
        yield from engine.map(itertools.chain([first], chunks))
    finally:
        engine.close()


def _drive(store: JobStore, job_id: int, reader: _Reader, factory: Callable[[], Engine],
           total: int | None, chunk_turns: int, progress: ProgressCallback | None,
           started: float, stop: threading.Event | None = None) -> tuple[int, int, int]:
    tracker = reader.tracker
    scored = failed = turns = 0

    def report() -> None:
        if progress is not None:
            progress(BatchProgress(total, tracker.skipped + scored + failed, scored,
                                   tracker.skipped, failed, turns, time.monotonic() - started))

    def store_failures() -> None:
        nonlocal failed
        if tracker.failures:
            failed += len(tracker.failures)
            store.save(job_id, [], tracker.failures)
            tracker.failures = []

    for outcomes in _scored(factory, _chunks(reader.items(), chunk_turns, stop)):
        results = [ResultRecord(o.source, o.transcript_id, o.position, o.scorecard,
                                o.transcript or {})
                   for o in outcomes if o.scorecard is not None]
        failures = [FailureRecord(o.source, o.message, o.kind, o.transcript_id)
                    for o in outcomes if o.scorecard is None]
        failures += tracker.failures
        tracker.failures = []
        scored += store.save(job_id, results, failures)
        failed += len(failures)
        turns += sum(o.turns for o in outcomes)
        for outcome in outcomes:
            tracker.sources[outcome.source].outstanding -= 1
        store.finish_sources(job_id, tracker.finished())
        report()
    # Files read to the end with nothing left to score (all stored before, or failed).
    store_failures()
    store.finish_sources(job_id, tracker.finished())
    report()
    return scored, failed, turns


def _job_records(store: JobStore, job_id: int) -> Iterator[tuple[str, dict[str, Any]]]:
    for result in store.iter_results(job_id):
        yield result.source, result.scorecard


def export_job(store: JobStore, job_id: int, path: str | Path) -> int:
    """Write a job's results to ``path`` (.jsonl, .csv or .parquet), streamed from the database.

    Returns:
        How many rows were written.
    """
    from agentassist.export import write_results

    return write_results(functools.partial(_job_records, store, job_id), path)


__all__ = [
    "ENGINES",
    "BatchProgress",
    "BatchSummary",
    "DaskEngine",
    "Engine",
    "Item",
    "LocalEngine",
    "Outcome",
    "RayEngine",
    "WorkerConfig",
    "default_job_name",
    "export_job",
    "iter_input_files",
    "resolve_method",
    "rubric_label",
    "run_batch",
    "score_items",
    "score_payload",
]
