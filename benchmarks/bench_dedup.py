"""Benchmark and quality check for flows/syndication.py against datasketch MinHashLSH.

Speed: N synthetic ~3 KB bodies built from the devset's gold paragraphs (random paragraph
mixes = distinct stories that now and then share a paragraph, plus edited copies: trimmed
ends, typos, re-paragraphing), timed through `signature_table` + `cluster` on one core,
with peak RSS and the signature table's bytes per doc. Quality: pairwise F1/ARI on the same
synthetic docs, and on the devset with gold bodies and with a crude cleaning of the raw
text (lines of >= 12 words), for both methods.

    .venv/bin/python benchmarks/bench_dedup.py --docs 20000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from flows import syndication as S  # noqa: E402
from flows.model import Block, Document  # noqa: E402


def make_doc(doc_id: str, paragraphs: list[str]) -> Document:
    """A Document whose body is `paragraphs`, one body block per paragraph."""
    blocks = [Block(position=i, line=2 * i, text=p) for i, p in enumerate(paragraphs)]
    return Document(doc_id=doc_id, source_path=doc_id, raw_text="", blocks=blocks)


def load_devset(root: Path) -> list[dict]:
    with open(root / "gold.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def devset_docs(gold: list[dict], root: Path, crude: bool | str) -> list[Document]:
    """Gold bodies, the raw text's lines of >= 12 words (`crude`), or all of it (`raw`)."""
    docs = []
    for g in gold:
        if crude == "raw":
            raw = (root / g["source_path"]).read_text(encoding="utf-8", errors="replace")
            paras = [ln for ln in raw.splitlines() if ln.strip()]
        elif crude:
            raw = (root / g["source_path"]).read_text(encoding="utf-8", errors="replace")
            paras = [ln for ln in raw.splitlines() if len(ln.split()) >= 12]
        else:
            paras = [p for p in (g["body"] or "").split("\n") if p.strip()]
        docs.append(make_doc(g["id"], paras))
    return docs


def _typos(text: str, rng: random.Random, rate: float) -> str:
    words = text.split(" ")
    for i in range(len(words)):
        if len(words[i]) > 3 and rng.random() < rate:
            j = rng.randrange(len(words[i]) - 1)
            w = words[i]
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def synthetic(paragraphs: list[str], n: int, seed: int = 7) -> tuple[list[Document], list[str]]:
    """~3 KB stories from random paragraph mixes; 30% get 1-3 edited copies."""
    rng = random.Random(seed)
    docs: list[Document] = []
    truth: list[str] = []
    k = 0
    while len(docs) < n:
        story: list[str] = []
        while sum(len(p) + 2 for p in story) < 3000:
            story.append(rng.choice(paragraphs))
        sid = f"s{k}"
        k += 1
        docs.append(make_doc(sid, story))
        truth.append(sid)
        if rng.random() < 0.3:
            for c in range(rng.randint(1, 3)):
                copy = story[: len(story) - rng.randint(0, 2)]
                copy = [_typos(p, rng, 0.01) for p in copy]
                if rng.random() < 0.5 and len(copy) > 2:  # merge two paragraphs
                    copy = [copy[0] + " " + copy[1], *copy[2:]]
                docs.append(make_doc(f"{sid}_c{c}", copy))
                truth.append(sid)
    return docs[:n], truth[:n]


def ours(docs: list[Document], batch: int = 5000) -> tuple[list[str], float, pa.Table]:
    t0 = time.process_time()  # CPU time: one core, whatever else the machine runs
    sigs = pa.concat_tables(
        [S.signature_table(docs[i : i + batch]) for i in range(0, len(docs), batch)]
    )
    a = S.cluster(sigs)
    dt = time.process_time() - t0
    return a.column("cluster_id").to_pylist(), dt, sigs


