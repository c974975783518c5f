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
