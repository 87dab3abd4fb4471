"""Dependencies: the shared state the lifespan loaded, for HTTP and WebSocket routes alike."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from agentassist.errors import ModelNotFoundError
from agentassist.pipeline import Pipeline
from agentassist.rubric import Rubric
from service.batching import TurnBatcher
from service.sessions import SessionRegistry
from service.settings import Settings
from service.state import ServiceState


def get_state(conn: HTTPConnection) -> ServiceState:
    """Return what the lifespan loaded (models, rubric, worker)."""
    state = getattr(conn.app.state, "agentassist", None)
    if not isinstance(state, ServiceState):
        raise ModelNotFoundError("the service has not loaded its models yet; try again shortly")
    return state


def get_app_settings(conn: HTTPConnection) -> Settings:
    """Return the settings the service started with."""
    return get_state(conn).settings


def get_pipeline(conn: HTTPConnection) -> Pipeline:
    """Return the one pipeline every request and session shares."""
    return get_state(conn).pipeline


def get_rubric(conn: HTTPConnection) -> Rubric:
    """Return the rubric the service scores and coaches with."""
    return get_state(conn).rubric


def get_batcher(conn: HTTPConnection) -> TurnBatcher:
    """Return the batching worker that runs the pipeline off the event loop."""
    return get_state(conn).batcher


def get_sessions(conn: HTTPConnection) -> SessionRegistry:
    """Return the registry of open live sessions."""
    return get_state(conn).sessions


StateDep = Annotated[ServiceState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
RubricDep = Annotated[Rubric, Depends(get_rubric)]
BatcherDep = Annotated[TurnBatcher, Depends(get_batcher)]
SessionsDep = Annotated[SessionRegistry, Depends(get_sessions)]
