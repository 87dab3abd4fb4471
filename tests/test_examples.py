"""The bundled examples score sensibly, with the rules and with the trained models."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentassist.readers import read_transcripts
from agentassist.rubric import load_rubric
from agentassist.scoring import Status, score

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "data" / "golden"


def _scorecard(pipeline, name):
    (transcript,) = read_transcripts(EXAMPLES / name)
    return score(transcript, pipeline.analyse(transcript), load_rubric())


def _met(scorecard):
    return sum(c.status is Status.MET for c in scorecard.criteria)


def _check_good_and_poor(pipeline):
    good = _scorecard(pipeline, "good_call.txt")
    poor = _scorecard(pipeline, "poor_call.txt")
    assert _met(good) >= 5, [(c.id, c.status) for c in good.criteria]
    assert _met(poor) <= 2, [(c.id, c.status) for c in poor.criteria]
    assert good.overall - poor.overall >= 0.3
    assert poor.result("acknowledge_feelings").status is Status.MISSED
    assert "unacknowledged_distress" in {f.id for f in poor.flags}


def _check_every_example(pipeline):
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix == ".md":
            continue
        for transcript in read_transcripts(path):
            scorecard = score(transcript, pipeline.analyse(transcript), load_rubric())
            assert len(scorecard.criteria) == 6
            for result in scorecard.criteria:
                if result.status in (Status.MET, Status.MISSED):
                    assert result.evidence, (path.name, result.id)
                for ev in result.evidence:
                    assert transcript.turns[ev.turn].text[ev.start:ev.end] == ev.quote


def test_good_call_beats_poor_call_with_rules(rules_pipeline):
    _check_good_and_poor(rules_pipeline)


def test_unanswered_example_is_scored_not_answered(rules_pipeline):
    scorecard = _scorecard(rules_pipeline, "unanswered.json")
    assert {c.status for c in scorecard.criteria} == {Status.NOT_ANSWERED}
    assert scorecard.overall == 0.0


def test_every_example_scores_with_quoted_evidence(rules_pipeline):
    _check_every_example(rules_pipeline)


@pytest.mark.slow
def test_good_call_beats_poor_call_with_trained_models(real_pipeline):
    _check_good_and_poor(real_pipeline)


@pytest.mark.slow
def test_every_example_scores_with_trained_models(real_pipeline):
    _check_every_example(real_pipeline)


@pytest.mark.parametrize("name", ["good_call.txt", "poor_call.txt", "angry_customer.vtt"])
def test_golden_scorecards_with_rules(rules_pipeline, name):
    """A change in rule scoring shows as a readable diff; AGENTASSIST_UPDATE_GOLDEN=1 rewrites."""
    data = _scorecard(rules_pipeline, name).to_json()
    path = GOLDEN / f"{Path(name).stem}.rules.json"
    if os.environ.get("AGENTASSIST_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert data == json.loads(path.read_text(encoding="utf-8"))
