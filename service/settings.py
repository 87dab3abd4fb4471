"""Settings: the service's configuration from ``AGENTASSIST_*`` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from agentassist.coach import TRIGGER_CONFIDENCE


def data_dir() -> Path:
    """Return the user's data folder for agentassist (``$XDG_DATA_HOME/agentassist``).

    Example:
        >>> data_dir().name
        'agentassist'
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "agentassist"


def default_database_url() -> str:
    """Return the default database: an SQLite file in the user's data folder (made here).

    Like ``agentassist.store.default_database_url``, the folder is created, since SQLite
    creates the file but not its folder.
    """
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'agentassist.db'}"


def default_examples_dir() -> Path | None:
    """Return the repository's ``examples/`` folder when running from a checkout."""
    folder = Path(__file__).resolve().parent.parent / "examples"
    return folder if folder.is_dir() else None


class Settings(BaseSettings):
    """The service's settings: each field reads ``AGENTASSIST_<NAME>`` (``AGENTASSIST_PORT``)."""

    model_config = SettingsConfigDict(env_prefix="AGENTASSIST_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1)
    database_url: str = Field(default_factory=default_database_url)
    models_dir: Path | None = None
    rubric: str = "default"
    method: Literal["auto", "head", "rules"] = "auto"
    threads: int | None = Field(default=None, ge=1)  # encoder threads; None: cores - 1
    max_text_chars: int = Field(default=20_000, ge=1)
    max_turns: int = Field(default=2_000, ge=1)
    cooldown_turns: int = Field(default=3, ge=0)
    trigger_confidence: float = Field(default=TRIGGER_CONFIDENCE, ge=0, le=1)
    batch_size: int = Field(default=64, ge=1)
    batch_wait_ms: float = Field(default=2.0, ge=0)
    live_idle_seconds: float = Field(default=900.0, gt=0)
    examples_dir: Path | None = Field(default_factory=default_examples_dir)
    log_level: str = "info"


@lru_cache
def get_settings() -> Settings:
    """Return the settings read from the environment (once per process)."""
    return Settings()
