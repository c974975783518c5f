"""The Arrow schema of every published table: the one definition the code writes and the
docs in `schemas/` are generated from (a test fails when they drift). See POLICY.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = "1.0"

POLICY = """\
The schema version (MAJOR.MINOR) is written in every Parquet file's metadata
(`newsprep.schema_version`) and in each version's `manifest.json`.

- MINOR (1.0 -> 1.1): a new column, a new table, a new value of an open list of codes (a
  block role, a reject reason, a fix name). Readers written for an older minor keep
  working; they may ignore what they do not know.
- MAJOR (1.x -> 2.0): a column removed or renamed, a type or a meaning changed, a column
  made non-nullable or the reverse, a table removed. Readers must be updated; the release
  notes say how.

A published version is never rewritten: a new schema version only applies to new versions.
"""


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    nullable: bool
    meaning: str
    example: object


def _list(item: pa.DataType | None = None, nullable_items: bool = False) -> pa.DataType:
    return pa.list_(pa.field("item", item or pa.string(), nullable=nullable_items))


ARTICLES = (
    Column("doc_id", pa.string(), False,
           "Stable id: first 24 hex chars of the sha256 of the raw input bytes "
           "(the record's text for JSONL). Same bytes, same id, in every run.",
           "3f9c1e0a6b2d4c8e9f1a2b3c"),
    Column("source_path", pa.string(), False,
           "Input file relative to the input root (posix); JSONL records add #L<line>.",
           "world/001_acaae962009ff19c.txt"),
    Column("source_url", pa.string(), True, "URL given with the input (JSONL `url`).",
           "https://www.straitstimes.com/world/kerry-putin"),
    Column("source_id", pa.string(), True, "The id given with the input (JSONL `id`).", "a-17"),
    Column("title", pa.string(), True, "The headline.",
           "Kerry holds 'frank' talks with Putin in bid to improve ties"),
    Column("text", pa.string(), False,
           "The article: body paragraphs and crossheads joined by a blank line; no title, "
           "byline, dateline prefix or boilerplate.",
           "US Secretary of State John Kerry and Russian President ..."),
    Column("language", pa.string(), True,
           "ISO 639-1 code of the text (langdetect, fixed seed); null when undecidable.", "en"),
    Column("language_mixed", pa.bool_(), False,
           "True when paragraphs of the text are in different languages.", False),
    Column("outlet", pa.string(), True, "Who printed this copy (canonical name).",
           "The Straits Times"),
    Column("agencies", _list(), False,
           "Wire services credited, canonical short names; [] when none is credited.",
           ["AFP"]),
    Column("authors", _list(), False, "Person names of the byline; [] when none.",
           ["Jo Biddle", "Anna Smolchenko"]),
    Column("published_date", pa.date32(), True, "Publication day.", "2015-05-13"),
    Column("date_text", pa.string(), True, "The date as printed.", "Wednesday, May 13th 2015"),
    Column("date_precision", pa.string(), True, "day, month or year.", "day"),
    Column("date_source", pa.string(), True,
           "printed, inferred_year (year not printed, inferred from the run or cluster) or "
           "propagated (from a copy in the same cluster).", "printed"),
    Column("dateline", pa.string(), True, "The place as printed at the start of the story.",
           "SOCHI, Russia"),
    Column("cluster_id", pa.string(), False,
           "Syndication cluster: the doc_id of the cluster's canonical copy.",
           "3f9c1e0a6b2d4c8e9f1a2b3c"),
    Column("is_canonical", pa.bool_(), False, "True for the one chosen copy of each cluster.",
           True),
    Column("duplicate_of", pa.string(), True,
           "For a non-canonical copy, the canonical copy's doc_id.", None),
    Column("similarity", pa.float32(), True,
           "Estimated similarity to the canonical copy (see similarity_method).", 0.93),
    Column("similarity_method", pa.string(), True,
           "How similarity was measured, e.g. minhash_containment.", "minhash_containment"),
    Column("propagated", _list(), False,
           "Fields filled from other copies of the same cluster.", ["agencies"]),
    Column("encoding", pa.string(), False, "Detected encoding of the raw bytes.", "utf-8"),
    Column("fixes", _list(), False, "Repairs applied to the text.", ["mojibake", "nfc"]),
    Column("n_words", pa.int32(), False, "Words in text.", 612),
    Column("raw_size", pa.int64(), False, "Size of the raw input in bytes.", 7421),
    Column("raw_sha256", pa.string(), False, "sha256 of the raw input bytes.",
           "3f9c1e0a6b2d4c8e9f1a2b3c..."),
)

BLOCKS = (
    Column("doc_id", pa.string(), False, "The article the block belongs to.",
           "3f9c1e0a6b2d4c8e9f1a2b3c"),
    Column("position", pa.int32(), False, "Order of the block in the document, from 0.", 4),
    Column("line", pa.int32(), False,
           "Line of the repaired text the block comes from, from 0; blocks sharing a line "
           "concatenate to it, lines without a block were blank (the document rebuilds "
           "exactly).", 6),
    Column("text", pa.string(), False, "The block's text.", "Print Mail Large Medium Small"),
    Column("role", pa.string(), False,
           "title, body, heading, byline, dateline, date, credit, caption or boilerplate.",
           "boilerplate"),
    Column("reason", pa.string(), True,
           "The rule that decided a non-body role; null for body.", "share_bar"),
    Column("passage_fingerprint", pa.int64(), True,
           "64-bit hash of the normalised paragraph (body blocks long enough to compare).",
           -4311796322196461473),
    Column("passage_other_stories", pa.int32(), True,
           "How many other syndication clusters carry the same paragraph.", 2),
    Column("passage_first_doc", pa.string(), True,
           "doc_id of the first document of the run seen with this paragraph.",
           "3f9c1e0a6b2d4c8e9f1a2b3c"),
)

REJECTS = (
    Column("source_path", pa.string(), False, "The input that did not become an article.",
           "bad/photo.txt"),
    Column("reason", pa.string(), False, "Why, as a short code (see the reasons list).",
           "binary"),
    Column("detail", pa.string(), False, "Human-readable detail.", "NUL bytes in 31% of bytes"),
)

CLUSTERS = (
    Column("cluster_id", pa.string(), False, "The cluster (its canonical doc_id).",
           "3f9c1e0a6b2d4c8e9f1a2b3c"),
    Column("size", pa.int32(), False, "Number of copies.", 2),
    Column("canonical_doc_id", pa.string(), False, "The chosen copy.",
           "3f9c1e0a6b2d4c8e9f1a2b3c"),
    Column("members", _list(), False, "doc_ids of every copy.", ["3f9c...", "a1b2..."]),
    Column("outlets", _list(), False, "Outlets that printed a copy.", ["The Straits Times"]),
    Column("first_published", pa.date32(), True, "Earliest publication day among the copies.",
           "2015-05-13"),
    Column("member_outlets", _list(nullable_items=True), False,
           "Outlet of each copy, in the order of `members` (null where unknown).",
           ["The Straits Times", None]),
    Column("member_dates", _list(pa.date32(), nullable_items=True), False,
           "Publication day of each copy, in the order of `members` (null where unknown).",
           ["2015-05-13", None]),
)

INPUTS = (
    Column("source_path", pa.string(), False, "The input, as in articles and rejects.",
           "world/001_acaae962009ff19c.txt"),
    Column("outcome", pa.string(), False, "article or reject.", "article"),
    Column("doc_id", pa.string(), True, "The article it became (null for a reject).",
           "3f9c1e0a6b2d4c8e9f1a2b3c"),
    Column("size", pa.int64(), True, "Bytes read (null when the input was not read).", 7421),
    Column("sha256", pa.string(), True, "sha256 of the bytes (null when not read).",
           "3f9c1e0a6b2d4c8e9f1a2b3c..."),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "articles": ARTICLES,
    "blocks": BLOCKS,
    "rejects": REJECTS,
    "clusters": CLUSTERS,
    "inputs": INPUTS,
}

TABLE_MEANING = {
    "articles": "One row per accepted input document.",
    "blocks": "Every block of every article, in order, with its role: the article rebuilds "
    "from it.",
    "rejects": "One row per input that did not become an article, with the reason.",
    "clusters": "One row per syndication cluster (a story and its copies).",
    "inputs": "One row per input of the run: what it became, its size and sha256.",
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a table, with the schema version in its metadata."""
    fields = [
        pa.field(c.name, c.type, nullable=c.nullable, metadata={"description": c.meaning})
        for c in TABLES[table]
    ]
    return pa.schema(
        fields,
        metadata={"newsprep.schema_version": SCHEMA_VERSION, "newsprep.table": table},
    )


