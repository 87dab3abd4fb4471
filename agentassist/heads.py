"""BehaviourHeads: the trained per-behaviour heads over sentence features.

One folder (``models/behaviours-minilm-v9``) holds every head: a standardiser, one
logistic layer per behaviour, Platt calibration and the threshold chosen on validation.
Loaded from safetensors and JSON only (never pickles).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from agentassist.cues import question_form
from agentassist.errors import ModelNotFoundError
from agentassist.features import describe

#: The folder of the trained heads in a models directory (``models/<MODEL_NAME>``).
MODEL_NAME: Final = "behaviours-minilm-v9"
WEIGHTS_FILE = "heads.safetensors"
MANIFEST_FILE = "manifest.json"
#: Internal heads behind ``closed_question`` (not behaviours themselves): is the sentence a
#: question (syntax: cues only), and if so, does it invite an elaborated answer (what it
#: asks: every feature). ``closed_question`` is P(question) x (1 - P(open | question)), so a
#: one-fact wh-question counts as closed without the topic-laden vectors deciding whether
#: a sentence is a question at all. ``open_question`` has its own head on every feature.
QUESTION_HEAD: Final = "_question"
OPEN_FORM_HEAD: Final = "_open_form"


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
        built_for = manifest.get("features")
        if built_for != describe():
            raise ModelNotFoundError(
                f"{folder} was built for {_layout_difference(built_for or {}, describe())}; "
                "rebuild it with 'agentassist train' or use the agentassist release it was "
                "built with"
            )
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

    @property
    def factorised(self) -> bool:
        """Return whether ``closed_question`` comes from the two internal question heads."""
        return QUESTION_HEAD in self.behaviours and OPEN_FORM_HEAD in self.behaviours

    def raw_logits(self, head: str, features: np.ndarray) -> np.ndarray:
        """Return one linear head's logits for each row of ``features``."""
        k = self.behaviours.index(head)
        standard = (features - self.mean) / self.scale
        return np.asarray(standard @ self.weights[k] + self.bias[k], dtype=np.float64)

    def logits(self, behaviour: str, features: np.ndarray) -> np.ndarray:
        """Return the uncalibrated logits of ``behaviour`` for each row of ``features``."""
        if behaviour == "closed_question" and self.factorised:
            question = self.raw_logits(QUESTION_HEAD, features)
            closed = -self.raw_logits(OPEN_FORM_HEAD, features)
            # log P(question) + log P(closed | question), returned as a logit.
            log_p = np.minimum(-np.logaddexp(0.0, -question) - np.logaddexp(0.0, -closed), -1e-9)
            return np.asarray(log_p - np.log(-np.expm1(log_p)))
        return self.raw_logits(behaviour, features)

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


def _layout_difference(built_for: dict[str, Any], current: dict[str, Any]) -> str:
    """Say how a model's recorded feature layout differs from the one computed now."""
    layout = built_for.get("layout", "an unrecorded layout")
    if layout != current["layout"]:
        return (
            f"feature layout {layout}, "
            f"but this version of agentassist computes {current['layout']}"
        )
    cues, now = list(built_for.get("cues", [])), list(current["cues"])
    added = [c for c in now if c not in cues]
    dropped = [c for c in cues if c not in now]
    change = "; ".join(part for part in (
        f"added {', '.join(added)}" if added else "",
        f"dropped {', '.join(dropped)}" if dropped else "",
    ) if part) or "the same cues in another order"
    return (f"{len(cues)} cue features, but this version of agentassist computes "
            f"{len(now)} ({change})")
