"""The `newsprep` command.

Exit codes: 0 success; 1 the run failed (one-line reason on stderr); 2 bad usage.
Heavy imports (Prefect, the stages) happen inside the commands so `--help` stays instant.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="newsprep: raw scraped news text in, a clean, deduplicated, versioned Parquet "
    "dataset out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Services a one-shot local run never needs; switching them off shortens the start of
# Prefect's temporary server. Only applied when no server is configured, never overriding
# what the user set.
_EPHEMERAL_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CLEANUP_RECONCILER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
}


def _fail(message: str, code: int = 1) -> typer.Exit:
    print(f"newsprep: {message}", file=sys.stderr)
    return typer.Exit(code)


def local_server_url() -> str | None:
    """The API of a Prefect server started with `prefect server start --background`, if
    one answers: runs then skip starting a temporary server (seconds saved per run)."""
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()
    if not (home / "server.pid").is_file():
        return None
    host = os.environ.get("PREFECT_SERVER_API_HOST", "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{host}:{os.environ.get('PREFECT_SERVER_API_PORT', '4200')}/api"
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=0.5) as response:
            return url if response.status == 200 else None
    except OSError:
        return None


def prepare_prefect_env() -> None:
    """Quiet Prefect's per-task log lines (the CLI shows progress itself), and make its
    temporary server start as fast as it can when no server is set."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    if os.environ.get("PREFECT_API_URL"):
        return
    for key, value in _EPHEMERAL_DEFAULTS.items():
        os.environ.setdefault(key, value)


@app.command()
def run(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders of .txt files (any depth), .txt files or .jsonl files (one "
            "article per line: `text` required; `id`, `url`, `title` optional). "
            "Default: seeds/."
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output root; each run adds a version.")
    ] = Path("output"),
    batch_size: Annotated[
        int, typer.Option(min=1, help="Documents per batch (one Prefect task per batch).")
    ] = 1000,
    workers: Annotated[
        int | None,
        typer.Option(min=1, show_default=False,
                     help="Processes working on batches at once on this machine (use the "
                     "cores). Default: 1. Not with --dask-address."),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(help="Run the batches on the Dask cluster whose scheduler is at this "
                     "address, e.g. tcp://HOST:8786; as many batches at once as it has "
                     "worker threads. Its workers must have newsprep installed and see "
                     "INPUTS and --output at the same absolute paths (a shared filesystem), "
                     "and reach the Prefect API (PREFECT_API_URL when they are on other "
                     "machines)."),
    ] = None,
    dask_timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds to wait for the Dask scheduler and a first "
                     "worker before giving up."),
    ] = 10.0,
) -> None:
    """Run the flow over INPUTS and publish a new version under --output."""
    inputs = inputs or [Path("seeds")]
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise _fail(f"input not found: {', '.join(missing)}", 2)
    if dask_address and workers is not None:
        raise _fail("--workers and --dask-address do not mix: on Dask the cluster's worker "
                    "threads decide how many batches run at once", 2)
    if dask_address:
        from distributed.comm import get_address_host_port

        try:
            get_address_host_port(dask_address)
        except ValueError as e:
            raise _fail(f"bad --dask-address: {e}", 2) from None
    if not os.environ.get("PREFECT_API_URL") and (url := local_server_url()):
        os.environ["PREFECT_API_URL"] = url
    prepare_prefect_env()
    from flows.pipeline import DaskUnavailable, run_flow
    from flows.publish import OutputLocked

    try:
        result = run_flow([str(p) for p in inputs], str(output), batch_size, workers or 1,
                          show_progress=sys.stderr.isatty(), dask_address=dask_address,
                          dask_timeout=dask_timeout)
    except (OutputLocked, DaskUnavailable) as e:
        raise _fail(str(e)) from None
    except Exception as e:  # one line for the user; Prefect has logged the traceback
        raise _fail(f"run failed: {type(e).__name__}: {e}") from None
    print(
        f"published {output / result['version']}: {result['articles']} articles, "
        f"{result['rejects']} rejects, {result['clusters']} clusters "
        f"({result['duplicates']} duplicate copies)"
    )