def _json_type(t: pa.DataType) -> dict:
    if pa.types.is_list(t):
        items = _json_type(t.value_type)
        if t.value_field.nullable:
            items = {"anyOf": [items, {"type": "null"}]}
        return {"type": "array", "items": items}
    if pa.types.is_string(t):
        return {"type": "string"}
    if pa.types.is_boolean(t):
        return {"type": "boolean"}
    if pa.types.is_integer(t):
        return {"type": "integer"}
    if pa.types.is_floating(t):
        return {"type": "number"}
    if pa.types.is_date(t):
        return {"type": "string", "format": "date"}
    raise TypeError(f"no JSON Schema mapping for {t}")


def json_schema(table: str) -> dict:
    """JSON Schema (draft 2020-12) of one row of a table."""
    props = {}
    for c in TABLES[table]:
        spec = _json_type(c.type)
        if c.nullable:
            spec = {"anyOf": [spec, {"type": "null"}]}
        props[c.name] = {**spec, "description": c.meaning, "x-arrow-type": str(c.type)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"newsprep/{table}/{SCHEMA_VERSION}",
        "title": f"newsprep {table} row",
        "description": TABLE_MEANING[table],
        "type": "object",
        "properties": props,
        "required": [c.name for c in TABLES[table]],
        "x-schema-version": SCHEMA_VERSION,
    }


