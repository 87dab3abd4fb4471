"""The command line's exit codes and messages, run as a user runs it: in a process.

Typer 0.2x bundles its own copy of click, so click's exception classes no longer match
what typer raises; these tests pin what a user sees, whatever typer version is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    env.pop("AGENTASSIST_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "agentassist", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


@pytest.mark.parametrize(("args", "says"), [
    (("score", "--no-such-option", "x.txt"), "No such option: --no-such-option"),
    (("evaluate",), "Missing argument"),
    (("label", "in.jsonl"), "Missing option '--out'"),
    (("no-such-command",), "No such command"),
])
def test_usage_errors_print_the_usage_and_exit_2(args, says):
    done = run(*args)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "Usage:" in done.stderr
    assert "--help" in done.stderr
    assert "internal error" not in done.stderr
    assert "Traceback" not in done.stderr


def test_help_exits_0():
    done = run("score", "--help")
    assert done.returncode == 0
    assert "Score transcripts" in done.stdout


def test_one_bad_file_of_two_is_reported_and_the_run_fails(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("no speaker here\n", encoding="utf-8")
    done = run("score", "--method", "rules", "--json", str(bad), str(EXAMPLES / "good_call.txt"))
    assert done.returncode == 1, done.stderr
    assert f"{bad}:1:" in done.stderr
    assert "1 of 2 file(s) could not be scored" in done.stderr
    assert len(done.stdout.splitlines()) == 1  # the good file is still scored


def test_bad_input_is_an_error_with_its_place_not_a_traceback(tmp_path):
    bad = tmp_path / "turns.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    done = run("label", str(bad), "--out", str(tmp_path / "out.jsonl"), "--method", "rules")
    assert done.returncode == 2
    assert f"{bad}:1: not valid JSON" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_good_run_exits_0():
    done = run("score", "--method", "rules", str(EXAMPLES / "good_call.txt"))
    assert done.returncode == 0, done.stderr
    assert "unique_customer" in done.stdout
