"""The batching worker: one batch for turns from many sessions, failures kept apart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

import pytest

from agentassist.errors import DetectorError
from agentassist.pipeline import Pipeline, TurnAnalysis
from agentassist.resources import Resources
from agentassist.transcript import Role, Turn
from service.batching import AnalysisFailed, BatcherStopped, TurnBatcher


class CountingPipeline(Pipeline):
    """The rules pipeline, recording each batch's size; a turn saying BOOM crashes it."""

    batches: list[int]

    def analyse_turns(self, jobs: Iterable[tuple[str, int, Turn, Sequence[Turn]]]
                      ) -> list[TurnAnalysis]:
        jobs = list(jobs)
        self.batches.append(len(jobs))
        if any("BOOM" in turn.text for _, _, turn, _ in jobs):
            raise DetectorError("crashed")
        return super().analyse_turns(jobs)


@pytest.fixture
def pipeline() -> CountingPipeline:
    made = CountingPipeline.from_resources(Resources.blank(), method="rules")
    assert isinstance(made, CountingPipeline)
    made.batches = []
    return made


def _turn(text: str) -> Turn:
    return Turn(Role.CUSTOMER, text)


def test_turns_from_many_sessions_share_one_batch(pipeline):
    async def scenario() -> list[TurnAnalysis]:
        batcher = TurnBatcher(pipeline, max_batch=64, max_wait=0.0)
        batcher.start()
        try:
            return await asyncio.gather(*(
                batcher.analyse(f"s{i}", f"t{i}", 0, _turn(f"I need help with order {i}."), ())
                for i in range(10)))
        finally:
            await batcher.stop()

    results = asyncio.run(scenario())
    assert [r.index for r in results] == [0] * 10
    assert pipeline.batches == [10]


def test_batches_are_capped(pipeline):
    async def scenario() -> None:
        batcher = TurnBatcher(pipeline, max_batch=4, max_wait=0.0)
        batcher.start()
        try:
            await batcher.analyse_many("s", "t", [(i, _turn(f"turn {i}"), ()) for i in range(10)])
        finally:
            await batcher.stop()

    asyncio.run(scenario())
    assert pipeline.batches == [4, 4, 2]


def test_a_failing_turn_fails_alone(pipeline, caplog):
    async def scenario() -> list[object]:
        batcher = TurnBatcher(pipeline, max_wait=0.0)
        batcher.start()
        try:
            return await asyncio.gather(
                batcher.analyse("ok-1", "t1", 0, _turn("I'm fine."), ()),
                batcher.analyse("bad", "t2", 3, _turn("BOOM private words"), ()),
                batcher.analyse("ok-2", "t3", 0, _turn("All good."), ()),
                return_exceptions=True)
        finally:
            await batcher.stop()

    ok1, bad, ok2 = asyncio.run(scenario())
    assert isinstance(ok1, TurnAnalysis)
    assert isinstance(ok2, TurnAnalysis)
    assert isinstance(bad, AnalysisFailed)
    assert "turn 3" in str(bad)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "analysis failed for session bad, turn 3"]


def test_a_stopped_worker_refuses_work(pipeline):
    async def scenario() -> None:
        batcher = TurnBatcher(pipeline)
        await batcher.analyse("s", "t", 0, _turn("hello"), ())

    with pytest.raises(BatcherStopped, match="not running"):
        asyncio.run(scenario())
