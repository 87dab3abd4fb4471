"""Documentation stays true: detectors documented, README's commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from agentassist.registry import available_detectors

ROOT = Path(__file__).resolve().parents[1]


def test_every_registered_detector_is_documented():
    text = (ROOT / "docs" / "detectors.md").read_text(encoding="utf-8")
    for name in available_detectors():
        assert f"`{name}`" in text, f"{name} missing from docs/detectors.md"


def test_readme_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", section, flags=re.S)
    commands = [line for line in blocks[1].splitlines()
                if line.strip() and not line.startswith("#")]
    assert len(commands) == 2, commands
    assert "agentassist score" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_second_quick_start_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", section, flags=re.S)
    second = [line for line in blocks[1].splitlines()
              if line.strip() and not line.startswith("#")][1]
    assert second.strip() in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
