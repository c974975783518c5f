"""`newsprep run --dask-address`: the CLI's code path on a small LocalCluster publishes what
a plain run publishes, and a cluster that is not there fails fast with one line."""

from __future__ import annotations

import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEEDS, cli_run_tables

runner = CliRunner()


@pytest.fixture(scope="module")
def cluster() -> Iterator:
    """Two single-threaded worker processes on this machine (so they share its disk)."""
    from distributed import LocalCluster

    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                      host="127.0.0.1", dashboard_address=":0") as c:
        yield c


def test_dask_run_publishes_what_a_plain_run_does(prefect_harness, cluster, tmp_path):
    from dask.utils import key_split
    from distributed import Client, get_task_stream

    plain = cli_run_tables(tmp_path / "plain")
    with Client(cluster, set_as_default=False) as client, get_task_stream(client) as stream:
        on_dask = cli_run_tables(tmp_path / "dask", "--dask-address", cluster.scheduler_address)
    assert [a["doc_id"] for a in on_dask["articles"]] == [a["doc_id"] for a in plain["articles"]]
    assert [a["text"] for a in on_dask["articles"]] == [a["text"] for a in plain["articles"]]
    assert any(c["size"] > 1 for c in plain["clusters"])  # dedup had something to find
    assert on_dask == plain
    # the batch steps ran on the cluster's workers, one Dask task per batch and step
    n_batches = -(-len(plain["inputs"]) // 2)
    steps = Counter(key_split(t["key"]) for t in stream.data)
    assert steps == {"prepare_batch": n_batches, "analyse_batch": n_batches,
                     "finish_batch": n_batches}
    assert {t["worker"] for t in stream.data} <= set(cluster.scheduler_info["workers"])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fails_with(tmp_path: Path, *options: str) -> str:
    res = runner.invoke(app, ["run", str(SEEDS), "--output", str(tmp_path / "out"), *options])
    assert res.exit_code != 0
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()  # refused before the run took the output
    return res.output


def test_unreachable_scheduler_fails_with_one_line(tmp_path):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    out = _fails_with(tmp_path, "--dask-address", address, "--dask-timeout", "1")
    assert out.strip() == f"newsprep: cannot reach a Dask scheduler at {address} within 1 s"


def test_port_that_does_not_speak_dask_times_out(tmp_path):
    """A listener that accepts and never answers (a mistyped port) must not hang the run."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    try:
        out = _fails_with(tmp_path, "--dask-address",
                          f"tcp://127.0.0.1:{server.getsockname()[1]}", "--dask-timeout", "1")
    finally:
        for s in (*accepted, server):
            s.close()
    assert "cannot reach a Dask scheduler" in out


def test_scheduler_without_workers_fails_with_one_line(tmp_path, caplog):
    from distributed import LocalCluster

    # this scheduler runs in the test's process: keep its log lines out of the CLI's output
    caplog.set_level(logging.ERROR, logger="distributed")
    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=":0") as empty:
        out = _fails_with(tmp_path, "--dask-address", empty.scheduler_address,
                          "--dask-timeout", "1")
    assert "no Dask worker joined the scheduler" in out


@pytest.mark.parametrize(("options", "message"), [
    (["--dask-address", "tcp://127.0.0.1:8786", "--workers", "2"], "do not mix"),
    (["--dask-address", "not-an-address"], "bad --dask-address"),
])
def test_bad_dask_usage_exits_2(tmp_path, options, message):
    res = runner.invoke(app, ["run", str(SEEDS), "--output", str(tmp_path / "out"), *options])
    assert res.exit_code == 2
    assert message in res.output
