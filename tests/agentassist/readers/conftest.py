"""Fixtures for the reader tests: write a transcript file into a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "readers"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def data() -> Path:
    """Return the folder of reader fixtures, ``tests/data/readers``."""
    return DATA


@pytest.fixture
def examples() -> Path:
    """Return the project's ``examples`` folder."""
    return EXAMPLES


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Return ``write(name, content)``: the path of a new file holding ``content``."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return _write
