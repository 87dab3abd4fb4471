"""``agentassist evaluate``: metrics against labelled turns, and which detectors gave them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentassist.pipeline import Pipeline
from agentassist.resources import Resources
from evaluation.turns import evaluate_file

RECORDS = [
    {"id": "a", "speaker": "agent", "text": "What happened when you tried to log in?",
     "labels": {"open_question": 1, "closed_question": 0, "question": 1}},
    {"id": "b", "speaker": "agent", "text": "Can you see the second charge?",
     "labels": {"open_question": 0, "closed_question": 1, "question": 1}},
    {"id": "c", "speaker": "agent", "text": "The refund takes three to five working days.",
     "labels": {"open_question": 0, "closed_question": 0, "question": 0, "made_up": 1}},
]


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "turns.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    return path


def test_evaluate_file_reports_each_label_present_and_the_method(labelled, tmp_path):
    pipeline = Pipeline.from_resources(Resources.blank(models_dir=tmp_path), method="rules")
    result = evaluate_file(pipeline, labelled)
    assert result.records == 3
    assert result.method == "rules"
    assert set(result.metrics) == {"open_question", "closed_question", "question"}
    assert result.metrics["question"]["positives"] == 2
    assert result.metrics["question"]["f1"] == 1.0
    assert (result.ignored_labels, result.ignored_names) == (1, ["made_up"])
    assert result.to_json()["method"] == "rules"


def _evaluate(path: Path, models_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"AGENTASSIST_MODELS_DIR": str(models_dir), "PATH": "", "HOME": str(models_dir),
           "COLUMNS": "300"}
    return subprocess.run([sys.executable, "-m", "agentassist", "evaluate", str(path), *args],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


def test_evaluate_says_when_it_falls_back_to_the_rules(labelled, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    done = _evaluate(labelled, empty, "--json")
    assert done.returncode == 0, done.stderr
    assert "no trained model" in done.stderr
    assert "rule detectors" in done.stderr
    assert json.loads(done.stdout)["method"] == "rules"


def test_evaluate_with_method_head_and_no_model_is_a_clear_error(labelled, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    done = _evaluate(labelled, empty, "--method", "head")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert str(empty) in done.stderr


def test_evaluate_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(RECORDS[0]) + "\n{not json\n", encoding="utf-8")
    done = _evaluate(path, tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"{path}:2: not valid JSON" in done.stderr


def test_intervals_resample_turns_unless_every_record_names_its_conversation(labelled, tmp_path):
    pipeline = Pipeline.from_resources(Resources.blank(models_dir=tmp_path), method="rules")
    result = evaluate_file(pipeline, labelled, resamples=200)
    assert result.intervals["resampled"] == "turns"
    low, high = result.metrics["question"]["f1_ci"]
    assert 0.0 <= low <= result.metrics["question"]["f1"] <= high <= 1.0
    grouped = tmp_path / "grouped.jsonl"
    grouped.write_text("".join(json.dumps({**r, "conversation_id": "c1"}) + "\n"
                               for r in RECORDS), encoding="utf-8")
    one_conversation = evaluate_file(pipeline, grouped, resamples=200)
    assert one_conversation.intervals["resampled"] == "conversations"
    # One conversation drawn again and again is always the same sample: no spread at all.
    assert one_conversation.metrics["question"]["f1_ci"] == [1.0, 1.0]
    assert "f1_ci" not in evaluate_file(pipeline, labelled, resamples=0).metrics["question"]


def test_evaluate_table_shows_the_intervals_and_json_says_how_they_were_drawn(labelled, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    table = _evaluate(labelled, empty, "--resamples", "100")
    assert table.returncode == 0, table.stderr
    assert "F1 95% CI" in table.stdout
    assert "PR-AUC 95% CI" in table.stdout
    assert "100 bootstrap resamples of turns" in table.stderr
    report = json.loads(_evaluate(labelled, empty, "--json", "--resamples", "100").stdout)
    assert report["intervals"] == {"level": 0.95, "resamples": 100, "seed": 0,
                                   "resampled": "turns"}
    assert len(report["behaviours"]["question"]["pr_auc_ci"]) == 2
    plain = _evaluate(labelled, empty, "--resamples", "0")
    assert "95% CI" not in plain.stdout
    assert "bootstrap" not in plain.stderr
