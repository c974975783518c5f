"""The whole run over the seeds and over a folder mixing good and bad files (no Prefect)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.model import rebuild_text
from flows.publish import latest_version, list_versions
from flows.runner import RunConfig, run
from tests.conftest import ROOT, SEEDS


def _articles(out: Path) -> list[dict]:
    return pq.read_table(out / latest_version(out) / "articles.parquet").to_pylist()


def test_seeds_publish_one_complete_version(seeds_run):
    name = latest_version(seeds_run)
    assert name == "version=v0001"
    version = seeds_run / name
    names = {p.name for p in version.iterdir()}
    assert {"articles.parquet", "blocks.parquet", "rejects.parquet", "clusters.parquet",
            "manifest.json", "README.md"} <= names
    arts = _articles(seeds_run)
    assert sorted(a["source_path"] for a in arts) == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert not (seeds_run / ".staging").exists()


def test_seed_text_has_no_boilerplate(seeds_run):
    for a in _articles(seeds_run):
        for junk in ("Print Mail", "Post a Comment", "No comments", "New comment",
                     "Telegram channel", "PHOTO: REUTERS", "8.03K", "All news", "Updated:",
                     "News | Politics"):
            assert junk not in a["text"], (a["source_path"], junk)
        assert a["text"].strip()


def test_seeds_syndication_one_cluster(seeds_run):
    arts = {a["source_path"][:3]: a for a in _articles(seeds_run)}
    assert arts["001"]["cluster_id"] == arts["003"]["cluster_id"]
    clusters = {a["cluster_id"] for a in arts.values()}
    assert len(clusters) == 4
    assert sum(a["is_canonical"] for a in arts.values()) == 4
    pair = [arts["001"], arts["003"]]
    canon = [a for a in pair if a["is_canonical"]]
    assert len(canon) == 1
    other = next(a for a in pair if not a["is_canonical"])
    assert other["duplicate_of"] == canon[0]["doc_id"]


def test_blocks_rebuild_each_document(seeds_run):
    from flows.model import Block
    from flows.repair import repair_text

    version = seeds_run / latest_version(seeds_run)
    blocks = pq.read_table(version / "blocks.parquet").to_pylist()
    arts = {a["doc_id"]: a for a in _articles(seeds_run)}
    for doc_id, art in arts.items():
        mine = sorted((b for b in blocks if b["doc_id"] == doc_id), key=lambda b: b["position"])
        rebuilt = rebuild_text([Block(b["position"], b["line"], b["text"], b["role"])
                                for b in mine])
        raw = (SEEDS / art["source_path"]).read_text(encoding="utf-8")
        assert rebuilt == repair_text(raw)[0]
        assert all(b["reason"] is None for b in mine if b["role"] == "body")
        assert all(b["reason"] for b in mine if b["role"] != "body")


def test_blocks_carry_their_passage_fingerprints(seeds_run):
    """Every long body block carries its paragraph's fingerprint (the same 64 bits, signed
    for Spark); the two copies of the AFP story name the first copy of each shared one."""
    from flows.syndication import passage_fingerprint

    version = seeds_run / latest_version(seeds_run)
    blocks = pq.read_table(version / "blocks.parquet").to_pylist()
    ids = {a["source_path"][:3]: a["doc_id"] for a in _articles(seeds_run)}
    printed = [b for b in blocks if b["passage_fingerprint"] is not None]
    assert printed and all(b["role"] == "body" for b in printed)
    for b in printed:
        assert b["passage_fingerprint"] % (1 << 64) == passage_fingerprint(b["text"])
    assert any(b["passage_fingerprint"] < 0 for b in printed)  # the top bit set: signed
    first = {b["passage_fingerprint"]: b["passage_first_doc"] for b in printed
             if b["doc_id"] == ids["001"]}
    shared = [b for b in printed if b["doc_id"] == ids["003"]
              and b["passage_fingerprint"] in first]
    assert len(shared) >= 3
    assert all(b["passage_first_doc"] == first[b["passage_fingerprint"]] for b in shared)


def test_same_output_whatever_the_hash_seed(tmp_path):
    """Python salts str hashes per process, so set order differs from run to run: no
    result may depend on it (an outlet tie was once broken by set order)."""
    pages = sorted((ROOT / "tests" / "fixtures" / "devset").rglob("*.txt"))
    inputs = [str(SEEDS), *map(str, pages)]
    script = ("import sys; from pathlib import Path; from flows.runner import run; "
              "run([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]))")
    tables = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        subprocess.run([sys.executable, "-c", script, str(out), *inputs], check=True,
                       cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed})
        version = out / latest_version(out)
        tables.append([pq.read_table(version / f"{t}.parquet") for t in ("articles", "blocks")])
    assert tables[0][0].num_rows == 5 + len(pages)
    assert all(a.equals(b) for a, b in zip(*tables, strict=True))


def test_manifest_accounts_for_every_file(seeds_run):
    version = seeds_run / latest_version(seeds_run)
    m = json.loads((version / "manifest.json").read_text())
    assert m["counts"]["inputs"] == 5 and m["counts"]["articles"] == 5
    assert m["schema_version"] and m["newsprep_version"] and m["parameters"]["batch_size"]
    assert re.fullmatch(r"[0-9a-f]{64}", m["inputs"]["digest"])
    for name, f in m["files"].items():
        assert (version / name).stat().st_size == f["bytes"]
    assert m["files"]["articles.parquet"]["rows"] == 5
    assert m["seconds"].keys() == m["peak_rss_mb"].keys() and len(m["seconds"]) == 4
    assert all(mb > 0 for mb in m["peak_rss_mb"].values())


def test_same_bytes_same_doc_id_across_runs(seeds_run, tmp_path):
    run([SEEDS], tmp_path, RunConfig(batch_size=2))
    assert {a["doc_id"] for a in _articles(tmp_path)} == {a["doc_id"] for a in _articles(seeds_run)}


def _mixed_folder(root: Path, outside: Path) -> dict[str, str | None]:
    """Good and bad files; the value is the expected reject reason (None: an article)."""
    root.mkdir()
    (root / "sub").mkdir()
    seed = next(iter(sorted(SEEDS.glob("*.txt")))).read_bytes()
    files = {
        "good.txt": (seed, None),
        "sub/deep.txt": ((SEEDS / "004_ea137eb8cbfa22ac.txt").read_bytes(), None),
        "z_copy.txt": (seed, "exact_duplicate"),  # sorted after good.txt
        "empty.txt": (b"", "empty"),
        "blank.txt": (b"  \n\n \t\n", "empty"),
        "binary.txt": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "binary"),
        "latin1.txt": ("Le président a déclaré à Paris que la réunion était très "
                       "importante pour l'Europe et ses partenaires.\n".encode("latin-1") * 3,
                       None),
        "utf16.txt": ("Moscow talks ended on Tuesday with a pledge to meet again soon.\n"
                      .encode("utf-16") , None),
    }
    for rel, (data, _) in files.items():
        (root / rel).write_bytes(data)
    (outside / "secret.txt").write_text("outside the input folder\n")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    expected = {rel: reason for rel, (_, reason) in files.items()}
    expected["link.txt"] = "symlink_outside_input"
    return expected


def test_mixed_folder_every_file_accounted(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = _mixed_folder(tmp_path / "in", outside)
    out = tmp_path / "out"
    run([tmp_path / "in"], out, RunConfig(batch_size=3))
    version = out / latest_version(out)
    arts = {a["source_path"] for a in pq.read_table(version / "articles.parquet").to_pylist()}
    rejects = {r["source_path"]: r["reason"]
               for r in pq.read_table(version / "rejects.parquet").to_pylist()}
    assert arts.isdisjoint(rejects)
    assert arts | set(rejects) == set(expected)
    for rel, reason in expected.items():
        if reason is None:
            assert rel in arts, rel
        else:
            assert rejects.get(rel) == reason, (rel, rejects.get(rel))
    inputs = {r["source_path"]: r for r in
              pq.read_table(version / "inputs.parquet").to_pylist()}
    assert set(inputs) == set(expected)
    for rel, reason in expected.items():
        assert inputs[rel]["outcome"] == ("article" if reason is None else "reject")
    # the copy is read batches after the original: the detail still names the first file
    details = {r["source_path"]: r["detail"]
               for r in pq.read_table(version / "rejects.parquet").to_pylist()}
    assert details["z_copy.txt"] == "same bytes as good.txt"
    good = inputs["good.txt"]
    raw = (tmp_path / "in" / "good.txt").read_bytes()
    assert good["size"] == len(raw)
    assert good["sha256"] == hashlib.sha256(raw).hexdigest()


def test_failed_run_leaves_no_version(tmp_path, monkeypatch):
    out = tmp_path / "out"
    run([SEEDS], out)
    before = list_versions(out)

    import flows.runner as runner

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runner.syndication, "cluster", boom)
    with pytest.raises(RuntimeError):
        run([SEEDS], out)
    assert list_versions(out) == before
    assert latest_version(out) == before[-1]
    assert not (out / ".staging").exists()
    monkeypatch.undo()
    run([SEEDS], out)
    assert latest_version(out) == "version=v0002"
    m = json.loads((out / "version=v0002" / "manifest.json").read_text())
    assert m["parent_version"] == "version=v0001"


def test_jsonl_input_keeps_id_url_and_given_title(tmp_path):
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))[:2]]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "a-1", "url": "https://www.straitstimes.com/world/x", "text": texts[0]})
        + "\n" + "not json\n"
        + json.dumps({"id": 7, "title": "Given headline", "text": texts[1]}) + "\n",
        encoding="utf-8")
    out = tmp_path / "out"
    run([corpus], out)
    arts = {a["source_id"]: a for a in _articles(out)}
    assert set(arts) == {"a-1", "7"}
    assert arts["a-1"]["source_path"] == "corpus.jsonl#L1"
    assert arts["a-1"]["source_url"] == "https://www.straitstimes.com/world/x"
    assert arts["7"]["source_path"] == "corpus.jsonl#L3"
    rejects = pq.read_table(out / latest_version(out) / "rejects.parquet").to_pylist()
    assert [(r["source_path"], r["reason"]) for r in rejects] == [("corpus.jsonl#L2",
                                                                   "bad_jsonl_record")]
