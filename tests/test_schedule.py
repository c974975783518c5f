"""Scheduled re-runs: the deployment builder, cron validation, `newsprep serve`,
prefect.yaml, and a scheduled run that really fires and publishes a version."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from flows import schedule
from flows.cli import app
from tests.conftest import ROOT, SEEDS

runner = CliRunner()


# --------------------------------------------------------------------------- cron


@pytest.mark.parametrize(
    ("cron", "reason"),
    [
        ("61 * * * *", "out of range"),
        ("* * *", "expected 5 fields"),
        ("0 * * * * *", "expected 5 fields"),  # seconds column: the server works in minutes
        ("H * * * *", "hashed"),
        ("0 0 31 2 *", "never fires"),  # 31 February
        ("*/0 * * * *", "invalid cron"),
    ],
)
def test_bad_cron_is_refused_with_a_reason(cron, reason):
    with pytest.raises(schedule.ScheduleError, match=reason) as err:
        schedule.cron_schedule(cron)
    assert "\n" not in str(err.value)


def test_cron_schedule_normalises_and_keeps_the_timezone():
    s = schedule.cron_schedule("  0   6 * * 1-5 ", "Europe/Paris")
    assert (s.cron, s.timezone) == ("0 6 * * 1-5", "Europe/Paris")


def test_unknown_timezone_is_refused():
    with pytest.raises(schedule.ScheduleError, match="Invalid timezone"):
        schedule.cron_schedule("0 * * * *", "Mars/Olympus_Mons")


# --------------------------------------------------------------------------- deployment


def test_parameters_are_absolute_and_keep_symlinks(tmp_path, monkeypatch):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path)
    params = schedule.deployment_parameters(["link", "sub/../real"], "out", 7)
    assert params == {
        "inputs": [str(tmp_path / "link"), str(tmp_path / "real")],
        "output": str(tmp_path / "out"),
        "batch_size": 7,
        "show_progress": False,
    }
    assert schedule.deployment_parameters(None, "out", 1)["inputs"] == [str(tmp_path / "seeds")]


def test_build_deployment_targets_the_flow_on_its_cron(tmp_path, monkeypatch):
    from flows.pipeline import newsprep_flow

    monkeypatch.chdir(tmp_path)
    d = schedule.build_deployment("nightly", "30 2 * * *", "Asia/Tokyo", ["in"], "out", 50)
    assert (d.name, d.flow_name) == ("nightly", newsprep_flow.name)
    assert d.entrypoint == "flows.pipeline.newsprep_flow"  # importable from any cwd
    [s] = d.schedules
    assert (s.schedule.cron, s.schedule.timezone, s.active) == ("30 2 * * *", "Asia/Tokyo", True)
    assert d.parameters["inputs"] == [str(tmp_path / "in")]
    assert d.parameters["output"] == str(tmp_path / "out")
    newsprep_flow.validate_parameters(d.parameters)  # the flow accepts them as they are


def test_build_deployment_refuses_a_bad_cron():
    with pytest.raises(schedule.ScheduleError):
        schedule.build_deployment("x", "every hour", None, None, "out")


# --------------------------------------------------------------------------- CLI


def test_serve_without_a_server_exits_2_with_the_way_to_start_one(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    res = runner.invoke(app, ["serve", "--cron", "0 * * * *", str(SEEDS)])
    assert res.exit_code == 2
    assert "prefect server start" in res.output
    assert "PREFECT_API_URL=http://127.0.0.1:4200/api" in res.output


def test_serve_finds_a_background_server(monkeypatch):
    """With no PREFECT_API_URL, serve uses the server `prefect server start --background`
    left running (found as `run` finds it) instead of refusing."""
    import prefect

    from flows import cli

    served = {}
    monkeypatch.setattr(prefect, "serve", lambda *d, **kw: served.update(url=os.environ[
        "PREFECT_API_URL"]))
    monkeypatch.setattr(cli, "local_server_url", lambda: "http://127.0.0.1:4242/api")
    monkeypatch.setenv("PREFECT_API_URL", "")  # unset for the command, restored after
    res = runner.invoke(app, ["serve", "--cron", "0 * * * *", str(SEEDS)])
    assert res.exit_code == 0, res.output
    assert served == {"url": "http://127.0.0.1:4242/api"}


def test_serve_bad_cron_exits_2_with_one_line(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    res = runner.invoke(app, ["serve", "--cron", "0 25 * * *", str(SEEDS)])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and "invalid cron '0 25 * * *'" in res.output


def test_serve_hands_prefect_the_scheduled_deployment(monkeypatch, tmp_path):
    import prefect

    served = {}
    monkeypatch.setattr(prefect, "serve", lambda *d, **kw: served.update(deps=d, kw=kw))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    res = runner.invoke(app, ["serve", "--cron", "*/15 * * * *", "in", "-o", "out",
                              "--name", "quarterly", "--timezone", "UTC"])
    assert res.exit_code == 0, res.output
    [d] = served["deps"]
    assert served["kw"] == {"limit": 1}
    assert (d.name, d.schedules[0].schedule.cron) == ("quarterly", "*/15 * * * *")
    assert d.parameters["inputs"] == [str(tmp_path / "in")]
    assert d.parameters["output"] == str(tmp_path / "out")


# --------------------------------------------------------------------------- prefect.yaml


def _project() -> dict:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def test_prefect_yaml_pulls_nothing_from_the_network():
    project = _project()
    assert project["build"] is None and project["push"] is None
    assert project["pull"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $PWD }}"}}
    ]


def test_prefect_yaml_deployment_matches_the_flow(monkeypatch):
    from prefect.flows import load_flow_from_entrypoint

    from flows.pipeline import newsprep_flow

    [dep] = _project()["deployments"]
    monkeypatch.chdir(ROOT)  # where `prefect deploy` runs and the pull step leads
    loaded = load_flow_from_entrypoint(dep["entrypoint"])
    assert loaded.name == newsprep_flow.name
    assert loaded.fn.__qualname__ == newsprep_flow.fn.__qualname__
    assert inspect.getsourcefile(loaded.fn) == inspect.getsourcefile(newsprep_flow.fn)
    params = dep["parameters"]
    assert set(params) <= set(inspect.signature(newsprep_flow.fn).parameters)
    newsprep_flow.validate_parameters(params)
    assert all((ROOT / p).is_dir() for p in params["inputs"])
    for s in dep["schedules"]:
        schedule.cron_schedule(s["cron"], s.get("timezone"))
    pool = dep["work_pool"]["name"]
    text = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    assert f"work-pool create {pool} --type process" in text
    assert f"worker start --pool {pool}" in text


# --------------------------------------------------------------------------- firing


async def _serve_until_scheduled_run_ends(deployment, timeout: float):
    """Serve `deployment` as `newsprep serve` does, let the schedule create its next run,
    and return that run once the runner has taken it to a final state."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.runner import Runner

    # prefetch 0: the runner only takes runs whose scheduled time has come
    served = Runner(name=f"test-{uuid.uuid4().hex[:8]}", query_seconds=1, prefetch_seconds=0,
                    limit=1)
    deployment_id = await served.aadd_deployment(deployment)
    async with get_client() as client:
        # The scheduler service's step (the test server runs with it switched off): turn
        # the deployment's schedule into its next run, as the service would.
        response = await client.request("POST", "/deployments/{id}/schedule",
                                        path_params={"id": deployment_id},
                                        json={"max_runs": 1})
        response.raise_for_status()
        [scheduled] = await client.get_scheduled_flow_runs_for_deployments(
            [deployment_id], scheduled_before=datetime.now(UTC) + timedelta(minutes=1))
        async with asyncio.timeout(timeout):
            task = asyncio.create_task(served.start())
            run = await client.read_flow_run(scheduled.id)
            while not run.state.is_final():
                await asyncio.sleep(0.5)
                run = await client.read_flow_run(scheduled.id)
            await served.astop()
            await task
        deployment_api = await client.read_deployment(deployment_id)
        runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[deployment_id])))
    return run, deployment_api, runs


