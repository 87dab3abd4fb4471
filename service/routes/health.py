"""GET /health: is the service up, which detectors and rubric, how busy."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import StateDep
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health")
def health(state: StateDep) -> Health:
    """Report that the service is up, with its detectors, rubric and load."""
    return Health(status="ok", method=state.pipeline.method,
                  rubric=f"{state.rubric.name} v{state.rubric.version}",
                  sessions=len(state.sessions), queued_turns=state.batcher.pending,
                  analysed_turns=state.batcher.stats.turns)
