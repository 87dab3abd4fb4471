"""The ONNX encoder: a sentence's vector must not depend on the sentences batched with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentassist.pipeline import Pipeline
from agentassist.resources import OnnxEncoder, Resources, quantises_per_batch, tuned_encoder_file
from agentassist.transcript import Role, Transcript, Turn


def _graph(tmp_path: Path, *, dynamic: bool) -> Path:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT if not dynamic else TensorProto.UINT8,
                                      [None, 4])
    node = (helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "scale", "zero"])
            if dynamic else helper.make_node("Relu", ["x"], ["y"]))
    path = tmp_path / f"{'dynamic' if dynamic else 'plain'}.onnx"
    onnx.save(helper.make_model(helper.make_graph([node], "g", [x], [y])), str(path))
    return path


@pytest.mark.parametrize(("dynamic", "expected"), [(True, True), (False, False)])
def test_dynamic_activation_quantisation_is_recognised(tmp_path, dynamic, expected):
    assert quantises_per_batch(_graph(tmp_path, dynamic=dynamic)) is expected


SENTENCES = [
    "That sounds really stressful, I'm sorry.",
    "What's your postcode?",
    "The refund takes three to five working days, and you'll get an e-mail when it's done.",
    "ok",
    "Could you tell me a bit more about what happened when the engineer came round?",
]


@pytest.mark.slow
def test_the_shipped_encoder_gives_each_sentence_the_same_vector_alone_or_in_a_batch():
    """Live scoring sends one turn at a time; batch scoring sends 64 sentences at once."""
    path = tuned_encoder_file(Resources.load().models_dir)
    if path is None:
        pytest.skip("the committed model has no fine-tuned encoder")
    encoder = OnnxEncoder(model_file=path, threads=2)
    assert encoder.batch_size == 1  # int8 with per-batch activation scales
    together = encoder.encode(SENTENCES)
    alone = np.vstack([encoder.encode([s]) for s in SENTENCES])
    np.testing.assert_allclose(together, alone, atol=1e-6)


@pytest.mark.slow
def test_a_turn_scores_the_same_live_as_in_a_batch(real_pipeline: Pipeline):
    turns = (
        Turn(Role.AGENT, "Good morning, you're through to Sam at Northgate Water."),
        Turn(Role.CUSTOMER, "My bill has doubled and nobody has explained why. I'm fed up."),
        Turn(Role.AGENT, "I'm sorry, that's a worrying jump. What changed around the time the "
                         "bill went up?"),
    )
    transcript = Transcript("live-vs-batch", turns)
    batch = real_pipeline.analyse(transcript)
    for i, turn in enumerate(turns):
        live = real_pipeline.analyse_turn(turn, turns[:i])
        assert live.confidences == pytest.approx(batch[i].confidences, abs=1e-5)
        assert live.present == batch[i].present