def test_scheduled_run_fires_and_publishes_a_version(prefect_harness, tmp_path):
    from prefect.client.schemas.schedules import IntervalSchedule

    out = tmp_path / "out"
    every_2s = IntervalSchedule(interval=timedelta(seconds=2), anchor_date=datetime.now(UTC))
    deployment = schedule.deployment_for(every_2s, f"fires-{uuid.uuid4().hex[:8]}",
                                         [SEEDS], out)
    sigterm = signal.getsignal(signal.SIGTERM)  # Runner.start installs its own handler
    try:
        run, dep, runs = asyncio.run(_serve_until_scheduled_run_ends(deployment, 60))
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    # created by the deployment's schedule: a run_deployment call is not auto_scheduled
    # and has no SCHEDULE creator
    assert run.auto_scheduled and run.created_by.type == "SCHEDULE"
    assert run.created_by.id == dep.schedules[0].id
    assert [r.id for r in runs] == [run.id]
    assert run.state.is_completed(), run.state
    assert run.start_time >= run.expected_start_time  # it waited for its time to come
    assert run.parameters["output"] == str(out)
    assert (out / "LATEST").read_text().strip() == "version=v0001"
    assert pq.read_table(out / "version=v0001" / "articles.parquet").num_rows == 5
    assert dep.paused  # paused when serving stops: runs do not pile up unserved


def test_serve_loads_its_entrypoint_from_anywhere(tmp_path, monkeypatch):
    from prefect.flows import load_flow_from_entrypoint

    monkeypatch.chdir(tmp_path)
    d = schedule.build_deployment("x", "0 * * * *", None, None, Path("out"))
    assert load_flow_from_entrypoint(d.entrypoint).name == "newsprep"
