"""The real Prefect flow and the CLI, under one session-wide Prefect test server."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from flows.cli import app
from flows.publish import latest_version
from tests.conftest import SEEDS, cli_run_tables

runner = CliRunner()


def test_flow_runs_as_prefect_flow(prefect_harness, tmp_path):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.pipeline import newsprep_flow

    out = tmp_path / "out"
    state = newsprep_flow([str(SEEDS)], str(out), 2, return_state=True)
    assert state.is_completed()
    result = state.result()
    assert result["version"] == "version=v0001"
    assert result["articles"] == 5
    assert pq.read_table(out / latest_version(out) / "articles.parquet").num_rows == 5
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs()
        summary = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["newsprep-summary"]))
        )
    # one task run per batch and step (3 batches of 2 docs), never one per document
    run_id = state.state_details.flow_run_id
    names = [r.name.rsplit("-", 1)[0] for r in runs if r.flow_run_id == run_id]
    assert names.count("prepare-batch") == 3 and names.count("finish-batch") == 3
    assert summary and "rejects by reason" in summary[0].data.lower()


def test_cli_run_then_explain(prefect_harness, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(SEEDS), "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert "published" in res.output
    arts = pq.read_table(out / latest_version(out) / "articles.parquet").to_pylist()
    doc = next(a for a in arts if a["source_path"].startswith("003"))
    res = runner.invoke(app, ["explain", doc["doc_id"][:10], "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert "caption" in res.output and "boilerplate" in res.output
    manifest = json.loads((out / latest_version(out) / "manifest.json").read_text())
    assert manifest["counts"]["articles"] == 5


def test_cli_missing_input_exits_2_with_one_line(tmp_path):
    res = runner.invoke(app, ["run", str(tmp_path / "nope"), "--output", str(tmp_path)])
    assert res.exit_code == 2
    assert "input not found" in res.output


def test_cli_explain_unknown_doc_fails_cleanly(seeds_run):
    res = runner.invoke(app, ["explain", "zzzz", "--output", str(seeds_run)])
    assert res.exit_code == 1
    assert "no article matches" in res.output


def test_help_lists_every_option():
    res = runner.invoke(app, ["run", "--help"])
    assert res.exit_code == 0
    for opt in ("--output", "--batch-size", "INPUTS"):
        assert opt in res.output


def test_run_uses_a_running_local_server(tmp_path, monkeypatch):
    """A server started with `prefect server start --background` is found by its pid file
    and health endpoint; without one, nothing is set."""
    import http.server
    import threading

    from flows.cli import local_server_url

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/api/health" else 404)
            self.end_headers()
            self.wfile.write(b"true")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.setenv("PREFECT_SERVER_API_PORT", str(server.server_port))
    assert local_server_url() is None  # no pid file: no background server
    (tmp_path / "server.pid").write_text("1")
    assert local_server_url() == f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()
    assert local_server_url() is None  # pid file left, but nothing answers


def test_workers_run_publishes_what_one_process_does(prefect_harness, tmp_path):
    """`--workers 2`: batch steps are Prefect task runs whose work happens in two worker
    processes; what is published is exactly what one process publishes."""
    from prefect import get_client

    one = cli_run_tables(tmp_path / "one")
    two = cli_run_tables(tmp_path / "two", "--workers", "2")
    assert any(c["size"] > 1 for c in one["clusters"])  # copies across batches were found
    assert two == one
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_runs(limit=1, sort="START_TIME_DESC")[0]
        names = [r.name.rsplit("-", 1)[0] for r in client.read_task_runs()
                 if r.flow_run_id == flow_run.id]
    n_batches = -(-len(one["inputs"]) // 2)
    assert names.count("analyse-batch") == n_batches
