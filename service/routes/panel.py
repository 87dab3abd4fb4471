"""GET /panel: the agent's hint panel (static HTML and JavaScript, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

router = APIRouter(tags=["panel"])

PANEL = Path(__file__).resolve().parent.parent / "static" / "panel.html"


@router.get("/panel", include_in_schema=False)
def panel() -> FileResponse:
    """Serve the hint panel: live transcript, hints as they arrive, and a demo mode."""
    return FileResponse(PANEL, media_type="text/html")


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    """Send visitors to the panel."""
    return RedirectResponse("/panel")
