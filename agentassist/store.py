"""The database: SQLAlchemy engine and the declarative base every table derives from.

One database holds what must last (batch jobs, scorecards, reviews, trainer notes):
an SQLite file by default, any SQLAlchemy URL (PostgreSQL) through one setting,
``AGENTASSIST_DATABASE_URL``. Tables live beside the code that owns them (batch jobs in
this module's siblings, reviews in ``reviews.py``) but share ``Base.metadata``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Self

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, sessionmaker


class Base(DeclarativeBase):
    """The declarative base of every agentassist table."""


def default_database_url() -> str:
    """Return ``AGENTASSIST_DATABASE_URL`` or an SQLite file in the user's data folder."""
    configured = os.environ.get("AGENTASSIST_DATABASE_URL")
    if configured:
        return configured
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    folder = data_home / "agentassist"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'agentassist.db'}"


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for ``url`` (default: :func:`default_database_url`).

    SQLite gets WAL journaling and a busy timeout, so a batch writer and the service
    can share the file.
    """
    url = url or default_database_url()
    _ensure_sqlite_folder(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _ensure_sqlite_folder(url: str) -> None:
    """Create the folder of an SQLite file URL, so a fresh data folder just works."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Return a session factory bound to ``engine`` with every table created."""
    Base.metadata.create_all(engine)
    return sessionmaker(engine, expire_on_commit=False)


def isoformat_utc(moment: dt.date | None) -> str | None:
    """Return ``moment`` as ISO 8601; a naive datetime is read as UTC (SQLite drops the zone).

    Example:
        >>> isoformat_utc(dt.datetime(2026, 11, 23, 9, 30))
        '2026-11-23T09:30:00+00:00'
        >>> isoformat_utc(dt.date(2026, 11, 23)), isoformat_utc(None)
        ('2026-11-23', None)
    """
    if moment is None:
        return None
    if isinstance(moment, dt.datetime) and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat()


class Store:
    """A store over one database: opened from a URL, closed (or used as a context manager)."""

    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    @classmethod
    def from_url(cls, url: str | None = None) -> Self:
        """Open (and create the tables of) the database at ``url`` (default: the setting)."""
        return cls(make_sessionmaker(make_engine(url)))

    def close(self) -> None:
        """Dispose of the engine's connections."""
        bind = self.sessions.kw.get("bind")
        if isinstance(bind, Engine):
            bind.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
