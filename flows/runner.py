"""Runs the batch steps over every input and publishes a version (no Prefect here).

Passes keep memory bounded (only compact per-document tables live for the whole run):
1. read -> repair -> segment, per batch; line statistics merged run-wide; batch cached.
2. label -> metadata -> language -> signatures/passages, per batch (needs pass-1 stats);
   each batch's compact tables and its article and block rows are written to the scratch
   folder.
3. global: clusters, passage statistics, metadata propagation, reading one kind of compact
   table at a time.
4. per batch: the global results joined onto the batch's rows, which are written to the
   staged version; then publish atomically.

`run` hands the steps to an executor: inline, a process pool, or Prefect tasks
(`flows.pipeline`), so the same code runs with or without Prefect and the benchmark can
measure what Prefect adds.
"""

from __future__ import annotations

import bisect
import resource
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flows import blocks, metadata, read, syndication
from flows.batches import (
    analyse_batch,
    doc_key,
    finish_batch,
    pass2_path,
    prepare_batch,
    read_arrow,
    release_free_memory,
    save_stats,
)
from flows.card import dataset_card
from flows.incremental import Parent
from flows.model import Reject
from flows.publish import Staging, base_manifest, input_digest, latest_version, output_lock
from flows.report import article_keys, diff_keys
from flows.tables import inputs_table, rejects_table


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
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each pass


class _Laps(dict):
    """Wall seconds of each pass of a run, and this process's peak RSS at the end of each,
    kept in the manifest so a user (and the scale benchmark) sees where time and memory
    went."""

    def __init__(self) -> None:
        super().__init__()
        self._last = time.perf_counter()
        self.peak_mb: dict[str, int] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self[name] = round(now - self._last, 3)
        self._last = now
        self.peak_mb[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


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


def _split_by_batch(table: pa.Table, doc_batch: pa.Table, n: int) -> Iterator[pa.Table]:
    """Cut a run-wide per-document table into one table per batch, lazily; rows of
    documents in no batch (reused from the parent) are left out. Each batch gets a copy of
    its rows with dictionaries decoded, not a slice: a pickled slice (or dictionary) carries
    its parent's whole buffers, so every batch sent to a worker process would ship the
    run-wide table."""
    batch = _lookup(table["doc_id"], doc_batch, "batch").fill_null(n).to_numpy()
    order = np.argsort(batch, kind="stable")
    bounds = np.searchsorted(batch[order], np.arange(n + 1))
    del batch
    plain = pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type)
                       else f for f in table.schema])
    for i in range(n):
        yield table.take(order[bounds[i]:bounds[i + 1]]).cast(plain)


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


_RECORD_SCHEMA = pa.schema([("source_path", pa.string()), ("sha256", pa.string()),
                            ("size", pa.int64()), ("doc_id", pa.string())])


class _Articles:
    """Every input that became an article (source_path, sha256, size, doc_id), as one
    Arrow table per batch, and each doc_id's row for the exact-duplicate check: about 150
    bytes a document, where tuples of Python strings and a dict of them took 450 (450 MB
    at a million documents, held for the whole run)."""

    def __init__(self) -> None:
        self._tables: list[pa.Table] = []
        self._starts: list[int] = []  # the first row of each table
        self._pending: list[tuple[str, str, int, str]] = []
        self._rows = 0  # in _tables
        self._row_of: dict[int, int] = {}  # int(doc_id, 16) (all 96 bits: exact) -> row

    def add(self, path: str, sha: str, size: int, doc_id: str) -> str | None:
        """Record an input; None, or the first path of an input with the same doc_id."""
        key = int(doc_id, 16)
        row = self._row_of.get(key)
        if row is not None:
            return self._path(row)
        self._row_of[key] = self._rows + len(self._pending)
        self._pending.append((path, sha, size, doc_id))
        return None

    def end_batch(self) -> None:
        if self._pending:
            columns = list(zip(*self._pending, strict=True))
            self._starts.append(self._rows)
            self._tables.append(pa.Table.from_arrays(
                [pa.array(c, f.type) for c, f in zip(columns, _RECORD_SCHEMA, strict=True)],
                schema=_RECORD_SCHEMA))
            self._rows += len(self._pending)
            self._pending = []

    def __contains__(self, doc_id: str) -> bool:
        return int(doc_id, 16) in self._row_of

    def path_of(self, doc_id: str) -> str:
        return self._path(self._row_of[int(doc_id, 16)])

    def _path(self, row: int) -> str:
        if row >= self._rows:
            return self._pending[row - self._rows][0]
        t = bisect.bisect_right(self._starts, row) - 1
        return self._tables[t]["source_path"][row - self._starts[t]].as_py()

    def table(self) -> pa.Table:
        self.end_batch()
        return pa.concat_tables(self._tables) if self._tables else _RECORD_SCHEMA.empty_table()


