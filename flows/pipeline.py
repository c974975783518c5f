"""The newsprep flow: wires the stages, one Prefect task per batch of documents.

Passes keep memory bounded (only compact per-document tables live for the whole run):
1. read -> repair -> segment, per batch; line statistics merged run-wide; batch cached.
2. label -> metadata -> language -> signatures/passages, per batch (needs pass-1 stats).
3. global: clusters, passage statistics, metadata propagation (compact tables only).
4. per batch: final rows written to the staged version; then publish atomically.

Every batch step here is a plain function (tested without Prefect). `run` hands them to an
executor: inline, a process pool, or Prefect tasks (`newsprep_flow`), so the same code runs
with or without Prefect and the benchmark can measure what Prefect adds.
"""

from __future__ import annotations

import pickle
from collections import Counter, deque
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import blocks, language, metadata, read, repair, syndication
from flows.card import dataset_card
from flows.model import Document, Reject
from flows.publish import Staging, base_manifest, input_digest, latest_version, output_lock
from flows.report import article_keys, diff_keys
from flows.tables import articles_table, blocks_table, rejects_table


@dataclass(frozen=True)
class RunConfig:
    """Everything a run depends on besides its inputs; recorded in the manifest."""

    batch_size: int = 1000
    max_bytes: int = 20_000_000
    workers: int = 1  # processes working on batches at once
    syndication: syndication.SyndicationParams = field(
        default_factory=syndication.SyndicationParams
    )

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunResult:
    version: str
    output: Path
    counts: dict


# --------------------------------------------------------------------------- batch steps


def _cache_path(work: Path, index: int) -> Path:
    return work / f"batch-{index:06d}.pkl"


def _save(work: Path, index: int, docs: list[Document]) -> None:
    with open(_cache_path(work, index), "wb") as f:
        pickle.dump(docs, f, protocol=pickle.HIGHEST_PROTOCOL)


def _load(work: Path, index: int) -> list[Document]:
    with open(_cache_path(work, index), "rb") as f:
        return pickle.load(f)


@dataclass
class Pass1Result:
    index: int
    inputs: list[tuple[str, str, str, int]]  # doc_id, source_path, raw_sha256, raw_size
    rejects: list[Reject]
    stats: blocks.LineStats


def prepare_batch(sources: list[read.Source], work: Path, index: int) -> Pass1Result:
    """read -> repair -> segment one batch; cache it; return its line statistics."""
    docs, rejects = read.read_batch(sources)
    repair.repair_batch(docs)
    blocks.segment_batch(docs)
    stats = blocks.LineStats()
    for d in docs:
        stats.add(d)
    _save(work, index, docs)
    return Pass1Result(
        index=index,
        inputs=[(d.doc_id, d.source_path, d.raw_sha256, d.raw_size) for d in docs],
        rejects=rejects,
        stats=stats,
    )


@dataclass
class Pass2Result:
    index: int
    signatures: pa.Table
    passages: pa.Table
    meta: pa.Table


def analyse_batch(
    work: Path,
    index: int,
    stats: blocks.LineStats,
    drop: frozenset[str],
    params: syndication.SyndicationParams,
) -> Pass2Result:
    """label -> metadata -> language -> signatures for one cached batch."""
    docs = [d for d in _load(work, index) if d.source_path not in drop]
    blocks.label_batch(docs, stats)
    metadata.extract_batch(docs)
    language.detect_batch(docs)
    _save(work, index, docs)
    return Pass2Result(
        index=index,
        signatures=syndication.signature_table(docs, params),
        passages=syndication.passage_table(docs, params),
        meta=metadata.meta_table(docs),
    )


def finish_batch(
    work: Path, index: int, assignments: pa.Table, meta: pa.Table, passages: pa.Table
) -> tuple[pa.Table, pa.Table]:
    """Apply clusters and propagated metadata to a batch (tables hold this batch's rows
    only); return its article and block rows."""
    docs = _load(work, index)
    by_id = {r["doc_id"]: r for r in assignments.to_pylist()}
    for d in docs:
        a = by_id[d.doc_id]
        d.cluster_id = a["cluster_id"]
        d.is_canonical = a["is_canonical"]
        d.duplicate_of = a["duplicate_of"]
        d.similarity = a["similarity"]
        d.similarity_method = a["similarity_method"]
    metadata.apply_meta(docs, meta)
    return articles_table(docs), blocks_table(docs, passages)


# --------------------------------------------------------------------------- the run


