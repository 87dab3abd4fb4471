"""Regenerate docs/detectors.md from the registered detectors' docstrings."""

from __future__ import annotations

import inspect
from pathlib import Path

from agentassist.behaviours import AGENT_BEHAVIOURS, CUSTOMER_BEHAVIOURS, QUESTION_BEHAVIOURS
from agentassist.registry import available_detectors, detector_factory

HEADER = """# Detectors

Every registered detector, grouped by the behaviour it finds. Names are
`<behaviour>.<method>.v<N>`. The pipeline uses the `head` detectors (trained models in
`models/behaviours-minilm-v9`) when they are installed, else the rule-based ones; the rule
detectors also feed the heads as features. Regenerate this page with
`python scripts/gen_detector_docs.py` after adding a detector.
"""


def render() -> str:
    """Return the Markdown of docs/detectors.md."""
    lines = [HEADER]
    for behaviour in AGENT_BEHAVIOURS + CUSTOMER_BEHAVIOURS:
        if behaviour in QUESTION_BEHAVIOURS:
            side = "either speaker"
        else:
            side = "agent" if behaviour in AGENT_BEHAVIOURS else "customer"
        lines += [f"## `{behaviour}` ({side} turns)", ""]
        for name in available_detectors():
            if name.startswith(f"{behaviour}."):
                lines += [f"### `{name}`", "", inspect.getdoc(detector_factory(name)) or "", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "detectors.md"
    target.write_text(render(), encoding="utf-8")
