from __future__ import annotations

import pytest

from agentassist.errors import ConfigError, DetectorError
from agentassist.evidence import Hit
from agentassist.pipeline import Pipeline
from agentassist.registry import build_detector
from agentassist.transcript import Role, Transcript, Turn
from tests.samples import EMPATHY, UPSET

TRANSCRIPT = Transcript("t-1", (
    Turn(Role.SYSTEM, "All calls are recorded."),
    Turn(Role.AGENT, "Good morning, you're through to Sam. How can I help?"),
    Turn(Role.CUSTOMER, UPSET),
    Turn(Role.AGENT, EMPATHY + " What happened when you called before?"),
))


def test_every_turn_gets_an_analysis_with_its_sides_behaviours(rules_pipeline):
    analyses = rules_pipeline.analyse(TRANSCRIPT)
    assert [a.index for a in analyses] == [0, 1, 2, 3]
    assert analyses[0].confidences == {}
    assert "empathy" in analyses[1].confidences
    assert "need" not in analyses[1].confidences
    assert "negative_emotion" in analyses[2].present
    assert {"empathy", "open_question", "question"} <= analyses[3].present


def test_evidence_quotes_are_exact_slices(rules_pipeline):
    for analysis in rules_pipeline.analyse(TRANSCRIPT):
        for found in analysis.evidence.values():
            for ev in found:
                assert TRANSCRIPT.turns[ev.turn].text[ev.start:ev.end] == ev.quote


def test_live_path_gives_the_same_numbers_as_batch(rules_pipeline):
    batch = rules_pipeline.analyse(TRANSCRIPT)
    for i, turn in enumerate(TRANSCRIPT.turns):
        live = rules_pipeline.analyse_turn(turn, TRANSCRIPT.turns[:i])
        assert live.confidences == batch[i].confidences
        assert live.present == batch[i].present


def test_heads_path_matches_live_and_batch(blank_resources, tmp_path):
    pytest.importorskip("sklearn")
    from tests.agentassist.test_training import tiny_models

    resources = tiny_models(tmp_path)
    pipeline = Pipeline.from_resources(resources, method="head")
    batch = pipeline.analyse(TRANSCRIPT)
    for i, turn in enumerate(TRANSCRIPT.turns):
        live = pipeline.analyse_turn(turn, TRANSCRIPT.turns[:i])
        assert live.confidences == pytest.approx(batch[i].confidences)


class _Broken:
    behaviour = "empathy"
    threshold = 0.5
    name = "empathy.broken.v1"

    def __init__(self, hit: Hit) -> None:
        self.hit = hit

    def detect(self, window):
        return [self.hit]


def test_a_detector_returning_a_bad_span_is_a_detector_error(blank_resources):
    detectors = {b: build_detector(f"{b}.{'syntax' if 'question' in b else 'rules'}.v1",
                                   blank_resources) for b in _behaviours()}
    detectors["empathy"] = _Broken(Hit(0, 999, 0.9, "oops"))
    pipeline = Pipeline(blank_resources, detectors)
    with pytest.raises(DetectorError, match=r"empathy.broken.v1.*transcript 't-1', turn 1"):
        pipeline.analyse(TRANSCRIPT)


def test_pipeline_refuses_a_missing_behaviour(blank_resources):
    with pytest.raises(ConfigError, match="no detector for behaviour"):
        Pipeline(blank_resources, {})


def test_empty_transcript_has_no_analyses(rules_pipeline):
    assert rules_pipeline.analyse(Transcript("empty", ())) == []


def _behaviours():
    from agentassist.behaviours import BEHAVIOURS

    return BEHAVIOURS
