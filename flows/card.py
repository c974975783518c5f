"""The dataset card: the README.md that travels inside every published version."""

from __future__ import annotations

from flows.schema import SCHEMA_VERSION, TABLE_MEANING

_LOAD = """\
## Load it

Paths below are relative to the output root (the folder holding `LATEST`).

DuckDB:
```sql
SELECT title, outlet, published_date FROM 'output/{version}/articles.parquet';
-- every version at once, with a `version` column from the folder name:
SELECT version, count(*) FROM read_parquet('output/version=*/articles.parquet',
    hive_partitioning = true) GROUP BY version;
```

pandas:
```python
import pandas as pd
articles = pd.read_parquet("output/{version}/articles.parquet")
```

polars:
```python
import polars as pl
articles = pl.read_parquet("output/{version}/articles.parquet")
all_versions = pl.scan_parquet("output/version=*/articles.parquet", hive_partitioning=True)
```

pyarrow:
```python
import pyarrow.dataset as ds
articles = ds.dataset("output/{version}/articles.parquet").to_table()
every = ds.dataset("output", format="parquet", partitioning="hive",
                   exclude_invalid_files=True).to_table()  # adds `version`
```

Spark:
```python
df = spark.read.parquet("output/{version}/articles.parquet")
```

Hugging Face datasets:
```python
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
- `manifest.json`: parameters, input digest, counts, and each file's rows, bytes and sha256.

"""
    return body + _LOAD
