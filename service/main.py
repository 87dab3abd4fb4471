"""create_app(): the FastAPI application; its lifespan loads the models once.

``app = create_app()`` loads nothing at import: the lifespan loads ``Resources`` and the
``Pipeline`` once, warms them up, and starts the one batching worker every live
session and request shares. Run it with ``agentassist serve``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from agentassist import __version__
from agentassist.pipeline import Pipeline
from agentassist.resources import Resources
from agentassist.rubric import RUBRICS_DIR, Rubric, load_rubric
from agentassist.transcript import Role, Turn
from service.batching import TurnBatcher
from service.errors import install_error_handlers
from service.routes import ROUTERS
from service.settings import Settings, get_settings
from service.state import ServiceState

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
WARM_UP = Turn(Role.AGENT, "Good morning, you're through to Sam. How can I help you today?")


def resolve_rubric(name: str) -> Rubric:
    """Load a packaged rubric by name (``default``) or a rubric file by path."""
    packaged = RUBRICS_DIR / f"{name}.yaml"
    return load_rubric(packaged if packaged.is_file() else Path(name))


def encoder_threads(settings: Settings) -> int:
    """Return the encoder's torch threads: the setting, else one core fewer than the machine.

    The event loop (sockets, JSON, the coach) needs a core of its own: on a 2-core machine
    busy with other work, two torch threads made p95 five times worse (docs/live.md).
    """
    return settings.threads or max(1, (os.cpu_count() or 2) - 1)


def load_pipeline(settings: Settings, resources: Resources | None = None) -> Pipeline:
    """Build the pipeline the settings ask for and run one turn so every model is loaded."""
    resources = resources or Resources.load(models_dir=settings.models_dir,
                                            threads=encoder_threads(settings))
    pipeline = Pipeline.from_resources(resources, method=settings.method)
    pipeline.analyse_turns([("warm-up", 0, WARM_UP, ())])
    return pipeline


def create_app(settings: Settings | None = None, *, resources: Resources | None = None,
               pipeline: Pipeline | None = None) -> FastAPI:
    """Return the service. Nothing loads until the app starts (its lifespan).

    ``resources`` or a ready ``pipeline`` replace the ones the settings would load
    (tests pass ``Resources.blank()`` so no model loads).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = settings or get_settings()
        rubric = resolve_rubric(config.rubric)
        ready = pipeline if pipeline is not None else await asyncio.to_thread(
            load_pipeline, config, resources)
        batcher = TurnBatcher(ready, max_batch=config.batch_size,
                              max_wait=config.batch_wait_ms / 1000)
        batcher.start()
        app.state.agentassist = ServiceState(config, ready.resources, ready, rubric, batcher)
        logger.info("agentassist service ready: %s detectors, rubric %s v%s", ready.method,
                    rubric.name, rubric.version)
        try:
            yield
        finally:
            await batcher.stop()
            del app.state.agentassist

    app = FastAPI(
        title="agentassist",
        version=__version__,
        summary="Score contact-centre conversations against the customer-experience "
                "checklist, and coach agents live.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


app = create_app()
