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


def article_keys(version_dir: Path) -> dict[str, str]:
    """source_path -> doc_id of one version's articles (two small columns only)."""
    t = ds.dataset(version_dir / "articles.parquet").to_table(columns=["source_path", "doc_id"])
    return dict(zip(t["source_path"].to_pylist(), t["doc_id"].to_pylist(), strict=True))


def diff_keys(old: dict[str, str], new: dict[str, str], examples: int = 20) -> dict:
    """Articles added, removed and changed (same source_path, other bytes) between two runs."""
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    changed = sorted(p for p in new.keys() & old.keys() if new[p] != old[p])
    return {
        "added": len(added), "removed": len(removed), "changed": len(changed),
        "unchanged": len(new.keys() & old.keys()) - len(changed),
        "examples": {"added": added[:examples], "removed": removed[:examples],
                     "changed": changed[:examples]},
    }


def diff_versions(output: Path, a: str, b: str) -> dict:
    """What changed from version `a` to version `b` (names as in `newsprep versions`)."""
    dirs = []
    for name in (a, b):
        name = name if name.startswith("version=") else f"version={name}"
        if not (output / name / "articles.parquet").exists():
            raise LookupError(f"no version {name} under {output}")
        dirs.append(output / name)
    return diff_keys(article_keys(dirs[0]), article_keys(dirs[1]))


def versions_summary(output: Path) -> list[dict]:
    """One row per published version: name, created, counts, and which one is LATEST."""
    import json

    from flows.publish import list_versions

    latest = latest_version(output)
    rows = []
    for name in list_versions(output):
        m = json.loads((output / name / "manifest.json").read_text(encoding="utf-8"))
        c = m.get("counts", {})
        rows.append({"version": name, "created": m.get("created"), "latest": name == latest,
                     "inputs": c.get("inputs"), "articles": c.get("articles"),
                     "rejects": c.get("rejects"), "clusters": c.get("clusters"),
                     "parent": m.get("parent_version")})
    return rows
