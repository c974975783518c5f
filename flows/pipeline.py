"""The newsprep Prefect flow: the run of `flows.runner` with each batch step as a task.

Tasks work on batches (one task run per batch and step, never per document) and are
submitted to the flow's task runner: one thread by default; for `--workers N`, N threads
whose tasks hand their batch to a pool of N worker processes; a Dask cluster for
`--dask-address`.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.runner import RunConfig, RunResult, run


class PrefectExecutor:
    """Each batch step becomes a Prefect task run (one per batch, never one per document),
    submitted to the flow's task runner (threads or Dask). With `pool`, the task's body
    runs in that process pool while the task run itself lives in a flow thread."""

    def __init__(self, pool: Executor | None = None) -> None:
        self._tasks: dict[Callable, Any] = {}
        self._pool = pool

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        if fn not in self._tasks:
            body = fn if self._pool is None else _in_pool(fn, self._pool)
            self._tasks[fn] = task(body, name=fn.__name__.replace("_", "-"),
                                   cache_policy=NO_CACHE)
        return self._tasks[fn].submit(*args)


def _in_pool(fn: Callable[..., Any], pool: Executor) -> Callable[..., Any]:
    """`fn` run in `pool`: the Prefect task (states, logs, API calls) stays in the flow's
    thread, the batch work goes to a lean worker process."""

    @functools.wraps(fn)
    def step(*args: Any, **kwargs: Any) -> Any:
        return pool.submit(fn, *args, **kwargs).result()

    return step


# The worker processes of a `--workers N` run (set by `run_flow` for the flow's duration).
_batch_pool: Executor | None = None


@contextmanager
def worker_pool(workers: int) -> Iterator[Executor]:
    """N worker processes forked from a fresh server process with the stages imported: a
    worker starts in milliseconds and shares no threads or sockets with Prefect's (forking
    the flow's own process could copy a held lock). Prefect's ProcessPoolTaskRunner
    instead spawns interpreters that each import Prefect and run the task engine, which
    cost about a quarter of a second per task and made a two-core run slower than one."""
    global _batch_pool
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["flows.batches"])
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        _batch_pool = pool
        try:
            yield pool
        finally:
            _batch_pool = None


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
            executor=PrefectExecutor(_batch_pool),
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


class DaskUnavailable(RuntimeError):
    """The Dask scheduler did not answer, or no worker joined it, within the timeout."""


def dask_threads(address: str, timeout: float) -> int:
    """The worker threads of the Dask cluster at `address`: how many batches it runs at once.

    Asked before the flow starts, so a wrong address fails in `timeout` seconds with one
    line instead of leaving tasks queued on a scheduler that never runs them.
    """
    return asyncio.run(_dask_threads(address, timeout))


async def _dask_threads(address: str, timeout: float) -> int:
    from distributed import Client

    client = Client(address, asynchronous=True, timeout=timeout, set_as_default=False)
    try:
        try:
            # distributed's own timeout covers the TCP connect only: a port that accepts
            # but does not speak Dask (the dashboard's, say) would hang the handshake.
            async with asyncio.timeout(timeout):
                await client
        except (OSError, TimeoutError):
            raise DaskUnavailable(f"cannot reach a Dask scheduler at {address} within "
                                  f"{timeout:g} s") from None
        except Exception as e:  # something answered, but not in Dask's protocol
            raise DaskUnavailable(f"{address} does not answer like a Dask scheduler "
                                  f"({type(e).__name__})") from None
        try:
            await client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise DaskUnavailable(f"no Dask worker joined the scheduler at {address} "
                                  f"within {timeout:g} s") from None
        return sum((await client.nthreads()).values())
    finally:
        await client.close()


def run_flow(inputs: list[str], output: str, batch_size: int = 1000, workers: int = 1,
             show_progress: bool = False, dask_address: str | None = None,
             dask_timeout: float = 10.0) -> dict:
    """Run the flow with a task runner that fits `workers`: one thread for one worker;
    `workers` threads feeding as many worker processes (the cores); or the Dask cluster at
    `dask_address`.

    On Dask, `workers` is ignored: the cluster's worker threads decide how many batches are
    in flight (fewer leaves threads idle, more only holds more batches in memory), counted
    when the run starts. Dask workers read and write the run's staging folder under
    `output` and read the inputs, so paths are made absolute (a worker's working directory
    is its own) and the workers must see the same filesystem at the same paths.
    """
    flow_ = newsprep_flow
    if dask_address:
        from prefect_dask import DaskTaskRunner

        workers = dask_threads(dask_address, dask_timeout)
        inputs = [str(Path(p).absolute()) for p in inputs]
        output = str(Path(output).absolute())
        flow_ = newsprep_flow.with_options(task_runner=DaskTaskRunner(
            address=dask_address, client_kwargs={"timeout": dask_timeout}))
    elif workers > 1:
        flow_ = newsprep_flow.with_options(task_runner=ThreadPoolTaskRunner(max_workers=workers))
        with worker_pool(workers):
            return flow_(inputs, output, batch_size, show_progress, workers)
    return flow_(inputs, output, batch_size, show_progress, workers)
