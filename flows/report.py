"""Read-side reports over a published version (what `newsprep explain` prints)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds

from flows.publish import latest_version


def _version_dir(output: Path) -> Path:
    name = latest_version(output)
    if name is None:
        raise LookupError(f"no published version under {output}")
    return output / name


def find_article(output: Path, key: str) -> dict:
    """The article whose doc_id, doc_id prefix or source_path is `key` (must be unique)."""
    table = ds.dataset(_version_dir(output) / "articles.parquet").to_table(
        columns=["doc_id", "source_path", "title", "outlet", "language", "published_date",
                 "dateline", "agencies", "authors", "cluster_id", "is_canonical"]
    )
    ids = table["doc_id"]
    mask = pc.or_(pc.starts_with(ids, key), pc.equal(table["source_path"], key))
    hits = table.filter(mask).to_pylist()
    if not hits:
        raise LookupError(f"no article matches {key!r}")
    if len(hits) > 1:
        raise LookupError(f"{key!r} matches {len(hits)} articles; give more of the doc_id")
    return hits[0]


def explain_document(output: Path, key: str, width: int = 90) -> str:
    """Every block of one article with its role and the rule that decided it."""
    art = find_article(output, key)
    blocks = ds.dataset(_version_dir(output) / "blocks.parquet").to_table(
        filter=ds.field("doc_id") == art["doc_id"],
        columns=["position", "line", "role", "reason", "text"],
    ).sort_by("position").to_pylist()
    head = [f"{k}: {art[k]}" for k in ("doc_id", "source_path", "title", "outlet",
                                        "published_date", "dateline", "agencies", "authors",
                                        "language", "cluster_id", "is_canonical")]
    lines = [*head, "", f"{'pos':>4} {'line':>4}  {'role':<11} {'reason':<24} text"]
    for b in blocks:
        text = b["text"].replace("\t", " ")
        if len(text) > width:
            text = text[: width - 1] + "…"
        lines.append(f"{b['position']:>4} {b['line']:>4}  {b['role']:<11} "
                     f"{b['reason'] or '':<24} {text}")
    return "\n".join(lines)
