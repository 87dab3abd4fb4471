"""BehaviourHeads: the trained per-behaviour heads over sentence features.

One folder (``models/behaviours-minilm-v2``) holds every head: a standardiser, one
logistic layer per behaviour, Platt calibration and the threshold chosen on validation.
Loaded from safetensors and JSON only (never pickles).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentassist.cues import question_form
from agentassist.errors import ModelNotFoundError

WEIGHTS_FILE = "heads.safetensors"
MANIFEST_FILE = "manifest.json"


@dataclass
class BehaviourHeads:
    """Per-behaviour logistic heads with calibration; ``predict`` gives confidences."""

    behaviours: list[str]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (behaviours, features)
    bias: np.ndarray
    cal_a: np.ndarray
    cal_b: np.ndarray
    thresholds: dict[str, float]
    manifest: dict[str, Any]

    @classmethod
    def load(cls, folder: Path) -> BehaviourHeads:
        """Load heads from ``folder`` (``manifest.json`` + ``heads.safetensors``)."""
        from safetensors.numpy import load_file

        weights_path = folder / WEIGHTS_FILE
        if not weights_path.is_file():
            raise ModelNotFoundError(
                f"{folder} has no {WEIGHTS_FILE}; rebuild it with 'agentassist train'"
            )
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        tensors = load_file(str(weights_path))
        return cls(
            behaviours=list(manifest["behaviours"]),
            mean=tensors["mean"],
            scale=tensors["scale"],
            weights=tensors["weights"],
            bias=tensors["bias"],
            cal_a=tensors["cal_a"],
            cal_b=tensors["cal_b"],
            thresholds={k: float(v) for k, v in manifest["thresholds"].items()},
            manifest=manifest,
        )

    def save(self, folder: Path) -> None:
        """Write the heads to ``folder``."""
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        save_file(
            {
                "mean": self.mean.astype(np.float32),
                "scale": self.scale.astype(np.float32),
                "weights": self.weights.astype(np.float32),
                "bias": self.bias.astype(np.float32),
                "cal_a": self.cal_a.astype(np.float32),
                "cal_b": self.cal_b.astype(np.float32),
            },
            str(folder / WEIGHTS_FILE),
        )
        manifest = dict(self.manifest, behaviours=self.behaviours, thresholds=self.thresholds)
        (folder / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )

    def threshold(self, behaviour: str) -> float:
        """Return the decision threshold chosen on validation for ``behaviour``."""
        return self.thresholds.get(behaviour, 0.5)

    def logits(self, behaviour: str, features: np.ndarray) -> np.ndarray:
        """Return the raw logits of ``behaviour`` for each row of ``features``."""
        k = self.behaviours.index(behaviour)
        standard = (features - self.mean) / self.scale
        return np.asarray(standard @ self.weights[k] + self.bias[k], dtype=np.float64)

    def predict(self, behaviour: str, features: np.ndarray) -> np.ndarray:
        """Return calibrated confidences in [0, 1] for each row of ``features``."""
        k = self.behaviours.index(behaviour)
        z = self.cal_a[k] * self.logits(behaviour, features) + self.cal_b[k]
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    def reason(self, behaviour: str, text: str, confidence: float) -> str:
        """Return a short reason a trainer can check for one sentence's confidence."""
        if behaviour in ("open_question", "closed_question"):
            form = question_form(text)
            if form.kind:
                return f"{form.reason}; model confidence {confidence:.2f}"
        return f"{behaviour.replace('_', ' ')} model confidence {confidence:.2f}"
