"""Settings from AGENTASSIST_* variables; the app loads nothing at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.settings import Settings, get_settings


def test_settings_read_agentassist_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("AGENTASSIST_PORT", "9123")
    monkeypatch.setenv("AGENTASSIST_METHOD", "rules")
    monkeypatch.setenv("AGENTASSIST_MAX_TEXT_CHARS", "500")
    monkeypatch.setenv("AGENTASSIST_DATABASE_URL", "postgresql://qa@db/agentassist")
    monkeypatch.setenv("AGENTASSIST_MODELS_DIR", str(tmp_path))
    settings = Settings()
    assert (settings.port, settings.method, settings.max_text_chars) == (9123, "rules", 500)
    assert settings.database_url == "postgresql://qa@db/agentassist"
    assert settings.models_dir == tmp_path


def test_database_defaults_to_sqlite_in_the_users_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("AGENTASSIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings().database_url == f"sqlite:///{tmp_path / 'agentassist' / 'agentassist.db'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    expected = Path.home() / ".local" / "share" / "agentassist" / "agentassist.db"
    assert Settings().database_url == f"sqlite:///{expected}"


def test_bad_settings_are_refused(monkeypatch):
    monkeypatch.setenv("AGENTASSIST_METHOD", "magic")
    with pytest.raises(ValidationError, match="method"):
        Settings()


def test_get_settings_is_cached():
    assert get_settings() is get_settings()


def test_importing_the_app_loads_no_model():
    code = ("import sys, service.main; "
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules, "
            "hasattr(service.main.app.state, 'agentassist'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.split() == ["False", "False", "False"]


def test_encoder_leaves_a_core_for_the_event_loop(monkeypatch):
    from service.main import encoder_threads

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert encoder_threads(Settings(threads=None)) == 7
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert encoder_threads(Settings(threads=None)) == 1
    assert encoder_threads(Settings(threads=3)) == 3
