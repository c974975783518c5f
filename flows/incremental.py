"""What a run can reuse from the version before it.

When every document the previous version published is still among the inputs (inputs were
only added, or nothing changed), its rows are carried over instead of recomputed: a re-run
reads, repairs and segments each input to know its bytes and the run's template lines, then
labels, enriches and fingerprints only the new documents. New copies of old stories join
their published clusters (`syndication.cluster_incremental`), using the signatures each
version keeps in `state/signatures.parquet`. Published clusters keep their ids and
canonicals; passage counts of carried-over blocks are refreshed. Anything else (a document
removed or changed, another newsprep version or other parameters) recomputes everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flows import __version__, blocks, metadata
from flows.publish import latest_version
from flows.schema import SCHEMA_VERSION
from flows.tables import with_meta

# Parameters that change how work is split, not what it computes.
_EXECUTION_ONLY = ("batch_size", "workers")
_ASSIGNMENT = ["doc_id", "cluster_id", "is_canonical", "duplicate_of", "similarity",
               "similarity_method"]


def _comparable(parameters: dict) -> dict:
    return {k: v for k, v in parameters.items() if k not in _EXECUTION_ONLY}


@dataclass
class Parent:
    """The latest published version, when its work can be reused by this run."""

    name: str
    path: Path
    doc_ids: frozenset[str]
    _cache: dict[str, pa.Table] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path, config) -> Parent | None:
        name = latest_version(root)
        if name is None:
            return None
        path = root / name
        try:
            manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        same = (
            manifest.get("newsprep_version") == __version__
            and manifest.get("schema_version") == SCHEMA_VERSION
            and _comparable(manifest.get("parameters", {})) == _comparable(config.as_dict())
            and (path / "state" / "signatures.parquet").is_file()
            and (path / "state" / "line_stats.npz").is_file()
        )
        if not same:
            return None
        ids = pq.read_table(path / "articles.parquet", columns=["doc_id"])["doc_id"]
        return cls(name=name, path=path, doc_ids=frozenset(ids.to_pylist()))

    def _read(self, key: str, file: str, columns: list[str] | None = None) -> pa.Table:
        if key not in self._cache:
            self._cache[key] = pq.read_table(self.path / file, columns=columns)
        return self._cache[key]

    def line_stats(self) -> blocks.LineStats:
        """How many of the parent's documents contain each line (saved unpruned)."""
        return blocks.LineStats.load(self.path / "state" / "line_stats.npz")

    def signatures(self) -> pa.Table:
        return self._read("signatures", "state/signatures.parquet")

    def assignments(self) -> pa.Table:
        """The published cluster columns, typed as `syndication.cluster` returns them."""
        t = self._read("assign", "articles.parquet", _ASSIGNMENT)
        t = t.set_column(t.schema.get_field_index("similarity"), "similarity",
                         t["similarity"].cast(pa.float64()))
        return t.cast(pa.schema([f.with_nullable(True) for f in t.schema]))

    def meta(self) -> pa.Table:
        """The published metadata that cluster propagation reads."""
        return self._read("meta", "articles.parquet", metadata.META_SCHEMA.names)

    def passages(self) -> pa.Table:
        """Fingerprinted body blocks, as `syndication.passage_table` gives them."""
        t = self._read("passages", "blocks.parquet", ["doc_id", "position",
                                                      "passage_fingerprint"])
        t = t.filter(pc.is_valid(t["passage_fingerprint"]))
        prints = t["passage_fingerprint"].to_numpy().view(np.uint64)
        return pa.table({"doc_id": t["doc_id"], "position": t["position"],
                         "fingerprint": pa.array(prints, pa.uint64())})

    def rows(self, paths: dict[str, str], meta: pa.Table, passage_stats: pa.Table
             ) -> Iterator[tuple[pa.Table, pa.Table]]:
        """The parent's article and block rows, streamed, with each document's current
        source_path, metadata as propagated in this run (a new copy may bring an agency
        credit) and fresh passage counts."""
        empty_blocks = pq.read_schema(self.path / "blocks.parquet").empty_table()
        articles = pq.ParquetFile(self.path / "articles.parquet")
        for batch in articles.iter_batches(batch_size=10_000):
            t = pa.Table.from_batches([batch])
            current = [paths[d] for d in t["doc_id"].to_pylist()]
            t = t.set_column(t.schema.get_field_index("source_path"), "source_path",
                             pa.array(current, pa.string()))
            t = with_meta(t, meta, metadata.PROPAGATED_COLUMNS)
            yield t.cast(articles.schema_arrow), empty_blocks
        per_print = _per_fingerprint(passage_stats)
        empty_articles = articles.schema_arrow.empty_table()
        for batch in pq.ParquetFile(self.path / "blocks.parquet").iter_batches(batch_size=50_000):
            yield empty_articles, _refresh_passages(pa.Table.from_batches([batch]), per_print)


def _per_fingerprint(passage_stats: pa.Table) -> pa.Table:
    """One row per fingerprint: how many other stories carry it, and its first document."""
    if passage_stats.num_rows == 0:
        return passage_stats.select(["fingerprint", "passage_other_stories",
                                     "passage_first_doc"])
    first = passage_stats["passage_first_doc"].cast(pa.string())  # dictionary-encoded
    t = passage_stats.set_column(passage_stats.schema.get_field_index("passage_first_doc"),
                                 "passage_first_doc", first)
    t = t.group_by("fingerprint", use_threads=False).aggregate(
        [("passage_other_stories", "max"), ("passage_first_doc", "first")])
    return t.rename_columns(["fingerprint", "passage_other_stories", "passage_first_doc"])


def _refresh_passages(blocks: pa.Table, per_print: pa.Table) -> pa.Table:
    idx = pc.index_in(_as_uint64(blocks["passage_fingerprint"]),
                      value_set=per_print["fingerprint"])
    for name in ("passage_other_stories", "passage_first_doc"):
        col = per_print[name].take(idx).cast(blocks.schema.field(name).type)
        blocks = blocks.set_column(blocks.schema.get_field_index(name), name, col)
    return blocks


def _as_uint64(prints: pa.ChunkedArray) -> pa.Array:
    """int64 fingerprints (as published) back to the uint64 the stage computes; nulls kept."""
    arr = prints.combine_chunks()
    values = arr.fill_null(0).to_numpy().view(np.uint64)
    return pa.array(values, pa.uint64(), mask=arr.is_null().to_numpy(zero_copy_only=False))
