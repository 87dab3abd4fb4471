from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agentassist.behaviours import BEHAVIOURS
from agentassist.corpus import corpus_dir, read_conversations, split_of
from agentassist.features import CUE_NAMES, describe
from agentassist.heads import OPEN_FORM_HEAD, QUESTION_HEAD, BehaviourHeads
from agentassist.pipeline import MODEL_NAME
from agentassist.resources import Resources
from agentassist.training import (
    THRESHOLD_GRID,
    THRESHOLD_RULE,
    THRESHOLD_RULES,
    best_threshold,
    train,
    write_splits,
)

TINY = 90


def tiny_models(folder: Path) -> Resources:
    """Train heads on a slice of the corpus with the hashing encoder (fast, no torch)."""
    resources = Resources.blank(models_dir=folder)
    if not (folder / MODEL_NAME / "manifest.json").is_file():
        train(models_dir=folder, corpus=corpus_dir(), resources=resources, limit=TINY)
    return resources


def test_training_writes_loadable_heads_with_thresholds(tmp_path):
    tiny_models(tmp_path)
    folder = tmp_path / MODEL_NAME
    heads = BehaviourHeads.load(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(heads.thresholds) == set(BEHAVIOURS)
    assert heads.factorised
    assert all(0.0 < t < 1.0 for t in heads.thresholds.values())
    assert manifest["encoder"] == "hashing-test-encoder"
    assert len(manifest["data_sha256"]) == 64
    assert (folder / "eval" / "heldout.json").is_file()
    p = heads.predict("empathy", np.zeros((2, heads.mean.shape[0]), dtype=np.float32))
    assert ((p >= 0) & (p <= 1)).all()


def test_heads_built_for_another_feature_layout_are_refused(tmp_path):
    """Heads of another layout would multiply the wrong columns: say so, don't guess."""
    import shutil

    from agentassist.errors import ModelNotFoundError

    tiny_models(tmp_path)
    old = tmp_path / "old"
    shutil.copytree(tmp_path / MODEL_NAME, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["features"]["layout"] = ["sentence_vector", "context_vector", "cues"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelNotFoundError, match=r"context_vector', 'cues'\].*agentassist train"):
        BehaviourHeads.load(old)
    manifest["features"] = dict(describe(), cues=describe()["cues"][:-1] + ["old_cue"])
    (old / "manifest.json").write_text(json.dumps(manifest))
    cue_change = rf"added {describe()['cues'][-1]}; dropped old_cue.*agentassist train"
    with pytest.raises(ModelNotFoundError, match=cue_change):
        BehaviourHeads.load(old)


def test_question_detection_reads_only_the_cues_and_kind_reads_everything(tmp_path):
    tiny_models(tmp_path)
    heads = BehaviourHeads.load(tmp_path / MODEL_NAME)
    question = heads.weights[heads.behaviours.index(QUESTION_HEAD)]
    form = heads.weights[heads.behaviours.index(OPEN_FORM_HEAD)]
    vectors = len(question) - len(CUE_NAMES)
    assert not question[:vectors].any()
    assert question[vectors:].any()
    assert form[:vectors].any()
    training = heads.manifest["training"]
    assert training[QUESTION_HEAD]["features"] == "cues"
    assert training["closed_question"]["features"] == f"{QUESTION_HEAD} x {OPEN_FORM_HEAD}"
    assert training["open_question"]["features"] == "all"


def _question_heads() -> BehaviourHeads:
    names = ["closed_question", QUESTION_HEAD, OPEN_FORM_HEAD]
    weights = np.zeros((3, 2), dtype=np.float32)
    weights[1, 0], weights[2, 1] = 1.0, 1.0
    return BehaviourHeads(
        behaviours=names, mean=np.zeros(2, np.float32), scale=np.ones(2, np.float32),
        weights=weights, bias=np.zeros(3, np.float32), cal_a=np.ones(3, np.float32),
        cal_b=np.zeros(3, np.float32), thresholds={}, manifest={})


@pytest.mark.parametrize(("question", "form", "closed_p"), [
    (0.0, 0.0, 0.25),      # unsure on both: a quarter
    (8.0, -8.0, 0.9993),   # a question, and not open
    (8.0, 8.0, 0.0003),    # a question, but open
    (-8.0, -8.0, 0.0003),  # not a question: not closed, however closed it sounds
])
def test_closed_question_is_question_times_not_open(question, form, closed_p):
    row = np.array([[question, form]], dtype=np.float32)
    p = _question_heads().predict("closed_question", row)[0]
    expected = 1 / (1 + np.exp(-question)) / (1 + np.exp(form))
    assert p == pytest.approx(closed_p, abs=1e-4)
    assert p == pytest.approx(expected, rel=1e-5)


def test_training_is_reproducible(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        train(models_dir=folder, corpus=corpus_dir(), resources=Resources.blank(models_dir=folder),
              limit=40)
    a = BehaviourHeads.load(first / MODEL_NAME)
    b = BehaviourHeads.load(second / MODEL_NAME)
    assert np.allclose(a.weights, b.weights)
    assert a.thresholds == b.thresholds


def test_splits_are_by_conversation_and_stable():
    conversations = list(read_conversations())
    splits = {c.split for c in conversations}
    assert splits == {"train", "validation", "test"}
    assert all(split_of(c.id) == c.split for c in conversations)


@pytest.mark.slow
def test_no_test_turn_has_a_near_duplicate_in_training(tmp_path, real_resources):
    """Encoder cosine >= 0.95 between a held-out turn and a training turn would inflate figures."""
    encoder = _Memo(real_resources.base_encoder)  # published encoder; encode each text once
    write_splits(corpus_dir(), tmp_path, encoder=encoder)
    train = _records(tmp_path / "train.jsonl")
    test = _records(tmp_path / "test.jsonl")
    train_texts = [r["text"] for r in train]
    test_texts = [r["text"] for r in test]
    assert len(test_texts) > 1000
    similarity = encoder.encode(test_texts) @ encoder.encode(train_texts).T
    assert float(similarity.max()) < 0.95
    train_ids = {r["conversation_id"] for r in train}
    test_ids = {r["conversation_id"] for r in test}
    assert not train_ids & test_ids


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class _Memo:
    """Wrap an encoder so texts seen before are not encoded again."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.seen = {}

    def encode(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if missing:
            self.seen.update(zip(missing, self.encoder.encode(missing), strict=True))
        return np.array([self.seen[t] for t in texts])


def _curve(points: dict[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """An F1 curve over ``THRESHOLD_GRID``: the given values, 0 elsewhere; and the grid."""
    return np.array([points.get(t, 0.0) for t in THRESHOLD_GRID]), np.array(THRESHOLD_GRID)


@pytest.mark.parametrize(("rule", "curve", "expected"), [
    # One clear peak: every rule takes it.
    ("argmax", {0.4: 0.7, 0.45: 0.9, 0.5: 0.7}, 0.45),
    ("plateau-0.01", {0.4: 0.7, 0.45: 0.9, 0.5: 0.7}, 0.45),
    # Ties go to the threshold nearest 0.5.
    ("argmax", {0.3: 0.9, 0.55: 0.9}, 0.55),
    # A flat top from 0.40 to 0.60 with its best point at one end: the plateau rules
    # take the middle, argmax the edge.
    ("argmax", {t: 0.900 for t in THRESHOLD_GRID if 0.39 < t < 0.61} | {0.525: 0.904}, 0.525),
    ("plateau-0.005", {t: 0.900 for t in THRESHOLD_GRID if 0.39 < t < 0.61} | {0.525: 0.904},
     0.5),
    # A margin smaller than the step to the neighbours keeps the peak.
    ("plateau-0.005", {0.45: 0.90, 0.475: 0.89, 0.425: 0.89}, 0.45),
    ("plateau-0.01", {0.45: 0.90, 0.475: 0.89, 0.425: 0.89}, 0.45),
    # The run stops at a dip: a second high region beyond it is not joined.
    ("plateau-0.02", {0.3: 0.90, 0.325: 0.90, 0.35: 0.5, 0.375: 0.89, 0.4: 0.89}, 0.312),
])
def test_threshold_rules_read_the_validation_curve(rule, curve, expected):
    values, grid = _curve(curve)
    assert THRESHOLD_RULES[rule](values, tuple(grid)) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("p", "y", "rule", "expected"), [
    # every cut in 0.325..0.7 is perfect: argmax takes the one nearest 0.5, the plateau its middle
    ([0.1, 0.3, 0.7, 0.9], [0, 0, 1, 1], "argmax", 0.5),
    ([0.1, 0.3, 0.7, 0.9], [0, 0, 1, 1], "plateau-0.02", 0.512),
    # only 0.325 and 0.35 separate them
    ([0.1, 0.3, 0.35, 0.9], [0, 0, 1, 1], "argmax", 0.35),
    ([0.1, 0.3, 0.35, 0.9], [0, 0, 1, 1], "plateau-0.02", 0.338),
    # only 0.725..0.8 (the top of the grid) separate them
    ([0.25, 0.7, 0.85], [0, 0, 1], "argmax", 0.725),
    ([0.25, 0.7, 0.85], [0, 0, 1], "plateau-0.02", 0.762),
])
def test_best_threshold_reads_f1_off_confidences(p, y, rule, expected):
    assert best_threshold(np.array(p), np.array(y), rule) == pytest.approx(expected)


def test_the_shipped_rule_is_a_known_rule():
    assert THRESHOLD_RULE in THRESHOLD_RULES
