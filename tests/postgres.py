"""A real, throwaway PostgreSQL server for the store's tests (not a mock).

Import the fixtures into a test module (``from tests.postgres import pg_url,
postgres_server``). The server is started once per test session from Debian's
binaries (``/usr/lib/postgresql/*/bin``; ``scripts/install-test-services.sh`` installs
them), in a temporary folder owned by the ``postgres`` user when the tests run as root,
on a free loopback port; each test gets a fresh database. If PostgreSQL cannot be
started the fixture fails with the reason: it never skips.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_LOCK = threading.Lock()
_SERVER: dict[str, object] = {}
_USERS = 0


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0)
    if not found:
        pytest.fail("PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb. "
                    "Run scripts/install-test-services.sh (as root) and try again.")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the postgres user then.
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *command]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)]


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(_as_postgres(command), capture_output=True, text=True, timeout=120,
                          check=False)
    if done.returncode != 0:
        pytest.fail(f"PostgreSQL test server: {what} failed (exit {done.returncode}): "
                    f"{(done.stderr or done.stdout).strip()[-2000:]}")


def _start() -> dict[str, object]:
    bin_dir = _binaries()
    folder = Path(tempfile.mkdtemp(prefix="agentassist-pg-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(folder, user="postgres", group="postgres")
        except (LookupError, OSError) as exc:
            pytest.fail(f"PostgreSQL test server: cannot hand {folder} to the 'postgres' user "
                        f"({exc}); run scripts/install-test-services.sh, which creates it")
    data = folder / "data"
    port = _free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
          "--no-sync", "-E", "UTF8", "--locale=C"], "initdb")
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
          "-t", "60", "-o",
          f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
          "-c synchronous_commit=off -c full_page_writes=off", "start"], "pg_ctl start")
    return {"folder": folder, "data": data, "bin": bin_dir, "port": port,
            "url": f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"}


def _stop(server: dict[str, object]) -> None:
    bin_dir, data, folder = server["bin"], server["data"], server["folder"]
    subprocess.run(_as_postgres([str(Path(str(bin_dir)) / "pg_ctl"), "-D", str(data), "-m",
                                 "immediate", "-w", "stop"]),
                   capture_output=True, timeout=60, check=False)
    shutil.rmtree(str(folder), ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start one PostgreSQL server for the session; yield its admin URL; stop it at the end."""
    global _USERS
    with _LOCK:  # imported into several modules: still one server per session
        if not _SERVER:
            _SERVER.update(_start())
        _USERS += 1
    try:
        yield str(_SERVER["url"])
    finally:
        with _LOCK:
            _USERS -= 1
            if _USERS == 0 and _SERVER:
                _stop(_SERVER)
                _SERVER.clear()


@pytest.fixture
def pg_url(postgres_server: str) -> str:
    """Return the URL of a fresh, empty database on the test server."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = postgres_server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"