class Executor(Protocol):
    """Runs one batch step somewhere (inline, a process pool, Prefect tasks) and returns a
    future whose `.result()` gives its value or raises its error."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any: ...


class _Done:
    def __init__(self, value: Any):
        self.value = value

    def result(self) -> Any:
        return self.value


class InlineExecutor:
    """Runs each step at once in this process (tests, small inputs, profiling)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> _Done:
        return _Done(fn(*args))


def _in_order(executor: Executor, fn: Callable, arg_lists: Iterable[tuple], window: int):
    """Submit fn over arg_lists with at most `window` steps in flight; yield results in order.

    The window bounds memory (batches waiting to be processed hold their text) while
    keeping every worker busy.
    """
    pending: deque = deque()
    for args in arg_lists:
        pending.append(executor.submit(fn, *args))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _source_batches(
    inputs: list[Path], config: RunConfig, rejects: list[Reject], counter: Counter
) -> Iterable[list[read.Source]]:
    """Batches of readable sources; discovery rejects (symlinks, too large...) go aside."""
    sources: list[read.Source] = []
    for item in read.iter_sources(inputs, max_bytes=config.max_bytes):
        counter["inputs"] += 1
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        sources.append(item)
        if len(sources) == config.batch_size:
            yield sources
            sources = []
    if sources:
        yield sources


def _lookup(keys: pa.ChunkedArray, table: pa.Table, column: str) -> pa.ChunkedArray:
    """table[column] for each doc_id in keys (Arrow's join cannot carry list columns)."""
    return table[column].take(pc.index_in(keys, value_set=table["doc_id"]))


def _split_by_batch(table: pa.Table, doc_batch: pa.Table, n: int) -> list[pa.Table]:
    """Cut a run-wide per-document table into one table per batch (one sort, no loops)."""
    batch = _lookup(table["doc_id"], doc_batch, "batch").to_numpy(zero_copy_only=False)
    order = np.argsort(batch, kind="stable")
    t = table.take(order)
    bounds = np.searchsorted(batch[order], np.arange(n + 1))
    return [t.slice(bounds[i], bounds[i + 1] - bounds[i]) for i in range(n)]


