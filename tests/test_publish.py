"""Publishing is atomic: killed runs and concurrent runs never corrupt the output root."""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.publish import OutputLocked, file_sha256, latest_version, list_versions, output_lock
from flows.runner import RunConfig, run
from tests.conftest import SEEDS


def _assert_intact(out: Path) -> None:
    """Every published version matches its manifest; LATEST names one of them."""
    versions = list_versions(out)
    latest = latest_version(out)
    if versions:
        assert latest in versions
        assert (out / "LATEST").read_text().strip() == latest
    for name in versions:
        m = json.loads((out / name / "manifest.json").read_text())
        for fname, f in m["files"].items():
            assert file_sha256(out / name / fname) == f["sha256"], (name, fname)
            assert pq.read_metadata(out / name / fname).num_rows == f["rows"]


def _corpus(root: Path, n: int) -> Path:
    root.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for i in range(n):
        (root / f"{i:04d}.txt").write_text(texts[i % len(texts)] + f"\nref {i}\n")
    return root


def test_second_run_is_refused_while_one_holds_the_output(tmp_path):
    out = tmp_path / "out"
    with output_lock(out), pytest.raises(OutputLocked, match="another newsprep run"):
        run([SEEDS], out)
    assert list_versions(out) == []
    run([SEEDS], out)  # the lock is released with its holder
    assert list_versions(out) == ["version=v0001"]


def test_kill_9_at_random_points_never_corrupts(tmp_path):
    """20 runs, each SIGKILLed at a random moment of its run time; nothing is ever corrupt.

    Children fork from a server that has run the pipeline once (tests/warm_pipeline.py),
    so the kill points fall inside the run itself rather than in Python's start-up.
    """
    corpus = _corpus(tmp_path / "in", 60)
    out = tmp_path / "out"
    args = ([corpus], out, RunConfig(batch_size=8))
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.warm_pipeline"])

    def one_run(kill_after: float | None = None) -> int | None:
        child = ctx.Process(target=run, args=args)
        child.start()
        child.join(timeout=kill_after)
        if child.is_alive():
            child.kill()
            child.join()
        return child.exitcode

    assert one_run() == 0  # starts the warm server
    start = time.perf_counter()
    assert one_run() == 0
    duration = time.perf_counter() - start
    rng = random.Random(20251122)
    completed = 2
    for _ in range(20):
        completed += one_run(kill_after=rng.uniform(0.0, duration)) == 0
        _assert_intact(out)
    run([corpus], out)  # the next run succeeds and sweeps the leftovers
    _assert_intact(out)
    assert not (out / ".staging").exists()
    # runs killed after renaming their version in place count as published; never a gap
    versions = list_versions(out)
    assert completed + 1 <= len(versions) <= 23
    assert versions == [f"version=v{i:04d}" for i in range(1, len(versions) + 1)]
    assert latest_version(out) == versions[-1]
