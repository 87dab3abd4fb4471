"""Exception handlers: one per family of the agentassist errors, short ``detail`` strings.

InputError → 422, ModelNotFoundError and BatcherStopped → 503, any other
AgentAssistError → 500. Messages of input errors are the user's to read; the others may
quote data, so only their type reaches the client and the log (details at DEBUG).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from agentassist.errors import AgentAssistError, InputError, ModelNotFoundError
from service.batching import BatcherStopped

logger = logging.getLogger(__name__)


async def input_error(request: Request, exc: Exception) -> JSONResponse:
    """Bad input: say what is wrong (422)."""
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Models missing or the service starting or stopping (503)."""
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug or a broken model (500): logged by type and path, never with its data."""
    logger.error("%s on %s %s", type(exc).__name__, request.method, request.url.path)
    logger.debug("details", exc_info=exc)
    return JSONResponse({"detail": f"internal error ({type(exc).__name__}); see the server log"},
                        status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(InputError, input_error)
    app.add_exception_handler(ModelNotFoundError, unavailable)
    app.add_exception_handler(BatcherStopped, unavailable)
    app.add_exception_handler(AgentAssistError, internal_error)
