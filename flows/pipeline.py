"""The newsprep flow: wires the stages, one Prefect task per batch of documents.

Passes keep memory bounded (only compact per-document tables live for the whole run):
1. read -> repair -> segment, per batch; line statistics merged run-wide; batch cached.
2. label -> metadata -> language -> signatures/passages, per batch (needs pass-1 stats).
3. global: clusters, passage statistics, metadata propagation (compact tables only).
4. per batch: final rows written to the staged version; then publish atomically.

Every batch function here is plain Python (tested without Prefect); `newsprep_flow` wraps
them as tasks. `run` takes the wrapper as `call`, so the same code runs with or without
Prefect (the benchmark uses that to measure Prefect's overhead).
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

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

Call = Callable[..., object]


@dataclass(frozen=True)
class RunConfig:
    """Everything a run depends on besides its inputs; recorded in the manifest."""

    batch_size: int = 1000
    max_bytes: int = 20_000_000
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
    work: Path,
    index: int,
    assignments: dict[str, dict],
    meta: pa.Table,
    passages: pa.Table,
) -> tuple[pa.Table, pa.Table]:
    """Apply cluster and propagated metadata to a batch; return its article and block rows."""
    docs = _load(work, index)
    for d in docs:
        a = assignments[d.doc_id]
        d.cluster_id = a["cluster_id"]
        d.is_canonical = a["is_canonical"]
        d.duplicate_of = a["duplicate_of"]
        d.similarity = a["similarity"]
        d.similarity_method = a["similarity_method"]
    ids = pa.array([d.doc_id for d in docs], pa.string())
    metadata.apply_meta(docs, meta.filter(pc.is_in(meta["doc_id"], value_set=ids)))
    mine = passages.filter(pc.is_in(passages["doc_id"], value_set=ids))
    return articles_table(docs), blocks_table(docs, mine)


# --------------------------------------------------------------------------- the run


def _batched(items: Iterable, n: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


def _direct(fn: Callable, *args: object) -> object:
    return fn(*args)


def run(
    inputs: list[Path],
    output: Path,
    config: RunConfig | None = None,
    call: Call = _direct,
    progress: Callable[[str, int], None] | None = None,
) -> RunResult:
    """Run every stage over `inputs` and publish one new version under `output`.

    `call(fn, *args)` runs one batch step (directly, or as a Prefect task).
    """
    config = config or RunConfig()
    tick = progress or (lambda stage, n: None)
    output = Path(output)
    with output_lock(output):
        staging = Staging.create(output)
        try:
            result = _run_locked(inputs, staging, config, call, tick)
        except BaseException:
            staging.abort()
            raise
    return result


def _run_locked(inputs, staging: Staging, config: RunConfig, call: Call, tick) -> RunResult:
    rejects: list[Reject] = []
    stats = blocks.LineStats()
    batches: list[int] = []
    seen: dict[str, str] = {}  # doc_id -> first source_path
    drop: set[str] = set()
    input_records: list[tuple[str, str]] = []
    n_inputs = 0

    # pass 1: read, repair, segment
    sources: list[read.Source] = []
    discovered = read.iter_sources([Path(p) for p in inputs], max_bytes=config.max_bytes)
    for chunk in _batched(discovered, config.batch_size):
        for item in chunk:
            n_inputs += 1
            if isinstance(item, Reject):
                rejects.append(item)
            else:
                sources.append(item)
        while len(sources) >= config.batch_size:
            batch, sources = sources[: config.batch_size], sources[config.batch_size :]
            batches.append(_pass1(batch, staging, len(batches), config, call, stats, rejects,
                                  seen, drop, input_records))
            tick("read", len(batch))
    if sources:
        batches.append(_pass1(sources, staging, len(batches), config, call, stats, rejects,
                              seen, drop, input_records))
        tick("read", len(sources))

    # pass 2: label, metadata, language, signatures
    frozen_drop = frozenset(drop)
    signatures, passages, metas = [], [], []
    for index in batches:
        r: Pass2Result = call(analyse_batch, staging.work, index, stats, frozen_drop,
                              config.syndication)
        signatures.append(r.signatures)
        passages.append(r.passages)
        metas.append(r.meta)
        tick("analyse", r.meta.num_rows)

    # global: clusters, passages, metadata propagation
    sig_table = pa.concat_tables(signatures) if signatures else syndication.signature_table(
        [], config.syndication)
    assign = syndication.cluster(sig_table, config.syndication)
    pass_table = pa.concat_tables(passages) if passages else syndication.passage_table(
        [], config.syndication)
    pass_stats = syndication.passage_stats(pass_table, assign)
    assignments = {r["doc_id"]: r for r in assign.to_pylist()}
    meta = pa.concat_tables(metas) if metas else metadata.meta_table([])
    cluster_ids = [assignments[d]["cluster_id"] for d in meta["doc_id"].to_pylist()]
    meta = meta.set_column(meta.schema.get_field_index("cluster_id"), "cluster_id",
                           pa.array(cluster_ids, pa.string()))
    meta_final = metadata.propagate(meta)

    # pass 3: final rows
    counts: Counter = Counter()
    rules: Counter = Counter()
    cluster_facts = []  # doc_id, outlet, published_date: what the clusters table needs
    path_ids = []  # source_path, doc_id: what the change report needs
    for index in batches:
        arts, blks = call(finish_batch, staging.work, index, assignments, meta_final, pass_stats)
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
        "count": n_inputs,
        "digest": input_digest(sorted(input_records)),
    }
    reasons = Counter(r.reason for r in rejects)
    multi = [s for s in clusters["size"].to_pylist() if s > 1]
    manifest["counts"] = {
        "inputs": n_inputs,
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
        new_keys = {}
        for facts in path_ids:
            new_keys.update(zip(facts["source_path"].to_pylist(), facts["doc_id"].to_pylist(),
                                strict=True))
        manifest["changes"] = diff_keys(article_keys(staging.root / parent), new_keys)
    version = staging.publish(manifest, dataset_card(manifest))
    return RunResult(version=version, output=staging.root, counts=manifest["counts"])


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


def _pass1(batch, staging, index, config, call, stats, rejects, seen, drop, input_records) -> int:
    r: Pass1Result = call(prepare_batch, batch, staging.work, index)
    rejects.extend(r.rejects)
    stats.merge(r.stats)
    for doc_id, path, sha, _size in r.inputs:
        if doc_id in seen:
            drop.add(path)
            rejects.append(Reject(path, "exact_duplicate", f"same bytes as {seen[doc_id]}"))
        else:
            seen[doc_id] = path
            input_records.append((path, sha))
    return index


# --------------------------------------------------------------------------- Prefect


def _task_call() -> Call:
    """Run each batch step as a Prefect task (one task run per batch, not per document)."""
    wrapped: dict[Callable, object] = {}

    def call(fn: Callable, *args: object) -> object:
        if fn not in wrapped:
            wrapped[fn] = task(fn, name=fn.__name__.replace("_", "-"), cache_policy=NO_CACHE)
        return wrapped[fn](*args)

    return call


@flow(name="newsprep", log_prints=False)
def newsprep_flow(
    inputs: list[str] | None = None,
    output: str = "output",
    batch_size: int = 1000,
    show_progress: bool = False,
) -> dict:
    """Clean, label, enrich and deduplicate `inputs`; publish a new version under `output`."""
    with _progress(show_progress) as tick:
        result = run(
            [Path(p) for p in (inputs or ["seeds"])],
            Path(output),
            RunConfig(batch_size=batch_size),
            call=_task_call(),
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