def markdown(table: str) -> str:
    """The human page for one table."""
    lines = [
        f"# `{table}` (schema {SCHEMA_VERSION})",
        "",
        TABLE_MEANING[table],
        "",
        "Generated from `flows/schema.py` by `newsprep schema`; do not edit by hand.",
        "",
        "| column | type | nullable | meaning | example |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in TABLES[table]:
        ex = json.dumps(c.example, ensure_ascii=False)
        lines.append(
            f"| `{c.name}` | `{c.type}` | {'yes' if c.nullable else 'no'} | {c.meaning} | `{ex}` |"
        )
    if table == "rejects":
        from flows.read import REJECT_REASONS

        lines += ["", "## Reasons", ""]
        lines += [f"- `{k}`: {v}" for k, v in REJECT_REASONS.items()]
    return "\n".join(lines) + "\n"


def index() -> str:
    """schemas/README.md: the tables and the versioning policy."""
    rows = "\n".join(f"- [`{t}`]({t}.md) ([JSON Schema]({t}.schema.json)): {m}"
                     for t, m in TABLE_MEANING.items())
    return (f"# newsprep dataset schema {SCHEMA_VERSION}\n\nGenerated from `flows/schema.py` by "
            f"`newsprep schema`; do not edit by hand.\n\n{rows}\n\n## Versioning policy\n\n"
            f"{POLICY}")


def generated_files() -> dict[str, str]:
    """Every file of `schemas/` as it should be, by file name."""
    files = {"README.md": index()}
    for table in TABLES:
        files[f"{table}.schema.json"] = json.dumps(json_schema(table), indent=2) + "\n"
        files[f"{table}.md"] = markdown(table)
    return files
