"""Shared fixtures. Prefect's temporary server is started once per session, and only by
the tests that need the real flow (everything else calls the stages directly)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Isolate the tests from the developer's Prefect (profiles, a running local server): set
# before anything imports Prefect.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="newsprep-tests-prefect-")
os.environ.pop("PREFECT_API_URL", None)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# the seeds plus syndicated copies of one story: with 2 documents per batch, the copies of
# a cluster sit in batches that run in different worker processes
SPREAD_INPUTS = [SEEDS, FIXTURES / "devset" / "syndication" / "docs"]
TABLES = ("articles", "blocks", "clusters", "rejects", "inputs")


def cli_run_tables(out: Path, *options: str) -> dict[str, list[dict]]:
    """`newsprep run` over SPREAD_INPUTS, two documents a batch: every published table."""
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.publish import latest_version

    res = CliRunner().invoke(app, ["run", *map(str, SPREAD_INPUTS), "--output", str(out),
                                   "--batch-size", "2", *options])
    assert res.exit_code == 0, res.output
    version = out / latest_version(out)
    return {t: pq.read_table(version / f"{t}.parquet").to_pylist() for t in TABLES}


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (it costs seconds to start)."""
    from flows.cli import prepare_prefect_env

    prepare_prefect_env()
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def seeds_run(tmp_path_factory) -> Path:
    """The seeds run through every stage without Prefect; returns the output root."""
    from flows.runner import run

    out = tmp_path_factory.mktemp("seeds-out")
    run([SEEDS], out)
    return out


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst)
    return dst
