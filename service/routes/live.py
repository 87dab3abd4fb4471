"""WS /v1/live: coach a conversation live (DESIGN.md, "Live protocol"; docs/live.md).

Close codes: 1000 after the scorecard; 1011 if the scorecard could not be made;
4408 after ``live_idle_seconds`` without a message. The WebSocket layer itself closes
with 1009 a frame over 16 MiB and with 1001 when the server shuts down.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from service.deps import StateDep
from service.sessions import LiveSession, error

logger = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

CLOSE_NORMAL = 1000
CLOSE_INTERNAL_ERROR = 1011
CLOSE_IDLE = 4408


@router.websocket("/v1/live")
async def live(websocket: WebSocket, state: StateDep) -> None:
    """Analyse each turn as it arrives, send its behaviours and hints, score at the end."""
    await websocket.accept()
    session = LiveSession(state.rubric, state.batcher, state.limits)
    state.sessions.add(session)
    logger.info("live session %s opened", session.id)
    try:
        while not session.ended:
            try:
                message = await asyncio.wait_for(websocket.receive(),
                                                 timeout=state.settings.live_idle_seconds)
            except TimeoutError:
                await websocket.close(CLOSE_IDLE, "idle for too long")
                return
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                await websocket.send_json(error("send JSON as text frames, not binary"))
                continue
            try:
                replies = await session.handle(raw)
            except Exception:  # a bug: the message may quote the turn, so DEBUG only
                logger.error("live session %s failed; closing it", session.id)
                logger.debug("details", exc_info=True)
                await websocket.send_json(error("internal error; the session is closed"))
                await websocket.close(CLOSE_INTERNAL_ERROR, "internal error")
                return
            for reply in replies:
                await websocket.send_json(reply)
        await websocket.close(CLOSE_NORMAL)
    except WebSocketDisconnect:
        pass
    finally:
        state.sessions.drop(session)
        logger.info("live session %s closed after %d turns", session.id, len(session.turns))