def datasketch_baseline(docs: list[Document], threshold: float = 0.5) -> tuple[list[str], float]:
    """MinHashLSH (128 perms) on word 4-gram shingles, union of all LSH matches."""
    from datasketch import MinHash, MinHashLSH

    t0 = time.process_time()
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    mhs = []
    for d in docs:
        w = d.body.lower().split()
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(w[i : i + 4]).encode() for i in range(max(1, len(w) - 3))])
        lsh.insert(d.doc_id, m)
        mhs.append(m)
    parent = list(range(len(docs)))
    index = {d.doc_id: i for i, d in enumerate(docs)}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(mhs):
        for other in lsh.query(m):
            a, b = find(i), find(index[other])
            if a != b:
                parent[max(a, b)] = min(a, b)
    dt = time.process_time() - t0
    return [docs[find(i)].doc_id for i in range(len(docs))], dt


def load_scorer():
    spec = importlib.util.spec_from_file_location("score", "/work/shared/eval/score.py")
    if spec is None or not Path(spec.origin or "").exists():
        return None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod.dedup_scores


def pairwise(gold: list[str], pred: list[str]) -> dict:
    """Pairwise precision/recall/F1 and ARI (the shared scorer's, when it is there)."""
    scorer = load_scorer()
    if scorer is not None:
        r = scorer(gold, pred)
        return {k: r[k] for k in ("precision", "recall", "f1", "ari")}
    from collections import Counter

    def c2(n: int) -> int:
        return n * (n - 1) // 2

    both = sum(c2(v) for v in Counter(zip(gold, pred, strict=True)).values())
    pp = sum(c2(v) for v in Counter(pred).values())
    gp = sum(c2(v) for v in Counter(gold).values())
    p, r = both / pp if pp else 0.0, both / gp if gp else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p and r else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devset", type=Path, default=Path("/work/shared/devset"))
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--baseline-docs", type=int, default=3000)
    args = ap.parse_args()

    gold = load_devset(args.devset)
    paragraphs = [
        p
        for g in gold
        if g["track"] != "synd"
        for p in (g["body"] or "").split("\n")
        if len(p.split()) >= 8 and len(p) <= 800  # no giant paragraph swallowing a doc
    ]
    docs, truth = synthetic(paragraphs, args.docs)
    mean_kb = np.mean([len(d.body.encode()) for d in docs]) / 1024
    S.signature_table(docs[:200])  # warm-up (power tables, imports)
    pred, dt, sigs = ours(docs)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_doc = sigs.nbytes / len(docs)
    print(f"synthetic: {len(docs)} docs, mean body {mean_kb:.2f} KB")
    print(
        f"newsprep: {len(docs) / dt:,.0f} docs/s ({dt:.2f} s signatures+cluster), "
        f"peak RSS {rss_mb:,.0f} MB, signature table {per_doc:.0f} B/doc "
        f"= {per_doc * 1e6 / 2**30:.2f} GiB per 1M docs"
    )
    print("newsprep  quality (synthetic):", pairwise(truth, pred))
    nb = min(args.baseline_docs, len(docs))
    p_ours, dt_ours, _ = ours(docs[:nb])
    p_ds, dt_ds = datasketch_baseline(docs[:nb])
    print(f"first {nb} docs: newsprep {nb / dt_ours:,.0f} docs/s {pairwise(truth[:nb], p_ours)}")
    print(f"first {nb} docs: datasketch {nb / dt_ds:,.0f} docs/s {pairwise(truth[:nb], p_ds)}")

    gold_clusters = [str(g.get("cluster") or g["id"]) for g in gold]
    for name, crude in (("gold bodies", False), ("crude bodies", True), ("raw text", "raw")):
        dv = devset_docs(gold, args.devset, crude)
        p1, _, _ = ours(dv)
        p2, _ = datasketch_baseline(dv)
        print(f"devset {name}: newsprep {pairwise(gold_clusters, p1)}")
        print(f"devset {name}: datasketch {pairwise(gold_clusters, p2)}")


if __name__ == "__main__":
    main()
