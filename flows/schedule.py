"""Scheduled re-runs: `newsprep_flow` as a Prefect deployment on a cron schedule.

`newsprep serve` serves the deployment from its own process (Prefect's runner polls the
server for the runs the schedule creates); `prefect.yaml` deploys the same flow to a work
pool instead. Prefect is imported inside the functions so the CLI's `--help` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
    from prefect.deployments.runner import RunnerDeployment

DEFAULT_NAME = "newsprep-scheduled"


class ScheduleError(ValueError):
    """A cron expression or timezone the scheduler cannot use (message fits one line)."""


def validate_cron(cron: str) -> str:
    """Return `cron` with normalised spacing, or raise ScheduleError saying why not.

    Only the classic five fields: Prefect's croniter would also take seconds and years
    columns, but the server schedules by the minute. Random (`R`) and hashed (`H`)
    fields are refused because Prefect's scheduler does not support them.
    """
    from prefect._vendor.croniter import croniter
    from prefect._vendor.croniter.croniter import CroniterError

    fields = cron.split()
    if len(fields) != 5:
        raise ScheduleError(f"invalid cron {cron!r}: expected 5 fields (minute hour "
                            f"day-of-month month day-of-week), got {len(fields)}")
    if any(f[0] in "RrHh" for f in fields):
        raise ScheduleError(f"invalid cron {cron!r}: random (R) and hashed (H) fields are "
                            "not supported")
    expr = " ".join(fields)
    try:
        croniter(expr, datetime.now(UTC)).get_next(datetime)
    except CroniterError as e:
        reason = "it never fires" if "next date" in str(e) else str(e)
        raise ScheduleError(f"invalid cron {cron!r}: {reason}") from None
    return expr


def cron_schedule(cron: str, timezone: str | None = None) -> CronSchedule:
    """The Prefect cron schedule, validated now rather than when the server rejects it."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    expr = validate_cron(cron)
    try:
        return CronSchedule(cron=expr, timezone=timezone)
    except ValidationError as e:
        raise ScheduleError(e.errors()[0]["msg"].removeprefix("Value error, ")) from None


def deployment_parameters(
    inputs: Sequence[str | Path] | None, output: str | Path, batch_size: int
) -> dict[str, Any]:
    """Flow parameters with absolute paths: a served or worker run may start elsewhere.

    `abspath` rather than `resolve` keeps symlinked input folders as the user named them
    (the reader judges symlinks relative to the input root).
    """
    paths = list(inputs) if inputs else ["seeds"]
    return {
        "inputs": [os.path.abspath(p) for p in paths],
        "output": os.path.abspath(output),
        "batch_size": batch_size,
        "show_progress": False,
    }


def deployment_for(
    schedule: CronSchedule | IntervalSchedule,
    name: str = DEFAULT_NAME,
    inputs: Sequence[str | Path] | None = None,
    output: str | Path = "output",
    batch_size: int = 1000,
) -> RunnerDeployment:
    """A deployment of `newsprep_flow` on `schedule`, entrypoint by module path so the
    run loads the installed package whatever its working directory."""
    from prefect.deployments.runner import EntrypointType

    from flows.pipeline import newsprep_flow

    return newsprep_flow.to_deployment(
        name=name,
        schedules=[schedule],
        parameters=deployment_parameters(inputs, output, batch_size),
        entrypoint_type=EntrypointType.MODULE_PATH,
        tags=["newsprep"],
    )


def build_deployment(
    name: str,
    cron: str,
    timezone: str | None,
    inputs: Sequence[str | Path] | None,
    output: str | Path,
    batch_size: int = 1000,
) -> RunnerDeployment:
    """The deployment `newsprep serve` registers; raises ScheduleError on a bad cron."""
    return deployment_for(cron_schedule(cron, timezone), name, inputs, output, batch_size)


def serve(
    name: str,
    cron: str,
    timezone: str | None,
    inputs: Sequence[str | Path] | None,
    output: str | Path,
    batch_size: int = 1000,
) -> None:
    """Register the deployment and run its scheduled runs until interrupted.

    One run at a time (`limit=1`): runs publish to the same output and would only wait
    on its lock. On shutdown Prefect pauses the schedule so runs do not pile up unserved.
    """
    from prefect import serve as prefect_serve

    prefect_serve(build_deployment(name, cron, timezone, inputs, output, batch_size),
                  limit=1)
