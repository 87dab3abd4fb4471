"""TurnBatcher: one worker that analyses the turns of every session in shared batches.

Sessions (and the score route) submit jobs and await a future; the worker takes what
is waiting (up to ``max_batch``, after a short wait for more) and runs the pipeline in a
thread, so the encoder and the heads never run on the event loop. Only ids are logged,
never turn text: transcripts are personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from agentassist.errors import AgentAssistError
from agentassist.pipeline import Pipeline, TurnAnalysis
from agentassist.transcript import Turn

logger = logging.getLogger(__name__)


class AnalysisFailed(AgentAssistError, RuntimeError):
    """The pipeline failed on a turn (a bug or a broken model); the details are logged."""


class BatcherStopped(AgentAssistError, RuntimeError):
    """The batching worker is not running (the service is starting or shutting down)."""


@dataclass(slots=True)
class _Job:
    session: str
    transcript_id: str
    index: int
    turn: Turn
    history: tuple[Turn, ...]
    future: asyncio.Future[TurnAnalysis] = field(repr=False)


@dataclass(slots=True)
class BatchStats:
    """Counters for the health endpoint and the benchmark."""

    batches: int = 0
    turns: int = 0
    failures: int = 0
    largest: int = 0
    busy_seconds: float = 0.0


class TurnBatcher:
    """Gather turns from all sessions and analyse them together, off the event loop."""

    def __init__(self, pipeline: Pipeline, *, max_batch: int = 64,
                 max_wait: float = 0.002) -> None:
        self.pipeline = pipeline
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Return how many turns are waiting for the worker."""
        return self._queue.qsize()

    @property
    def running(self) -> bool:
        """Tell whether the worker is running."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the worker on the running event loop (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._work(), name="agentassist-turn-batcher")

    async def stop(self) -> None:
        """Stop the worker; turns still waiting fail with :class:`BatcherStopped`."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(BatcherStopped("the service is shutting down"))

    async def analyse(self, session: str, transcript_id: str, index: int, turn: Turn,
                      history: Sequence[Turn]) -> TurnAnalysis:
        """Queue one turn and return its analysis when the worker has run it."""
        return (await self.analyse_many(session, transcript_id, [(index, turn, history)]))[0]

    async def analyse_many(self, session: str, transcript_id: str,
                           jobs: Sequence[tuple[int, Turn, Sequence[Turn]]]
                           ) -> list[TurnAnalysis]:
        """Queue several turns of one transcript and return their analyses, in order."""
        if not self.running:
            raise BatcherStopped("the analysis worker is not running; try again shortly")
        loop = asyncio.get_running_loop()
        futures = []
        for index, turn, history in jobs:
            future: asyncio.Future[TurnAnalysis] = loop.create_future()
            self._queue.put_nowait(_Job(session, transcript_id, index, turn, tuple(history),
                                        future))
            futures.append(future)
        try:
            return list(await asyncio.gather(*futures))
        finally:
            for future in futures:  # a caller that went away: its turns are skipped
                future.cancel()

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            self._take_waiting(batch)
            if len(batch) < self.max_batch and self.max_wait > 0:
                await asyncio.sleep(self.max_wait)
                self._take_waiting(batch)
            live = [job for job in batch if not job.future.done()]
            if live:
                await self._run(live)

    def _take_waiting(self, batch: list[_Job]) -> None:
        while len(batch) < self.max_batch and not self._queue.empty():
            batch.append(self._queue.get_nowait())

    async def _run(self, batch: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            results = await asyncio.to_thread(self._analyse, batch)
        except Exception:
            if len(batch) == 1:
                self._fail(batch[0])
            else:  # find the turn that fails, so the other sessions still get theirs
                for job in batch:
                    await self._run([job])
                return
        else:
            for job, result in zip(batch, results, strict=True):
                if not job.future.done():
                    job.future.set_result(result)
        stats = self.stats
        stats.batches += 1
        stats.turns += len(batch)
        stats.largest = max(stats.largest, len(batch))
        stats.busy_seconds += time.perf_counter() - started

    def _analyse(self, batch: Sequence[_Job]) -> list[TurnAnalysis]:
        return self.pipeline.analyse_turns(
            (job.transcript_id, job.index, job.turn, job.history) for job in batch
        )

    def _fail(self, job: _Job) -> None:
        # The exception's message may quote the turn, so it goes to DEBUG only.
        self.stats.failures += 1
        logger.error("analysis failed for session %s, turn %d", job.session, job.index)
        logger.debug("analysis failure details", exc_info=True)
        if not job.future.done():
            job.future.set_exception(
                AnalysisFailed(f"internal error analysing turn {job.index}; it was not analysed")
            )
