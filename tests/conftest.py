"""Shared fixtures: blank resources for fast tests, real ones (slow) loaded once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from agentassist.pipeline import Pipeline
from agentassist.resources import Resources
from agentassist.transcript import Role, Turn
from agentassist.window import TurnWindow


@pytest.fixture(scope="session")
def blank_resources() -> Resources:
    """spaCy blank English with a sentencizer and the deterministic hashing encoder."""
    return Resources.blank()


@pytest.fixture(scope="session")
def rules_pipeline(blank_resources: Resources) -> Pipeline:
    """The rule-based pipeline (no models)."""
    return Pipeline.from_resources(blank_resources, method="rules")


@pytest.fixture(scope="session")
def real_resources() -> Resources:
    """The real encoder and the committed models (load once per session; slow)."""
    return Resources.load()


@pytest.fixture(scope="session")
def real_pipeline(real_resources: Resources) -> Pipeline:
    """The pipeline with the trained heads (slow)."""
    return Pipeline.from_resources(real_resources, method="head")


def window_for(text: str, resources: Resources, *, role: Role = Role.AGENT,
               history: Sequence[Turn] = ()) -> TurnWindow:
    """Return the shared analysis of one turn, as the pipeline would build it."""
    pipeline = Pipeline.from_resources(resources, method="rules")
    turn = Turn(role, text)
    return pipeline.windows([("test", len(history), turn, tuple(history))])[0]


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless chromium driven by Playwright (never ``playwright install``)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-test-services.sh (as root)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
