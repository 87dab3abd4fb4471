"""The service's routers: ``create_app`` includes every router in ``ROUTERS``.

Add a router with one line here (and its module beside this one).
"""

from __future__ import annotations

from fastapi import APIRouter

from service.routes import examples, health, jobs, live, panel, review, score

ROUTERS: list[APIRouter] = [
    health.router,
    score.router,
    live.router,
    examples.router,
    panel.router,
    jobs.router,
    review.router,
]
