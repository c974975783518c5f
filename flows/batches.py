"""The batch steps of a run: plain functions over one batch of documents each.

Each step reads its batch from (and writes it back to) the run's scratch folder, so a step
can run in any process; what crosses back to the orchestrator is small (statistics,
compact Arrow tables). `flows.runner` sequences them; Prefect wraps them as tasks.
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa

from flows import blocks, language, metadata, read, repair, syndication
from flows.model import Block, Document, Reject
from flows.tables import articles_table, blocks_table


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside a batch step; collections resume after it.

    A step makes hundreds of thousands of small objects (blocks, words, tuples) and none
    of them in reference cycles; each automatic collection would also walk every
    long-lived object (rule caches, the language model), which cost about a tenth of a
    run's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def _save(work: Path, index: int, docs: list[Document],
          hashes: list[list[int]] | None = None) -> None:
    """Cache a batch; `hashes` (each document's line hashes) travel with it to labelling."""
    with open(_cache_path(work, index), "wb") as f:
        pickle.dump(([_pack(d) for d in docs], hashes), f, protocol=pickle.HIGHEST_PROTOCOL)


def _load(work: Path, index: int) -> tuple[list[Document], list[list[int]] | None]:
    with open(_cache_path(work, index), "rb") as f:
        packed, hashes = pickle.load(f)
    return [_unpack(v) for v in packed], hashes


@dataclass
class Pass1Result:
    index: int
    inputs: list[tuple[str, str, str, int]]  # doc_id, source_path, raw_sha256, raw_size
    rejects: list[Reject]
    stats: blocks.LineStats


@_gc_paused()
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


@dataclass
class Pass2Result:
    index: int
    signatures: pa.Table
    passages: pa.Table
    meta: pa.Table


@_gc_paused()
def analyse_batch(
    work: Path,
    index: int,
    stats: blocks.LineStats,
    drop: frozenset[str],
    params: syndication.SyndicationParams,
) -> Pass2Result:
    """label -> metadata -> language -> signatures for one cached batch."""
    cached, hashes = _load(work, index)
    keep = [i for i, d in enumerate(cached) if d.source_path not in drop]
    docs = [cached[i] for i in keep]
    blocks.label_batch(docs, stats, [hashes[i] for i in keep] if hashes else None)
    metadata.extract_batch(docs)
    language.detect_batch(docs)
    _save(work, index, docs)
    return Pass2Result(
        index=index,
        signatures=syndication.signature_table(docs, params),
        passages=syndication.passage_table(docs, params),
        meta=metadata.meta_table(docs),
    )


@_gc_paused()
def finish_batch(
    work: Path, index: int, assignments: pa.Table, meta: pa.Table, passages: pa.Table
) -> tuple[pa.Table, pa.Table]:
    """Apply clusters and propagated metadata to a batch (tables hold this batch's rows
    only); return its article and block rows."""
    docs, _ = _load(work, index)
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


