"""The schema docs in schemas/ are generated from flows/schema.py and must not drift."""

from __future__ import annotations

import pyarrow.parquet as pq

from flows.publish import latest_version
from flows.schema import SCHEMA_VERSION, TABLES, arrow_schema, generated_files
from tests.conftest import ROOT


def test_schema_docs_match_code():
    for name, text in generated_files().items():
        assert (ROOT / "schemas" / name).read_text(encoding="utf-8") == text, name


def test_written_files_carry_the_schema(seeds_run):
    version = seeds_run / latest_version(seeds_run)
    for table in TABLES:
        schema = pq.read_schema(version / f"{table}.parquet")
        assert schema.metadata[b"newsprep.schema_version"].decode() == SCHEMA_VERSION
        assert schema.remove_metadata().equals(arrow_schema(table).remove_metadata(),
                                               check_metadata=False)


def test_output_contract_columns_present():
    contract = {
        "articles": ["doc_id", "source_path", "source_url", "title", "text", "language",
                     "outlet", "agencies", "authors", "published_date", "dateline",
                     "cluster_id", "is_canonical", "duplicate_of"],
        "blocks": ["doc_id", "position", "text", "role", "reason"],
        "rejects": ["source_path", "reason", "detail"],
    }
    for table, cols in contract.items():
        assert set(cols) <= set(arrow_schema(table).names)
