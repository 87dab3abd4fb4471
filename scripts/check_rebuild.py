"""Rebuild every model artefact from scratch and compare it with the committed one.

    python scripts/check_rebuild.py            # full rebuild into a temporary folder
    python scripts/check_rebuild.py --keep DIR # keep the rebuilt models in DIR

Prints the time the rebuild took (the budget is 20 minutes on a 2-core machine) and, per
artefact, whether it matches what is committed in ``models/``: the fine-tuned encoder's
vectors, the heads' weights and thresholds, and the held-out figures. The test suite
trains on a small slice only; this script is the check of the full ``agentassist train``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentassist.corpus import corpus_dir  # noqa: E402
from agentassist.heads import BehaviourHeads  # noqa: E402
from agentassist.pipeline import MODEL_NAME  # noqa: E402
from agentassist.resources import OnnxEncoder, tuned_encoder_file  # noqa: E402
from agentassist.training import train  # noqa: E402

BUDGET_S = 20 * 60
PROBES = ["that sounds really stressful", "what's your postcode?",
          "you could try the app under My Trips", "so you were charged twice then"]


def compare(committed: Path, rebuilt: Path) -> list[tuple[str, bool, str]]:
    """Return (artefact, same?, detail) rows for the committed and rebuilt model folders."""
    rows = []
    a = BehaviourHeads.load(committed / MODEL_NAME)
    b = BehaviourHeads.load(rebuilt / MODEL_NAME)
    gap = float(np.max(np.abs(a.weights - b.weights))) if a.weights.shape == b.weights.shape \
        else float("inf")
    rows.append(("heads.safetensors", gap < 1e-5, f"max weight difference {gap:.2e}"))
    rows.append(("thresholds", a.thresholds == b.thresholds,
                 "identical" if a.thresholds == b.thresholds else "differ"))
    tuned_a, tuned_b = tuned_encoder_file(committed), tuned_encoder_file(rebuilt)
    if tuned_a and tuned_b:
        va = OnnxEncoder(model_file=tuned_a).encode(PROBES)
        vb = OnnxEncoder(model_file=tuned_b).encode(PROBES)
        gap = float(np.max(np.abs(va - vb)))
        rows.append(("encoder/model.int8.onnx", gap < 1e-5, f"max vector difference {gap:.2e}"))
    else:
        both_absent = tuned_a is None and tuned_b is None
        detail = "absent in both (published encoder)" if both_absent else "present in one only"
        rows.append(("encoder/model.int8.onnx", both_absent, detail))
    ha = json.loads((committed / MODEL_NAME / "eval" / "heldout.json").read_text())["test"]
    hb = json.loads((rebuilt / MODEL_NAME / "eval" / "heldout.json").read_text())["test"]
    macro_a = sum(m["f1"] for m in ha.values()) / len(ha)
    macro_b = sum(m["f1"] for m in hb.values()) / len(hb)
    rows.append(("eval/heldout.json", abs(macro_a - macro_b) < 1e-6,
                 f"test macro F1 committed {macro_a:.4f}, rebuilt {macro_b:.4f}"))
    return rows


def main() -> int:
    """Rebuild, time and compare; return 0 when identical and within budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the rebuilt models here")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-finetune", action="store_true",
                        help="heads on the published encoder (agentassist train --no-finetune)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = args.keep or Path(tmp)
        started = time.perf_counter()
        from agentassist.resources import Resources

        train(models_dir=target, corpus=corpus_dir(), finetune_encoder=not args.no_finetune,
              resources=Resources.load(models_dir=target, threads=args.threads),
              progress=lambda msg: print(f"[{time.perf_counter() - started:7.1f}s] {msg}",
                                         flush=True))
        elapsed = time.perf_counter() - started
        print(f"\nrebuild took {elapsed / 60:.1f} min (budget {BUDGET_S / 60:.0f} min): "
              f"{'within' if elapsed <= BUDGET_S else 'OVER'} budget")
        rows = compare(ROOT / "models", target)
    for name, same, detail in rows:
        print(f"  {'same ' if same else 'DIFF '} {name:28s} {detail}")
    return 0 if all(same for _, same, _ in rows) and elapsed <= BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
