"""Re-runs reuse the previous version: new copies join published clusters, and the result
is the same as recomputing everything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from flows.publish import latest_version
from flows.runner import RunConfig, run
from flows.syndication import SyndicationParams
from tests.conftest import SEEDS

KEYS = {"articles": "doc_id", "blocks": [("doc_id", "ascending"), ("position", "ascending")],
        "clusters": "cluster_id"}


def _tables(out: Path) -> dict:
    v = out / latest_version(out)
    return {t: pq.read_table(v / f"{t}.parquet").sort_by(k) for t, k in KEYS.items()}


def _manifest(out: Path) -> dict:
    return json.loads((out / latest_version(out) / "manifest.json").read_text())


def _seeds_without_003(root: Path) -> Path:
    root.mkdir()
    for p in SEEDS.glob("*.txt"):
        if not p.name.startswith("003"):
            shutil.copy(p, root)
    return root


def test_new_copy_joins_the_published_cluster(tmp_path):
    inputs = _seeds_without_003(tmp_path / "in")
    out = tmp_path / "out"
    run([inputs], out)
    assert _manifest(out)["counts"]["multi_copy_clusters"] == 0
    shutil.copy(next(SEEDS.glob("003_*.txt")), inputs)
    run([inputs], out)
    m = _manifest(out)
    assert m["incremental"] == {"reused_from": "version=v0001", "reused_articles": 4,
                                "processed_articles": 1}
    arts = {a["source_path"][:3]: a for a in _tables(out)["articles"].to_pylist()}
    assert arts["003"]["cluster_id"] == arts["001"]["doc_id"]
    assert arts["003"]["duplicate_of"] == arts["001"]["doc_id"]
    assert arts["001"]["agencies"] == ["AFP"]  # the new copy's credit reached the old one
    run([inputs], tmp_path / "full")
    full = _tables(tmp_path / "full")
    for name, table in _tables(out).items():
        assert table.equals(full[name]), name


def test_unchanged_rerun_reuses_everything(tmp_path):
    out = tmp_path / "out"
    run([SEEDS], out)
    first = _tables(out)
    run([SEEDS], out)
    assert _manifest(out)["incremental"]["processed_articles"] == 0
    assert _manifest(out)["incremental"]["reused_articles"] == 5
    for name, table in _tables(out).items():
        assert table.equals(first[name]), name


def test_removed_input_or_other_parameters_recompute_everything(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    out = tmp_path / "out"
    run([inputs], out)
    next(inputs.glob("002_*.txt")).unlink()
    run([inputs], out)
    assert _manifest(out)["incremental"]["reused_from"] is None
    assert _manifest(out)["changes"]["removed"] == 1
    run([inputs], out, RunConfig(syndication=SyndicationParams(jaccard_threshold=0.4)))
    assert _manifest(out)["incremental"]["reused_from"] is None
    run([inputs], out, RunConfig(syndication=SyndicationParams(jaccard_threshold=0.4),
                                 batch_size=2))
    assert _manifest(out)["incremental"]["reused_from"] == "version=v0003"
