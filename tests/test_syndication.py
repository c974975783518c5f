"""Syndication clusters, canonical choice and passage fingerprints on real texts.

Documents are built here (one body block per paragraph) so these tests need no other stage.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from flows import syndication as S
from flows.model import Block, Document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "devset" / "syndication"
USHAKOV = "Our president proceeded in the conversation"


def make_doc(doc_id: str, paragraphs: list[str], **meta) -> Document:
    blocks = [Block(position=i, line=2 * i, text=p) for i, p in enumerate(paragraphs)]
    return Document(doc_id=doc_id, source_path=doc_id, raw_text="", blocks=blocks, **meta)


def long_lines(text: str) -> list[str]:
    """Crude cleaning: the lines of >= 12 words."""
    return [ln.strip() for ln in text.splitlines() if len(ln.split()) >= 12]


@pytest.fixture(scope="module")
def seed_docs() -> list[Document]:
    return [
        make_doc(p.stem[:3], long_lines(p.read_text(encoding="utf-8")))
        for p in sorted(SEEDS.glob("*.txt"))
    ]


def clusters_of(assignments: pa.Table) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for d, c in zip(
        assignments["doc_id"].to_pylist(), assignments["cluster_id"].to_pylist(), strict=True
    ):
        groups.setdefault(c, set()).add(d)
    return {frozenset(g) for g in groups.values()}


def run(docs: list[Document], params: S.SyndicationParams = S.DEFAULT_PARAMS) -> pa.Table:
    return S.cluster(S.signature_table(docs, params), params)


# --- seeds ------------------------------------------------------------------------------------


def test_seeds_one_cluster_of_the_two_afp_copies(seed_docs):
    a = run(seed_docs)
    multi = [c for c in clusters_of(a) if len(c) > 1]
    assert multi == [frozenset({"001", "003"})]
    rows = {r["doc_id"]: r for r in a.to_pylist()}
    # 001 keeps more of the story (more shingles): canonical
    assert rows["001"]["is_canonical"] and rows["001"]["duplicate_of"] is None
    assert rows["001"]["similarity"] is None and rows["001"]["similarity_method"] is None
    assert rows["003"]["cluster_id"] == "001" and rows["003"]["duplicate_of"] == "001"
    assert not rows["003"]["is_canonical"]
    assert 0.5 < rows["003"]["similarity"] <= 1.0
    assert rows["003"]["similarity_method"] == "minhash_containment"
    # the two TASS stories that share a quoted paragraph stay apart
    assert rows["002"]["cluster_id"] == "002" and rows["004"]["cluster_id"] == "004"


def test_seed_signature_table_is_compact_and_typed(seed_docs):
    t = S.signature_table(seed_docs)
    p = S.DEFAULT_PARAMS
    assert t.num_rows == 5
    assert t.schema.field("signature").type == pa.list_(pa.uint32(), p.num_perm)
    assert "bands" not in t.schema.names  # recomputed per band when clustering
    words = t["body_words"].to_pylist()
    shingles = t["shingles"].to_pylist()
    assert all(w > 250 for w in words)
    assert all(0 < s <= w - p.shingle_words + 1 for s, w in zip(shingles, words, strict=True))
    assert t.nbytes / t.num_rows < 700  # ~0.6 KB a doc: ~0.6 GB per million docs


def test_batches_give_the_same_clusters_as_one_batch(seed_docs):
    one = run(seed_docs)
    sigs = pa.concat_tables([S.signature_table(seed_docs[:2]), S.signature_table(seed_docs[2:])])
    assert S.cluster(sigs).equals(one)


# --- containment, canonical policy, edge cases ----------------------------------------------


def test_copy_keeping_the_first_half_joins_its_story(seed_docs):
    story = seed_docs[1]  # 001, the longest seed
    paras = [b.text for b in story.blocks]
    half = make_doc("half", paras[: len(paras) // 2])
    a = run([story, half, seed_docs[2]])
    rows = {r["doc_id"]: r for r in a.to_pylist()}
    assert rows["half"]["duplicate_of"] == "001"
    assert rows["half"]["similarity"] > 0.8
    assert rows["002"]["cluster_id"] == "002"


def test_canonical_prefers_complete_body_then_date_then_metadata_then_id(seed_docs):
    paras = [b.text for b in seed_docs[3].blocks]  # 003
    full = make_doc("z-full", paras)
    trimmed = make_doc("a-trimmed", paras[:-2], published_date=date(2015, 5, 1))
    assert run([trimmed, full]).to_pylist()[0]["cluster_id"] == "z-full"

    late = make_doc("a-late", paras, published_date=date(2015, 5, 14))
    early = make_doc("b-early", paras, published_date=date(2015, 5, 12))
    undated = make_doc("0-undated", paras)
    assert set(run([late, early, undated])["cluster_id"].to_pylist()) == {"b-early"}

    plain = make_doc("a-plain", paras)
    rich = make_doc("b-rich", paras, title="Kerry holds talks", outlet="AFP", authors=["X"])
    assert set(run([plain, rich])["cluster_id"].to_pylist()) == {"b-rich"}

    twins = [make_doc("d2", paras), make_doc("d1", paras)]
    assert set(run(twins)["cluster_id"].to_pylist()) == {"d1"}


def test_short_and_empty_bodies_stay_singletons():
    docs = [make_doc(f"s{i}", ["Breaking: more to follow shortly."]) for i in range(3)]
    docs.append(make_doc("empty", []))
    t = S.signature_table(docs)
    assert len(S.candidate_pairs(t)) == 0  # too short to be compared
    a = S.cluster(t)
    assert a["is_canonical"].to_pylist() == [True] * 4
    assert a["cluster_id"].to_pylist() == ["s0", "s1", "s2", "empty"]


def test_oversized_bucket_is_star_joined(seed_docs):
    paras = [b.text for b in seed_docs[0].blocks]
    docs = [make_doc(f"c{i:03d}", paras) for i in range(12)]
    params = S.SyndicationParams(max_bucket=4)
    sigs = S.signature_table(docs, params)
    pairs = S.candidate_pairs(sigs, params)
    assert len(pairs) == 11  # star to the first member, not 66 pairs
    assert set(S.cluster(sigs, params)["cluster_id"].to_pylist()) == {"c000"}


def test_connected_components_follow_chains():
    edges = np.array([[4, 3], [3, 2], [2, 1], [6, 7]])
    assert S.connected_components(8, edges).tolist() == [0, 1, 1, 1, 1, 5, 6, 6]


def test_estimated_containment_formula():
    sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    jac, cont = S.estimate_similarity(sig, np.array([200, 100]), np.array([[0, 1]]))
    assert jac[0] == 0.5
    assert cont[0] == pytest.approx(0.5 * 300 / (1.5 * 100))


def test_vectorised_normalisation_matches_scalar():
    text = "He said: “Russia’s—plan” isn’t É\u00a0Über, 3.5%… naïve « quoted » • end"
    assert S.tokens(text) == [
        b"he",
        b"said",
        b"russia",
        b"s",
        b"plan",
        b"isn",
        b"t",
        "É".encode(),
        "Über".encode(),
        b"3",
        b"5",
        "naïve".encode(),
        b"quoted",
        b"end",
    ]
    assert bytes(S._normalise_array(text.encode())) == S.normalise(text)


# --- devset: a story, its copies, and the page whose boilerplate wraps one ----------------


def fixture_docs(crude: bool) -> tuple[list[Document], list[str]]:
    docs, gold = [], []
    for line in (FIXTURE / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        g = json.loads(line)
        if crude:
            paras = long_lines((FIXTURE / g["source_path"]).read_text(encoding="utf-8"))
        else:
            paras = [p for p in g["body"].split("\n") if p.strip()]
        docs.append(make_doc(g["id"], paras))
        gold.append(g["cluster"])
    return docs, gold


@pytest.mark.parametrize("crude", [False, True])
def test_devset_story_copies_cluster_and_shared_boilerplate_does_not(crude):
    docs, gold = fixture_docs(crude)
    pred = run(docs)["cluster_id"].to_pylist()
    story = {p for p, g in zip(pred, gold, strict=True) if g == "wcxb4677"}
    page = [p for p, d in zip(pred, docs, strict=True) if d.doc_id == "wcxb0323"]
    assert len(story) == 1 and page == ["wcxb0323"]


# --- clusters table and passages ------------------------------------------------------------


def test_clusters_table(seed_docs):
    docs = [*seed_docs]
    docs[3].outlet = "The Straits Times"
    docs[1].published_date = date(2015, 5, 13)
    sigs = S.signature_table(docs)
    t = S.clusters_table(S.cluster(sigs), sigs)
    rows = {r["cluster_id"]: r for r in t.to_pylist()}
    assert sorted(rows) == ["000", "001", "002", "004"]
    assert rows["001"]["size"] == 2 and rows["001"]["members"] == ["001", "003"]
    assert rows["001"]["canonical_doc_id"] == "001"
    assert rows["001"]["outlets"] == ["The Straits Times"]
    assert rows["001"]["first_published"] == date(2015, 5, 13)
    assert rows["001"]["member_outlets"] == [None, "The Straits Times"]
    assert rows["001"]["member_dates"] == [date(2015, 5, 13), None]
    assert rows["000"]["outlets"] == [] and rows["000"]["first_published"] is None
    assert sum(r["size"] for r in rows.values()) == 5


def test_passages_shared_quote_counts_other_stories(seed_docs):
    passages = S.passage_table(seed_docs)
    assert passages.schema.field("fingerprint").type == pa.uint64()
    stats = S.passage_stats(passages, run(seed_docs))
    assert stats.num_rows == passages.num_rows
    rows = stats.to_pylist()
    text = {(d.doc_id, b.position): b.text for d in seed_docs for b in d.blocks}
    quote = [r for r in rows if text[(r["doc_id"], r["position"])].startswith(f'"{USHAKOV}')]
    by_doc = {r["doc_id"]: r for r in quote}
    assert set(by_doc) == {"000", "002", "004"}
    # 002 and 004 print the same paragraph: one other story each, 002 came first
    assert by_doc["002"]["fingerprint"] == by_doc["004"]["fingerprint"]
    assert by_doc["002"]["passage_other_stories"] == 1
    assert by_doc["004"]["passage_first_doc"] == "002"
    # 000 attributes the quote differently ("the Kremlin's Ushakov"): another paragraph
    assert by_doc["000"]["fingerprint"] != by_doc["002"]["fingerprint"]
    assert by_doc["000"]["passage_other_stories"] == 0
    # every row agrees with a brute-force count over (fingerprint -> clusters, first doc)
    cluster_of = {"003": "001"}
    clusters: dict[int, set[str]] = {}
    first: dict[int, str] = {}
    for r in rows:
        clusters.setdefault(r["fingerprint"], set()).add(cluster_of.get(r["doc_id"], r["doc_id"]))
        first.setdefault(r["fingerprint"], r["doc_id"])
    for r in rows:
        assert r["passage_other_stories"] == len(clusters[r["fingerprint"]]) - 1
        assert r["passage_first_doc"] == first[r["fingerprint"]]
    # a paragraph 001 and 003 share is one story, not two; 003 saw it after 001
    shared = [r for r in rows if r["doc_id"] == "003" and r["passage_first_doc"] == "001"]
    assert shared and all(r["passage_other_stories"] == 0 for r in shared)


def test_passage_fingerprint_ignores_case_punctuation_and_spacing():
    a = S.passage_fingerprint('"Proceeding from this, we consider the talks very useful."')
    b = S.passage_fingerprint("Proceeding from this we consider  the TALKS very useful")
    assert a == b
    short = make_doc(
        "x", ["Too short to count.", "This paragraph clearly has more than eight words in it."]
    )
    assert S.passage_table([short])["position"].to_pylist() == [1]


def test_empty_run_gives_empty_tables():
    sigs = S.signature_table([])
    a = S.cluster(sigs)
    assert a.num_rows == 0 and a.schema.field("similarity").type == pa.float64()
    assert S.clusters_table(a, sigs).num_rows == 0
    assert S.passage_stats(S.passage_table([]), a).num_rows == 0