@dataclass
class _Read:
    """What pass 1 learnt about the inputs."""

    stats: blocks.LineStats
    rejects: list[Reject] = field(default_factory=list)
    inputs: int = 0
    articles: _Articles = field(default_factory=_Articles)
    duplicates: list[set[str]] = field(default_factory=list)  # per batch
    known: list[set[str]] = field(default_factory=list)  # per batch: published by the parent


def _read_inputs(inputs: list[Path], staging: Staging, config: RunConfig, executor: Executor,
                 tick: Callable[[str, int], None], parent: Parent | None,
                 skip_known: bool) -> _Read:
    """Pass 1: read, repair, segment (batches cached in staging), run-wide line statistics.

    With `skip_known`, documents the parent published are only read and hashed, and the
    parent's saved line statistics stand in for theirs.
    """
    known_file = None
    if skip_known:
        known_file = staging.work / "known.npy"
        np.save(known_file, np.sort(np.array([doc_key(d) for d in parent.doc_ids],
                                             dtype=np.uint64)))
    r = _Read(stats=parent.line_stats() if skip_known else blocks.LineStats())
    counter: Counter = Counter()
    batches = enumerate(_source_batches(inputs, config, r.rejects, counter))
    for res in _in_order(executor, prepare_batch,
                         ((b, staging.work, i, known_file) for i, b in batches),
                         2 * max(1, config.workers)):
        r.rejects.extend(res.rejects)
        r.stats.merge(res.stats)
        r.duplicates.append(set())
        r.known.append(set())
        for doc_id, path, sha, size in res.inputs:
            first = r.articles.add(path, sha, size, doc_id)
            if first is not None:
                r.duplicates[-1].add(path)
                r.rejects.append(Reject(path, "exact_duplicate", f"same bytes as {first}"))
            elif parent and doc_id in parent.doc_ids:
                r.known[-1].add(path)
        r.articles.end_batch()
        tick("read", len(res.inputs))
    r.inputs = counter["inputs"]
    return r


