"""The same batch on a Dask LocalCluster: each worker loads its own pipeline once, and
the driver alone writes each result to the database exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentassist.batch import export_job, run_batch
from agentassist.errors import ConfigError
from agentassist.jobs import JobStore
from agentassist.synth import write_jsonl

pytest.importorskip("distributed", reason="dask[distributed] is a dependency; install it")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.from_url(f"sqlite:///{tmp_path / 'batch.db'}") as opened:
        yield opened


def _cached_pipelines() -> int:
    from agentassist.batch import _WORKER_CACHE

    return len(_WORKER_CACHE)


def test_dask_engine_scores_every_transcript_once(store: JobStore, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client, LocalCluster

    monkeypatch.setenv("AGENTASSIST_MODELS_DIR", str(tmp_path / "no-models"))
    folder = tmp_path / "calls"
    folder.mkdir()
    for part in range(3):
        write_jsonl(folder / f"part-{part}.jsonl", 20, turns=10, seed=part)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        # Same ids in every file: the key is (job, source, transcript id), so 60 results.
        summary = run_batch([folder], store=store, method="rules", engine="dask",
                            address=cluster.scheduler_address, chunk_turns=60)
        assert (summary.scored, summary.failed, summary.job.total) == (60, 0, 60)
        # Every worker built its pipeline once and kept it for all its chunks.
        assert sorted(client.run(_cached_pipelines).values()) == [1, 1]
    out = tmp_path / "results.jsonl"
    assert export_job(store, summary.job.id, out) == 60
    again = run_batch([folder], store=store, method="rules", engine="dask", workers=2)
    assert (again.scored, again.skipped) == (0, 60)  # nothing to score: no cluster started
    assert store.count_results(summary.job.id) == 60


def test_ray_engine_says_how_to_install_it(store: JobStore, tmp_path: Path) -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("ray is installed here; the message is for machines without it")
    calls = write_jsonl(tmp_path / "calls.jsonl", 2, turns=4)
    with pytest.raises(ConfigError, match=r"--engine ray needs Ray: run 'pip install"):
        run_batch([calls], store=store, method="rules", engine="ray")
