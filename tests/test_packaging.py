"""A plain install must carry the trained models: build the wheel and look inside."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )
    (path,) = out.glob("agentassist-*.whl")
    return zipfile.ZipFile(path)


@pytest.mark.slow
def test_wheel_ships_every_package_and_the_trained_model(wheel):
    names = set(wheel.namelist())
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for package in config["tool"]["setuptools"]["packages"]:
        assert f"{package.replace('.', '/')}/__init__.py" in names, package
    on_disk = {p.relative_to(ROOT / "models").as_posix()
               for p in (ROOT / "models").glob("behaviours-*/**/*") if p.is_file()}
    assert on_disk, "no trained model in models/"
    for relative in on_disk:
        assert f"agentassist_models/{relative}" in names, relative
    assert "agentassist/rubrics/default.yaml" in names


@pytest.mark.slow
def test_models_stay_under_the_size_budget():
    total = sum(p.stat().st_size for p in (ROOT / "models").glob("behaviours-*/**/*")
                if p.is_file())
    assert total < 30 * 2**20