@app.command()
def explain(
    doc_id: Annotated[str, typer.Argument(help="doc_id (or a unique prefix, or source_path).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output root.")] = Path(
        "output"
    ),
) -> None:
    """Print a document's blocks with role and rule, to see why each line was kept or dropped."""
    from flows.report import explain_document

    try:
        print(explain_document(output, doc_id))
    except LookupError as e:
        raise _fail(str(e)) from None


@app.command()
def versions(
    output: Annotated[Path, typer.Option("--output", "-o", help="Output root.")] = Path(
        "output"
    ),
) -> None:
    """List the published versions with their counts (* marks LATEST)."""
    from flows.report import versions_summary

    rows = versions_summary(output)
    if not rows:
        raise _fail(f"no published version under {output}")
    print(f"  {'version':<16} {'created':<26} {'inputs':>8} {'articles':>9} {'rejects':>8} "
          f"{'clusters':>9}")
    for r in rows:
        print(f"{'*' if r['latest'] else ' '} {r['version']:<16} {r['created'] or '':<26} "
              f"{r['inputs']:>8} {r['articles']:>9} {r['rejects']:>8} {r['clusters']:>9}")


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="Older version, e.g. v0001 or version=v0001.")],
    b: Annotated[str, typer.Argument(help="Newer version.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output root.")] = Path(
        "output"
    ),
) -> None:
    """Articles added, removed and changed between two versions (by source_path)."""
    from flows.report import diff_versions

    try:
        d = diff_versions(output, a, b)
    except LookupError as e:
        raise _fail(str(e)) from None
    print(f"added {d['added']}  removed {d['removed']}  changed {d['changed']}  "
          f"unchanged {d['unchanged']}")
    for kind in ("added", "removed", "changed"):
        for path in d["examples"][kind]:
            print(f"  {kind:<8} {path}")


@app.command()
def schema(
    check: Annotated[
        bool, typer.Option(help="Only check that schemas/ matches the code; exit 1 if not.")
    ] = False,
    directory: Annotated[Path, typer.Option(help="Where the schema files live.")] = Path(
        "schemas"
    ),
) -> None:
    """Write (or check) the JSON Schema and Markdown pages generated from flows/schema.py."""
    from flows.schema import generated_files

    files = generated_files()
    if check:
        stale = [
            n for n, text in files.items()
            if not (directory / n).is_file() or (directory / n).read_text("utf-8") != text
        ]
        if stale:
            raise _fail(f"schema docs out of date: {', '.join(stale)} (run `newsprep schema`)")
        print(f"{directory}: up to date")
        return
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {directory}")


@app.command()
def serve(
    cron: Annotated[
        str,
        typer.Option(help="When to run: a 5-field cron expression, e.g. '0 * * * *' "
                     "(hourly)."),
    ],
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="What each run reads (as for `run`). Default: seeds/."),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output root; each run adds a version.")
    ] = Path("output"),
    name: Annotated[str, typer.Option(help="Deployment name.")] = "newsprep-scheduled",
    timezone: Annotated[
        str | None,
        typer.Option(help="IANA timezone the cron expression is read in. Default: UTC."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Documents per batch (one Prefect task per batch).")
    ] = 1000,
) -> None:
    """Re-run the flow on a cron schedule, served from this process until Ctrl-C.

    Needs a running Prefect server (PREFECT_API_URL, or one started here with `prefect
    server start --background`): a temporary one would die with this process and could
    not keep a schedule.
    """
    inputs = inputs or [Path("seeds")]
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise _fail(f"input not found: {', '.join(missing)}", 2)
    from flows import schedule

    try:
        schedule.cron_schedule(cron, timezone)
    except schedule.ScheduleError as e:
        raise _fail(str(e), 2) from None
    if not os.environ.get("PREFECT_API_URL") and (url := local_server_url()):
        os.environ["PREFECT_API_URL"] = url
    if not os.environ.get("PREFECT_API_URL"):
        raise _fail("serve needs a Prefect server: start one with `prefect server start "
                    "--background` (found without more), or point at one with `export "
                    "PREFECT_API_URL=http://127.0.0.1:4200/api`", 2)
    try:
        schedule.serve(name, cron, timezone, [str(p) for p in inputs], str(output),
                       batch_size)
    except Exception as e:  # one line for the user (server unreachable, ...)
        raise _fail(f"serve failed: {type(e).__name__}: {e}") from None


def main() -> None:
    app()


if __name__ == "__main__":
    main()