def _run_locked(inputs: list[Path], staging: Staging, config: RunConfig, executor: Executor,
                tick: Callable[[str, int], None]) -> RunResult:
    window = 2 * max(1, config.workers)
    counts: Counter = Counter()
    laps = _Laps()
    parent = Parent.load(staging.root, config)

    r = _read_inputs(inputs, staging, config, executor, tick, parent, skip_known=bool(parent))
    # Reuse the parent's rows only when every document it published is still an input
    # (additions only); otherwise everything is recomputed.
    incremental = parent is not None and all(d in r.articles for d in parent.doc_ids)
    if parent and not incremental:  # pass 1 skipped work that is now needed
        r = _read_inputs(inputs, staging, config, executor, tick, parent, skip_known=False)
    counts["inputs"], rejects, articles = r.inputs, r.rejects, r.articles
    n_batches = len(r.duplicates)
    r.stats.save(staging.state / "line_stats.npz")  # unpruned: what a later run goes on from
    r.stats.prune(min_docs=2)
    stats = save_stats(staging.work, r.stats)
    laps.lap("read_repair_segment")
    reused_paths = ({doc_id: articles.path_of(doc_id) for doc_id in parent.doc_ids}
                    if incremental else {})
    drops = [frozenset(d | k) if incremental else frozenset(d)
             for d, k in zip(r.duplicates, r.known, strict=True)]
    del r
    release_free_memory()

    # pass 2: label, metadata, language, signatures (new documents only when incremental)
    doc_batch = []
    for r in _in_order(executor, analyse_batch,
                       ((staging.work, i, stats, drops[i], config.syndication)
                        for i in range(n_batches)), window):
        doc_batch.append(pa.table({"doc_id": r.doc_ids,
                                   "batch": pa.array([r.index] * len(r.doc_ids), pa.int32())}))
        tick("analyse", len(r.doc_ids))
    laps.lap("label_metadata_language_signatures")

    # global: clusters, passage statistics, metadata propagation (compact tables only), one
    # run-wide table at a time, read from pass 2's files: a million documents' signatures
    # alone are 0.6 GB
    params = config.syndication

    def spilled(kind: str) -> list[Path]:
        return [pass2_path(staging.work, kind, i) for i in range(n_batches)]

    new_sigs = _read_signatures(spilled("signatures"), sum(len(t) for t in doc_batch),
                                syndication.signature_table([], params))
    if incremental:
        new_assign = syndication.cluster_incremental(parent.signatures(), parent.assignments(),
                                                     new_sigs, params)
        all_sigs = pa.concat_tables([parent.signatures(), new_sigs])
        assign = pa.concat_tables([parent.assignments(), new_assign])
    else:
        all_sigs, assign = new_sigs, syndication.cluster(new_sigs, params)
    # in row groups: one group of a million signatures is encoded whole in memory (+1 GB)
    pq.write_table(all_sigs, staging.state / "signatures.parquet", compression="zstd",
                   row_group_size=65_536)
    del all_sigs, new_sigs
    release_free_memory()
    new_passages = _concat([read_arrow(p) for p in spilled("passages")],
                           syndication.passage_table([], params))
    if incremental:
        new_passages = pa.concat_tables([parent.passages(), new_passages])
    pass_stats = syndication.passage_stats(new_passages, assign)
    del new_passages
    release_free_memory()
    new_meta = _concat([read_arrow(p) for p in spilled("meta")], metadata.meta_table([]))
    old_meta = parent.meta().cast(new_meta.schema) if incremental else new_meta.slice(0, 0)
    processed = new_meta.num_rows
    new_meta = new_meta.set_column(new_meta.schema.get_field_index("cluster_id"), "cluster_id",
                                   _lookup(new_meta["doc_id"], assign, "cluster_id"))
    meta = metadata.propagate(pa.concat_tables([old_meta, new_meta]))
    del old_meta, new_meta
    release_free_memory()
    doc_batch_table = _concat(doc_batch, pa.table({"doc_id": pa.array([], pa.string()),
                                                    "batch": pa.array([], pa.int32())}))
    per_batch = zip(*(_split_by_batch(t, doc_batch_table, n_batches)
                      for t in (assign, meta, pass_stats)), strict=True)
    laps.lap("cluster_passages_propagate")

    # pass 3: final rows, written in batch order as they come; then the parent's reused rows
    rules: Counter = Counter()
    facts: list[pa.Table] = []  # doc_id, source_path, outlet, published_date of every article

    def write(arts: pa.Table, blks: pa.Table) -> None:
        staging.write("articles", arts)
        staging.write("blocks", blks)
        facts.append(arts.select(["doc_id", "source_path", "outlet", "published_date"]))
        counts["articles"] += arts.num_rows
        counts["blocks"] += blks.num_rows
        for role, n in _value_counts(blks["role"]).items():
            counts[f"role:{role}"] += n
        rules.update(_value_counts(blks["reason"]))
        tick("write", arts.num_rows)

    if incremental:  # first, so "first document seen" stays the earliest published one
        for arts, blks in parent.rows(reused_paths, meta, pass_stats):
            write(arts, blks)
    for arts, blks in _in_order(executor, finish_batch,
                                ((staging.work, i, *parts) for i, parts in enumerate(per_batch)),
                                window):
        write(arts, blks)
    staging.write("rejects", rejects_table(rejects))
    input_records = articles.table()
    del articles
    staging.write("inputs", inputs_table(input_records, rejects))
    clusters = _clusters(assign, facts)
    staging.write("clusters", clusters)
    laps.lap("write_rows")

    manifest = base_manifest(config.as_dict())
    manifest["inputs"] = {
        "roots": [str(p) for p in inputs],
        "count": counts["inputs"],
        "digest": input_digest(_path_sha_pairs(input_records)),
        "file": "inputs.parquet",
    }
    manifest["incremental"] = {
        "reused_from": parent.name if incremental else None,
        "reused_articles": len(reused_paths),
        "processed_articles": processed,
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
    previous = latest_version(staging.root)
    if previous:
        now = pa.concat_tables(facts) if facts else None
        new_keys = dict(zip(now["source_path"].to_pylist(), now["doc_id"].to_pylist(),
                            strict=True)) if now is not None else {}
        manifest["changes"] = diff_keys(article_keys(staging.root / previous), new_keys)
    manifest["seconds"] = dict(laps)  # publishing itself comes after the manifest is sealed
    manifest["peak_rss_mb"] = dict(laps.peak_mb)  # of the process running the flow
    version = staging.publish(manifest, dataset_card(manifest))
    laps.lap("publish")
    return RunResult(version=version, output=staging.root, counts=manifest["counts"],
                     seconds=dict(laps))


def _value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    """How often each non-empty value occurs, counted in Arrow (less than half the time of
    a Python Counter over every block: 20 s of the orchestrator's time at a million
    documents)."""
    counted = pc.value_counts(column.drop_null()).to_pylist()
    return {c["values"]: c["counts"] for c in counted if c["values"]}


def _path_sha_pairs(records: pa.Table) -> Iterator[tuple[str, str]]:
    """(source_path, sha256) of every article input, sorted, a chunk at a time."""
    ordered = records.select(["source_path", "sha256"]).sort_by(
        [("source_path", "ascending"), ("sha256", "ascending")])
    for batch in ordered.to_batches(max_chunksize=65_536):
        yield from zip(*batch.to_pydict().values(), strict=True)


def _concat(tables: list[pa.Table], empty: pa.Table) -> pa.Table:
    return pa.concat_tables(tables) if tables else empty


def _read_signatures(paths: list[Path], n_docs: int, empty: pa.Table) -> pa.Table:
    """The batches' signature tables as one table whose signature column is one contiguous
    matrix, filled file by file: clustering reads it without a copy, and the run never
    holds the signatures twice (concatenating and then combining did)."""
    width = empty.schema.field("signature").type.list_size
    matrix = np.empty((n_docs, width), dtype=np.uint32)
    rest, at = [empty.drop_columns(["signature"])], 0
    for path in paths:
        table = read_arrow(path)
        n = table.num_rows
        values = table.column("signature").combine_chunks().flatten()
        matrix[at:at + n] = values.to_numpy().reshape(n, width)
        # copies: a file's columns are slices of one buffer, which would keep the
        # signatures alive (Table.combine_chunks leaves single chunks as they are)
        rest.append(pa.table({name: table[name].combine_chunks()
                              for name in table.column_names if name != "signature"}))
        at += n
    signature = pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), width)
    table = pa.concat_tables(rest).combine_chunks()
    return table.add_column(empty.schema.get_field_index("signature"),
                            empty.schema.field("signature"), [signature])


def _clusters(assign: pa.Table, facts: list[pa.Table]) -> pa.Table:
    """The clusters table, with the outlets and dates of every copy."""
    empty = pa.table({"doc_id": pa.array([], pa.string()), "outlet": pa.array([], pa.string()),
                      "published_date": pa.array([], pa.date32())})
    table = pa.concat_tables([f.select(empty.column_names) for f in facts]) if facts else empty
    return syndication.clusters_table(assign, table)


