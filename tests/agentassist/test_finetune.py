from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentassist.behaviours import BEHAVIOURS
from agentassist.corpus import read_conversations
from agentassist.finetune import ENCODER_FILE, ENCODER_FOLDER, finetune, targets_for
from agentassist.pipeline import MODEL_NAME
from agentassist.resources import (
    ENCODER_NAME,
    TUNED_ENCODER_NAME,
    OnnxEncoder,
    Resources,
    build_nlp,
    tuned_encoder_file,
)
from agentassist.training import sides_for, training_turns


def test_targets_mask_behaviours_of_the_other_side_and_unsaid_labels():
    agent = targets_for({"empathy": 1, "greeting": 0, "need": 1}, sides_for, "agent")
    column = dict(zip(BEHAVIOURS, agent, strict=True))
    assert column["empathy"] == 1
    assert column["greeting"] == 0
    assert column["need"] is None  # a customer behaviour on an agent turn: no target
    assert column["information"] is None  # not said (a trainer's partial correction)
    customer = dict(zip(BEHAVIOURS, targets_for({"confusion": 0, "open_question": 1},
                                                  sides_for, "customer"), strict=True))
    assert customer["confusion"] == 0
    assert customer["open_question"] == 1
    assert customer["empathy"] is None


def test_training_turns_are_split_into_the_pipelines_sentences():
    conversations = list(read_conversations())[:3]
    turns = training_turns(build_nlp(), conversations)
    assert len(turns) == sum(len(c.turns) for c in conversations)
    long = max(turns, key=lambda t: len(t.sentences))
    assert len(long.sentences) > 1
    assert all(s.strip() == s and s for t in turns for s in t.sentences)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> tuple[Path, Path]:
    """Fine-tune twice on the same small slice (one epoch): two model folders."""
    turns = training_turns(build_nlp(), list(read_conversations())[:12])
    folders = []
    for name in ("a", "b"):
        models = tmp_path_factory.mktemp(name)
        finetune(turns, models / MODEL_NAME / ENCODER_FOLDER, epochs=1, threads=2)
        folders.append(models)
    return folders[0], folders[1]


@pytest.mark.slow
def test_fine_tuned_encoder_is_int8_onnx_under_the_size_budget(tuned):
    path = tuned[0] / MODEL_NAME / ENCODER_FOLDER / ENCODER_FILE
    assert path.is_file()
    assert path.stat().st_size < 30 * 2**20
    assert tuned_encoder_file(tuned[0]) == path


@pytest.mark.slow
def test_fine_tuning_is_reproducible(tuned):
    texts = ["that sounds really stressful", "what's your postcode?", "the refund takes five days"]
    a, b = (OnnxEncoder(model_file=f / MODEL_NAME / ENCODER_FOLDER / ENCODER_FILE, threads=2)
            for f in tuned)
    assert np.allclose(a.encode(texts), b.encode(texts), atol=1e-6)


@pytest.mark.slow
def test_resources_read_the_tuned_encoder_and_keep_the_published_one_apart(tuned):
    resources = Resources.load(models_dir=tuned[0])
    assert resources.encoder.name == TUNED_ENCODER_NAME
    assert resources.base_encoder.name == ENCODER_NAME
    texts = ["I'm so sorry to hear about your dad", "sorry for the wait"]
    tuned_vectors = resources.encoder.encode(texts)
    base_vectors = resources.base_encoder.encode(texts)
    assert np.allclose(np.linalg.norm(tuned_vectors, axis=1), 1.0, atol=1e-4)
    # Moved by fine-tuning, but still the same encoder underneath (not a fresh model).
    cosines = (tuned_vectors * base_vectors).sum(axis=1)
    assert (cosines < 0.9999).all()
    assert (cosines > 0.5).all()


def test_a_missing_tuned_encoder_file_is_a_clear_error(tmp_path):
    from agentassist.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="agentassist train"):
        OnnxEncoder(model_file=tmp_path / "nothing.onnx")


@pytest.mark.slow
def test_the_anchor_term_is_the_drift_from_the_published_vectors():
    import torch
    from transformers import AutoModel

    from agentassist import finetune as ft
    from agentassist.resources import _encoder_package_path

    model = AutoModel.from_pretrained(str(_encoder_package_path()), local_files_only=True)
    model.eval()
    split = model.config.num_hidden_layers - ft.TRAINABLE_LAYERS
    turns = training_turns(build_nlp(), list(read_conversations())[:1])[:4]
    texts = [s for turn in turns for s in turn.sentences]
    cache = ft._lower_states(model, texts, split)
    anchors = ft._published_vectors(model, split, cache)
    published = OnnxEncoder(threads=2).encode(texts)
    assert np.allclose(anchors.numpy(), published, atol=1e-3)  # the anchors are the published
    head = torch.nn.Linear(model.config.hidden_size, len(BEHAVIOURS))
    weights = torch.ones(len(BEHAVIOURS))
    with torch.no_grad():
        free = ft._batch_loss(model, head, split, cache, turns, weights)
        unmoved = ft._batch_loss(model, head, split, cache, turns, weights, anchors)
        opposite = ft._batch_loss(model, head, split, cache, turns, weights, -anchors)
    assert float(unmoved) == pytest.approx(float(free), abs=1e-5)  # nothing moved yet: no cost
    assert float(opposite - free) == pytest.approx(2.0 * ft.ANCHOR_WEIGHT, abs=1e-4)
    assert ft.ANCHOR_WEIGHT > 0  # the shipped recipe anchors


@pytest.mark.slow
def test_the_fine_tuning_report_records_the_anchor(tuned):
    import json

    from agentassist import finetune as ft

    report = json.loads((tuned[0] / MODEL_NAME / ENCODER_FOLDER / "finetune.json").read_text())
    assert report["anchor_weight"] == ft.ANCHOR_WEIGHT
