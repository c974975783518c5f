"""The batch steps of a run: plain functions over one batch of documents each.

Each step reads its batch from (and writes it back to) the run's scratch folder, so a step
can run in any process; what crosses back to the orchestrator is small (line statistics,
document ids; pass 2's tables are left in the folder). `flows.runner` sequences them;
Prefect wraps them as tasks.
"""

from __future__ import annotations

import ctypes
import gc
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from flows import blocks, language, metadata, read, repair, syndication
from flows.model import Block, Document, Reject
from flows.tables import (
    articles_table,
    blocks_table,
    with_clusters,
    with_meta,
    with_passages,
)


@contextmanager
def _batch_step() -> Iterator[None]:
    """No cyclic garbage collection inside a batch step; collections resume after it, and
    the memory the step freed goes back to the system.

    A step makes hundreds of thousands of small objects (blocks, words, tuples) and none
    of them in reference cycles; each automatic collection would also walk every
    long-lived object (rule caches, the language model), which cost about a tenth of a
    run's time. glibc keeps freed heap pages; without a trim a worker held about 120 MB
    it no longer used, for the whole run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        release_free_memory()


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None


_MALLOC_TRIM = _malloc_trim()


def release_free_memory() -> None:
    """Return free pages to the system: the heap's (glibc's malloc_trim, as Dask's workers
    do) and Arrow's memory pool's (mimalloc keeps freed segments), so a process's RSS
    shows what it holds, not what it once held."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
    pa.default_memory_pool().release_unused()


def _cache_path(work: Path, index: int) -> Path:
    return work / f"batch-{index:06d}.pkl"


_DOC_FIELDS = [f.name for f in fields(Document)]
_BLOCKS = _DOC_FIELDS.index("blocks")
_RAW_TEXT = _DOC_FIELDS.index("raw_text")


def _pack(doc: Document) -> list:
    """A document as plain values, blocks as five parallel lists: pickle handles these in C,
    several times faster than slotted dataclasses (whose state goes through Python code).
    The raw text is left out: no step after repair reads it."""
    values = [getattr(doc, name) for name in _DOC_FIELDS]
    bs = doc.blocks
    values[_BLOCKS] = ([b.position for b in bs], [b.line for b in bs], [b.text for b in bs],
                       [b.role for b in bs], [b.reason for b in bs])
    values[_RAW_TEXT] = ""
    return values


def _unpack(values: list) -> Document:
    values[_BLOCKS] = [Block(*b) for b in zip(*values[_BLOCKS], strict=True)]
    return Document(*values)


def _save(work: Path, index: int, docs: list[Document], hashes: list[list[int]]) -> None:
    """Cache a batch for pass 2; `hashes` (each document's line hashes) travel with it to
    labelling."""
    with open(_cache_path(work, index), "wb") as f:
        pickle.dump(([_pack(d) for d in docs], hashes), f, protocol=pickle.HIGHEST_PROTOCOL)


def _load(work: Path, index: int) -> tuple[list[Document], list[list[int]]]:
    with open(_cache_path(work, index), "rb") as f:
        packed, hashes = pickle.load(f)
    return [_unpack(v) for v in packed], hashes


@dataclass
class Pass1Result:
    index: int
    inputs: list[tuple[str, str, str, int]]  # doc_id, source_path, raw_sha256, raw_size
    rejects: list[Reject]
    stats: blocks.LineStats


@_batch_step()
def prepare_batch(
    sources: list[read.Source], work: Path, index: int, known: Path | None = None
) -> Pass1Result:
    """read -> repair -> segment one batch; cache it; return its line statistics.

    `known` (a sorted .npy of doc_id keys the previous version published) marks documents
    whose results will be reused: they are only read and hashed.
    """
    docs, rejects = read.read_batch(sources)
    inputs = [(d.doc_id, d.source_path, d.raw_sha256, d.raw_size) for d in docs]
    if known is not None:
        docs = [d for d, seen in zip(docs, is_known(docs, known), strict=True) if not seen]
    repair.repair_batch(docs)
    blocks.segment_batch(docs)
    stats = blocks.LineStats()
    hashes = [blocks.line_hashes(d) for d in docs]
    for d, h in zip(docs, hashes, strict=True):
        stats.add(d, h)
    _save(work, index, docs, hashes)
    return Pass1Result(index=index, inputs=inputs, rejects=rejects, stats=stats)