def run(
    inputs: list[Path],
    output: Path,
    config: RunConfig | None = None,
    executor: Executor | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> RunResult:
    """Run every stage over `inputs` and publish one new version under `output`.

    `executor` runs the batch steps (inline by default; a process pool or Prefect tasks).
    """
    config = config or RunConfig()
    tick = progress or (lambda stage, n: None)
    output = Path(output)
    with output_lock(output):
        staging = Staging.create(output)
        try:
            result = _run_locked([Path(p) for p in inputs], staging, config,
                                 executor or InlineExecutor(), tick)
        except BaseException:
            staging.abort()
            raise
    return result


def _run_locked(inputs: list[Path], staging: Staging, config: RunConfig, executor: Executor,
                tick: Callable[[str, int], None]) -> RunResult:
    window = 2 * max(1, config.workers)
    rejects: list[Reject] = []
    counts: Counter = Counter()
    stats = blocks.LineStats()
    seen: dict[str, str] = {}  # doc_id -> first source_path, for exact duplicates
    drops: list[frozenset[str]] = []  # per batch: source_paths of exact duplicates
    input_records: list[tuple[str, str]] = []

    # pass 1: read, repair, segment (batches cached in staging), run-wide line statistics
    batches = enumerate(_source_batches(inputs, config, rejects, counts))
    for r in _in_order(executor, prepare_batch,
                       ((b, staging.work, i) for i, b in batches), window):
        rejects.extend(r.rejects)
        stats.merge(r.stats)
        drop = set()
        for doc_id, path, sha, _size in r.inputs:
            if doc_id in seen:
                drop.add(path)
                rejects.append(Reject(path, "exact_duplicate", f"same bytes as {seen[doc_id]}"))
            else:
                seen[doc_id] = path
                input_records.append((path, sha))
        drops.append(frozenset(drop))
        tick("read", len(r.inputs))
    n_batches = len(drops)
    seen.clear()
    stats.prune(min_docs=2)

    # pass 2: label, metadata, language, signatures
    signatures, passages, metas, doc_batch = [], [], [], []
    for r in _in_order(executor, analyse_batch,
                       ((staging.work, i, stats, drops[i], config.syndication)
                        for i in range(n_batches)), window):
        signatures.append(r.signatures)
        passages.append(r.passages)
        metas.append(r.meta)
        doc_batch.append(pa.table({"doc_id": r.meta["doc_id"],
                                   "batch": pa.array([r.index] * r.meta.num_rows, pa.int32())}))
        tick("analyse", r.meta.num_rows)

    # global: clusters, passage statistics, metadata propagation (compact tables only)
    params = config.syndication
    sig_table = _concat(signatures, syndication.signature_table([], params))
    assign = syndication.cluster(sig_table, params)
    pass_stats = syndication.passage_stats(
        _concat(passages, syndication.passage_table([], params)), assign)
    meta = _concat(metas, metadata.meta_table([]))
    meta = meta.set_column(meta.schema.get_field_index("cluster_id"), "cluster_id",
                           _lookup(meta["doc_id"], assign, "cluster_id"))
    meta = metadata.propagate(meta)
    doc_batch_table = _concat(doc_batch, pa.table({"doc_id": pa.array([], pa.string()),
                                                    "batch": pa.array([], pa.int32())}))
    per_batch = zip(*(_split_by_batch(t, doc_batch_table, n_batches)
                      for t in (assign, meta, pass_stats)), strict=True)

    # pass 3: final rows, written in batch order as they come
    rules: Counter = Counter()
    cluster_facts, path_ids = [], []
    for arts, blks in _in_order(executor, finish_batch,
                                ((staging.work, i, *parts) for i, parts in enumerate(per_batch)),
                                window):
        staging.write("articles", arts)
        staging.write("blocks", blks)
        cluster_facts.append(arts.select(["doc_id", "outlet", "published_date"]))
        path_ids.append(arts.select(["source_path", "doc_id"]))
        counts["articles"] += arts.num_rows
        counts["blocks"] += blks.num_rows
        for role, n in Counter(blks["role"].to_pylist()).items():
            counts[f"role:{role}"] += n
        rules.update(r for r in blks["reason"].to_pylist() if r)
        tick("write", arts.num_rows)
    staging.write("rejects", rejects_table(rejects))
    clusters = _clusters(assign, cluster_facts)
    staging.write("clusters", clusters)

    manifest = base_manifest(config.as_dict())
    manifest["inputs"] = {
        "roots": [str(p) for p in inputs],
        "count": counts["inputs"],
        "digest": input_digest(sorted(input_records)),
    }
    reasons = Counter(r.reason for r in rejects)
    multi = [s for s in clusters["size"].to_pylist() if s > 1]
    manifest["counts"] = {
        "inputs": counts["inputs"],
        "articles": counts["articles"],
        "rejects": len(rejects),
        "rejects_by_reason": dict(sorted(reasons.items())),
        "blocks": counts["blocks"],
        "blocks_by_role": {k[5:]: v for k, v in sorted(counts.items()) if k.startswith("role:")},
        "clusters": clusters.num_rows,
        "multi_copy_clusters": len(multi),
        "duplicates": sum(multi) - len(multi),
        "cluster_sizes": {str(k): v for k, v in sorted(Counter(clusters["size"].to_pylist())
                                                           .items())},
        "top_rules": dict(rules.most_common(10)),
    }
    parent = latest_version(staging.root)
    if parent:
        now = _concat(path_ids, pa.table({"source_path": pa.array([], pa.string()),
                                          "doc_id": pa.array([], pa.string())}))
        new_keys = dict(zip(now["source_path"].to_pylist(), now["doc_id"].to_pylist(),
                            strict=True))
        manifest["changes"] = diff_keys(article_keys(staging.root / parent), new_keys)
    version = staging.publish(manifest, dataset_card(manifest))
    return RunResult(version=version, output=staging.root, counts=manifest["counts"])


def _concat(tables: list[pa.Table], empty: pa.Table) -> pa.Table:
    return pa.concat_tables(tables) if tables else empty


def _clusters(assign: pa.Table, facts: list[pa.Table]) -> pa.Table:
    """The clusters table in the published schema (outlets and first date of the copies)."""
    if facts:
        facts_table = pa.concat_tables(facts)
    else:
        facts_table = pa.table({"doc_id": pa.array([], pa.string()),
                                "outlet": pa.array([], pa.string()),
                                "published_date": pa.array([], pa.date32())})
    t = syndication.clusters_table(assign, facts_table)
    return t.rename_columns({"canonical": "canonical_doc_id", "first_date": "first_published"})


# --------------------------------------------------------------------------- Prefect


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


@flow(name="newsprep", log_prints=False)
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
    """Run the flow with a task runner that fits `workers`: threads for one worker (the
    steps are then simply pipelined), a process pool for several (both cores)."""
    flow_ = newsprep_flow
    if workers > 1:
        from prefect.task_runners import ProcessPoolTaskRunner

        flow_ = newsprep_flow.with_options(task_runner=ProcessPoolTaskRunner(max_workers=workers))
    return flow_(inputs, output, batch_size, show_progress, workers)
