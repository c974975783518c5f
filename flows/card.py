"""The dataset card: the README.md that travels inside every published version."""

from __future__ import annotations

from flows.schema import SCHEMA_VERSION, TABLE_MEANING

_LOAD = """\
## Load it

Paths are relative to the output root (the folder holding `LATEST`). Each recipe also
reads every version at once, with a `version` column taken from the folder name.

DuckDB:
```python
import duckdb

duckdb.sql("SELECT title, outlet, published_date FROM 'output/{version}/articles.parquet'").show()
every = duckdb.sql("SELECT version, count(*) AS articles FROM read_parquet("
                   "'output/version=*/articles.parquet', hive_partitioning = true) "
                   "GROUP BY version ORDER BY version")
print(every)
```

pandas:
```python
from pathlib import Path

import pandas as pd

articles = pd.read_parquet("output/{version}/articles.parquet")
every = pd.concat(pd.read_parquet(p).assign(version=p.parent.name.split("=", 1)[1])
                  for p in sorted(Path("output").glob("version=*/articles.parquet")))
print(every.groupby("version").size())
```

polars:
```python
import polars as pl

articles = pl.read_parquet("output/{version}/articles.parquet")
every = pl.scan_parquet("output/version=*/articles.parquet", hive_partitioning=True)
print(every.group_by("version").len().sort("version").collect())
```

pyarrow:
```python
from pathlib import Path

import pyarrow.dataset as ds

articles = ds.dataset("output/{version}/articles.parquet").to_table()
files = sorted(str(p) for p in Path("output").glob("version=*/articles.parquet"))
every = ds.dataset(files, partitioning="hive", partition_base_dir="output").to_table()
print(every.group_by("version").aggregate([("doc_id", "count")]).sort_by("version"))
```

Spark (not run in newsprep's tests):
```py
df = spark.read.parquet("output/{version}/articles.parquet")
every = spark.read.option("basePath", "output").parquet("output/version=*/articles.parquet")
```

Hugging Face datasets (not run in newsprep's tests):
```py
from datasets import load_dataset
ds = load_dataset("parquet", data_files={"train": "output/{version}/articles.parquet"})
```
"""


def dataset_card(manifest: dict) -> str:
    """Markdown card for one version (`{version}` is filled in when the name is known)."""
    c = manifest["counts"]
    reasons = ", ".join(f"{k} {v}" for k, v in c["rejects_by_reason"].items()) or "none"
    roles = ", ".join(f"{k} {v}" for k, v in c["blocks_by_role"].items()) or "none"
    tables = "\n".join(
        f"- `{t}.parquet`: {m} Columns: `schemas/{t}.md` in the newsprep repository."
        for t, m in TABLE_MEANING.items()
    )
    body = f"""\
# newsprep dataset {{version}}

News articles cleaned from raw scraped text by newsprep {manifest["newsprep_version"]}
(schema {SCHEMA_VERSION}), created {manifest["created"]}. Each article's `text` holds only
the story's paragraphs: share bars, menus, captions, bylines and other page furniture are
labelled in `blocks.parquet` instead, with the rule that decided each. Syndicated copies of
one story are kept and grouped: `cluster_id`, `is_canonical`, `duplicate_of`.

## Counts

- inputs: {c["inputs"]}
- articles: {c["articles"]}
- rejects: {c["rejects"]} ({reasons})
- syndication clusters: {c["clusters"]} ({c["multi_copy_clusters"]} with several copies,
  {c["duplicates"]} non-canonical copies)
- blocks: {c["blocks"]} ({roles})

## Tables

{tables}
- `manifest.json`: parameters, input digest, counts, seconds and peak memory per pass, and
  each file's rows, bytes and sha256.

"""
    return body + _LOAD