def doc_key(doc_id: str) -> int:
    """64 bits of a doc_id (its first 16 hex chars), for compact membership tests."""
    return int(doc_id[:16], 16)


def is_known(docs: list[Document], known: Path) -> np.ndarray:
    keys = np.load(known, mmap_mode="r")
    mine = np.array([doc_key(d.doc_id) for d in docs], dtype=np.uint64)
    if len(keys) == 0 or len(mine) == 0:
        return np.zeros(len(mine), dtype=bool)
    pos = np.minimum(np.searchsorted(keys, mine), len(keys) - 1)
    return keys[pos] == mine


def pass2_path(work: Path, kind: str, index: int) -> Path:
    """What pass 2 leaves in the scratch folder, one Arrow file per batch and kind: the
    compact tables of the run-wide step (signatures, passages, meta), which the orchestrator
    reads one kind at a time, and the batch's rows (articles, blocks), which pass 3 reads
    back in a worker. Nothing big crosses back from workers."""
    return work / f"{kind}-{index:06d}.arrow"


def save_stats(work: Path, stats: blocks.LineStats) -> Path:
    """The run's line statistics, saved once for every pass-2 step to load (sending them
    with each batch would pickle the same arrays a thousand times at a million documents)."""
    path = work / "line_stats.npz"
    stats.save(path)
    return path


@lru_cache(maxsize=1)
def _load_stats(path: Path) -> blocks.LineStats:
    """Once per worker process and run (the path names the run's scratch folder)."""
    return blocks.LineStats.load(path)


@dataclass
class Pass2Result:
    index: int
    doc_ids: pa.Array  # the batch's documents, in order; their tables are in the folder


@_batch_step()
def analyse_batch(
    work: Path,
    index: int,
    stats: Path,
    drop: frozenset[str],
    params: syndication.SyndicationParams,
) -> Pass2Result:
    """label -> metadata -> language -> signatures for one cached batch (`stats`: the
    file `save_stats` wrote). Signatures, passages, metadata and the batch's article and
    block rows go to the folder as Arrow files."""
    cached, hashes = _load(work, index)
    _cache_path(work, index).unlink()  # read once; a million documents' cache is GBs
    keep = [i for i, d in enumerate(cached) if d.source_path not in drop]
    docs = [cached[i] for i in keep]
    blocks.label_batch(docs, _load_stats(stats), [hashes[i] for i in keep])
    metadata.extract_batch(docs)
    language.detect_batch(docs)
    tables = {"signatures": syndication.signature_table(docs, params),
              "passages": syndication.passage_table(docs, params),
              "meta": metadata.meta_table(docs),
              "articles": articles_table(docs),
              "blocks": blocks_table(docs)}
    for kind, table in tables.items():
        write_arrow(pass2_path(work, kind, index), table)
    return Pass2Result(index=index, doc_ids=tables["meta"]["doc_id"].combine_chunks())


def write_arrow(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def read_arrow(path: Path) -> pa.Table:
    """Read into memory, not mapped: a mapped file's pages count in the process's RSS for
    as long as any column of the table is alive."""
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


@_batch_step()
def finish_batch(
    work: Path, index: int, assignments: pa.Table, meta: pa.Table, passages: pa.Table
) -> tuple[pa.Table, pa.Table]:
    """A batch's article and block rows (pass 2 left them in the folder) with the run-wide
    results joined in Arrow: clusters, propagated metadata, passage statistics (each table
    holds this batch's rows only)."""
    articles = with_clusters(read_arrow(pass2_path(work, "articles", index)), assignments)
    articles = with_meta(articles, meta, metadata.PROPAGATED_COLUMNS)
    return articles, with_passages(read_arrow(pass2_path(work, "blocks", index)), passages)
