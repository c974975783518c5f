"""Documents and rejects -> Arrow tables in the published schema (no I/O here)."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from flows.model import Document, Reject
from flows.schema import arrow_schema


def articles_table(docs: Sequence[Document]) -> pa.Table:
    """One row per document, columns in schema order."""
    cols: dict[str, list] = {name: [] for name in arrow_schema("articles").names}
    for d in docs:
        text = d.body
        row = {
            "doc_id": d.doc_id,
            "source_path": d.source_path,
            "source_url": d.source_url,
            "source_id": d.source_id,
            "title": d.title,
            "text": text,
            "language": d.language,
            "language_mixed": d.language_mixed,
            "outlet": d.outlet,
            "agencies": list(d.agencies),
            "authors": list(d.authors),
            "published_date": d.published_date,
            "date_text": d.date_text,
            "date_precision": d.date_precision,
            "date_source": d.date_source,
            "dateline": d.dateline,
            "cluster_id": d.cluster_id or d.doc_id,
            "is_canonical": d.is_canonical,
            "duplicate_of": d.duplicate_of,
            "similarity": d.similarity,
            "similarity_method": d.similarity_method,
            "propagated": list(d.propagated),
            "encoding": d.encoding,
            "fixes": list(d.fixes),
            "n_words": len(text.split()),
            "raw_size": d.raw_size,
            "raw_sha256": d.raw_sha256,
        }
        for k, v in row.items():
            cols[k].append(v)
    return pa.Table.from_pydict(cols, schema=arrow_schema("articles"))


def blocks_table(docs: Sequence[Document], passages: pa.Table | None = None) -> pa.Table:
    """Every block of every document, in order; passage columns joined when given."""
    schema = arrow_schema("blocks")
    cols: dict[str, list] = {name: [] for name in schema.names}
    for d in docs:
        for b in d.blocks:
            cols["doc_id"].append(d.doc_id)
            cols["position"].append(b.position)
            cols["line"].append(b.line)
            cols["text"].append(b.text)
            cols["role"].append(b.role)
            cols["reason"].append(b.reason)
    fp, other, first = [], [], []
    lookup = {}
    if passages is not None and passages.num_rows:
        lookup = {
            (r["doc_id"], r["position"]): r for r in passages.to_pylist()
        }
    for doc_id, pos in zip(cols["doc_id"], cols["position"], strict=True):
        r = lookup.get((doc_id, pos))
        fp.append(_signed64(r["fingerprint"]) if r else None)
        other.append(r["passage_other_stories"] if r else None)
        first.append(r["passage_first_doc"] if r else None)
    cols["passage_fingerprint"], cols["passage_other_stories"] = fp, other
    cols["passage_first_doc"] = first
    return pa.Table.from_pydict(cols, schema=schema)


def _signed64(v: int) -> int:
    """uint64 -> int64 with the same bits (Spark and Java readers have no unsigned 64)."""
    return v - (1 << 64) if v >= 1 << 63 else v


def rejects_table(rejects: Sequence[Reject]) -> pa.Table:
    return pa.Table.from_pydict(
        {
            "source_path": [r.source_path for r in rejects],
            "reason": [r.reason for r in rejects],
            "detail": [r.detail or "" for r in rejects],
        },
        schema=arrow_schema("rejects"),
    )


def inputs_table(articles: pa.Table, rejects: Sequence[Reject]) -> pa.Table:
    """Every input: the articles (a table of source_path, sha256, size, doc_id), then the
    rejects."""
    schema = arrow_schema("inputs")
    n = len(rejects)
    arts = pa.table({
        "source_path": articles["source_path"],
        "outcome": pa.array(["article"] * articles.num_rows, pa.string()),
        "doc_id": articles["doc_id"],
        "size": articles["size"],
        "sha256": articles["sha256"],
    }).cast(schema)
    rej = pa.Table.from_pydict(
        {"source_path": [r.source_path for r in rejects], "outcome": ["reject"] * n,
         "doc_id": [None] * n, "size": [None] * n, "sha256": [None] * n},
        schema=schema,
    )
    return pa.concat_tables([arts, rej])
