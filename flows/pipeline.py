"""The newsprep Prefect flow: the run of `flows.runner` with each batch step as a task.

Tasks work on batches (one task run per batch and step, never per document) and are
submitted to the flow's task runner: threads by default, a process pool for `--workers`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from flows.runner import RunConfig, RunResult, run


class PrefectExecutor:
    """Each batch step becomes a Prefect task run (one per batch, never one per document),
    submitted to the flow's task runner (threads, a process pool, or Dask)."""

    def __init__(self) -> None:
        self._tasks: dict[Callable, Any] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        if fn not in self._tasks:
            self._tasks[fn] = task(fn, name=fn.__name__.replace("_", "-"),
                                   cache_policy=NO_CACHE)
        return self._tasks[fn].submit(*args)


# One worker thread: the steps of a single-process run happen one at a time, in order (the
# stages keep per-process caches that are not meant to be shared between threads).
@flow(name="newsprep", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=1))
def newsprep_flow(
    inputs: list[str] | None = None,
    output: str = "output",
    batch_size: int = 1000,
    show_progress: bool = False,
    workers: int = 1,
) -> dict:
    """Clean, label, enrich and deduplicate `inputs`; publish a new version under `output`.

    The task runner decides where batches run; `run_flow` picks one for `workers`.
    """
    with _progress(show_progress) as tick:
        result = run(
            [Path(p) for p in (inputs or ["seeds"])],
            Path(output),
            RunConfig(batch_size=batch_size, workers=workers),
            executor=PrefectExecutor(),
            progress=tick,
        )
    _artifacts(result)
    return {"version": result.version, **result.counts}


@contextmanager
def _progress(enabled: bool):
    """A live count of documents per stage on stderr (only for an interactive terminal)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                  TextColumn("{task.completed} docs"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, object] = {}

        def tick(stage: str, n: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=None)
            bar.advance(tasks[stage], n)

        yield tick


def _artifacts(result: RunResult) -> None:
    """Leave the run's summary in Prefect: a Markdown report and a table of counts."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    c = result.counts
    lines = [f"# newsprep run: {result.version}", "",
             f"- inputs {c['inputs']}, articles {c['articles']}, rejects {c['rejects']}",
             f"- clusters {c['clusters']} ({c['multi_copy_clusters']} with several copies, "
             f"{c['duplicates']} duplicate copies)", "", "## Rejects by reason", ""]
    lines += [f"- {k}: {v}" for k, v in c["rejects_by_reason"].items()] or ["- none"]
    lines += ["", "## Top boilerplate rules", ""]
    lines += [f"- {k}: {v}" for k, v in c["top_rules"].items()] or ["- none"]
    lines += ["", "## Cluster sizes", ""]
    lines += [f"- {k} copies: {v} clusters" for k, v in c["cluster_sizes"].items()]
    create_markdown_artifact("\n".join(lines), key="newsprep-summary",
                             description=f"newsprep {result.version}")
    create_table_artifact(
        [{"count": k, "value": v} for k, v in c.items() if isinstance(v, int)],
        key="newsprep-counts", description=f"newsprep {result.version} counts",
    )


def run_flow(inputs: list[str], output: str, batch_size: int = 1000, workers: int = 1,
             show_progress: bool = False) -> dict:
    """Run the flow with a task runner that fits `workers`: one thread for one worker, a
    process pool for several (the cores)."""
    flow_ = newsprep_flow
    if workers > 1:
        flow_ = newsprep_flow.with_options(task_runner=ProcessPoolTaskRunner(max_workers=workers))
    return flow_(inputs, output, batch_size, show_progress, workers)
