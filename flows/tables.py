"""Documents and rejects -> Arrow tables in the published schema (no I/O here)."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from flows.model import Document, Reject
from flows.schema import arrow_schema

# article columns that are a Document field of the same name
_DOCUMENT_FIELDS = ("doc_id", "source_path", "source_url", "source_id", "title", "language",
                    "language_mixed", "outlet", "agencies", "authors", "published_date",
                    "date_text", "date_precision", "date_source", "dateline", "is_canonical",
                    "duplicate_of", "similarity", "similarity_method", "propagated",
                    "encoding", "fixes", "raw_size", "raw_sha256")


def articles_table(docs: Sequence[Document]) -> pa.Table:
    """One row per document, built column by column (a dict per row cost a third more)."""
    texts = [d.body for d in docs]
    cols = {name: [getattr(d, name) for d in docs] for name in _DOCUMENT_FIELDS}
    cols["text"] = texts
    cols["cluster_id"] = [d.cluster_id or d.doc_id for d in docs]
    cols["n_words"] = [len(t.split()) for t in texts]
    schema = arrow_schema("articles")
    return pa.table([cols[name] for name in schema.names], schema=schema)


def blocks_table(docs: Sequence[Document]) -> pa.Table:
    """Every block of every document, in order; the passage columns are left empty
    (`with_passages` fills them once the run's passage statistics are known)."""
    schema = arrow_schema("blocks")
    parts = [b for d in docs for b in d.blocks]
    n = len(parts)
    cols = {
        "doc_id": [d.doc_id for d in docs for _ in d.blocks],
        "position": [b.position for b in parts],
        "line": [b.line for b in parts],
        "text": [b.text for b in parts],
        "role": [b.role for b in parts],
        "reason": [b.reason for b in parts],
    }
    empty = {f.name: pa.nulls(n, f.type) for f in schema if f.name not in cols}
    return pa.table({name: cols.get(name, empty.get(name)) for name in schema.names},
                    schema=schema)


def with_clusters(articles: pa.Table, assignments: pa.Table) -> pa.Table:
    """The articles with their cluster columns from the run's assignments (every article
    has one; a cluster id left empty means the article's own)."""
    rows = pc.index_in(articles["doc_id"], value_set=assignments["doc_id"])
    for name in _CLUSTER_COLUMNS:
        column = assignments[name].take(rows)
        if name == "cluster_id":
            given = pc.fill_null(pc.greater(pc.binary_length(column), 0), False)
            column = pc.if_else(given, column, articles["doc_id"])
        articles = _set(articles, name, column)
    return articles


_CLUSTER_COLUMNS = ("cluster_id", "is_canonical", "duplicate_of", "similarity",
                    "similarity_method")


def with_meta(articles: pa.Table, meta: pa.Table, names: Sequence[str]) -> pa.Table:
    """The articles with the `names` columns of `meta` (matched by doc_id): metadata as
    propagated across the run's clusters. An article absent from `meta` keeps its own."""
    rows = pc.index_in(articles["doc_id"], value_set=meta["doc_id"])
    found = pc.is_valid(rows)
    for name in names:
        own = articles[name]
        column = pc.if_else(found, meta[name].take(rows).cast(own.type), own)
        if pa.types.is_list(column.type):  # an empty list, never a missing one
            column = pc.if_else(pc.is_valid(column), column,
                                pa.scalar([], column.type))
        articles = _set(articles, name, column)
    return articles


def with_passages(blocks: pa.Table, passages: pa.Table) -> pa.Table:
    """The blocks with their passage columns from the run's passage statistics (matched by
    doc_id and position): a fingerprint as signed 64 bits (Spark and Java readers have no
    unsigned 64), how many other stories print it, and the first document that did."""
    if passages.num_rows == 0:
        return blocks
    ids = pc.unique(blocks["doc_id"])
    rows = pc.index_in(_block_keys(blocks, ids), value_set=_block_keys(passages, ids))
    blocks = _set(blocks, "passage_fingerprint",
                  pc.cast(passages["fingerprint"].take(rows), pa.int64(), safe=False))
    blocks = _set(blocks, "passage_other_stories", passages["passage_other_stories"].take(rows))
    return _set(blocks, "passage_first_doc", passages["passage_first_doc"].take(rows))


def _block_keys(table: pa.Table, ids: pa.Array) -> pa.ChunkedArray:
    """(document, position) as one int64: the document's index in `ids`, then 32 bits of
    position (Arrow's lookups take one column)."""
    doc = pc.cast(pc.index_in(table["doc_id"], value_set=ids), pa.int64())
    return pc.add(pc.shift_left(doc, 32), pc.cast(table["position"], pa.int64()))


def _set(table: pa.Table, name: str, column: pa.ChunkedArray | pa.Array) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(name), column.cast(table.schema.field(name).type))


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
