"""Benchmark and quality check for flows/syndication.py against other MinHash-LSH engines.

Speed: N synthetic ~3 KB bodies built from the devset's gold paragraphs (random paragraph
mixes = distinct stories that now and then share a paragraph, plus edited copies: trimmed
ends, typos, re-paragraphing), timed through `signature_table` + `cluster` on one core,
with peak RSS and the signature table's bytes per doc. Side by side: the first
--baseline-docs of them through newsprep and each installed engine of
benchmarks/dedup_engines.py (datasketch MinHashLSH, datatrove, text-dedup; one process,
one worker, newsprep's shingle size and permutation count, one banding for all three),
timed --repeat times, with newsprep's speed-up over each. Quality: pairwise F1 on the same
synthetic docs, and on the devset with gold bodies, a crude cleaning of the raw text (lines
of >= 12 words) and the raw text, for every engine.

    .venv/bin/python benchmarks/bench_dedup.py --docs 20000

The optional engines' requirements clash with the project's pins (datatrove wants
xxhash<4), so install them in a venv of their own:

    python3 -m venv /work/venv-compare
    /work/venv-compare/bin/pip install -e . datasketch datatrove spacy tokenizers "xxhash<4" \\
        text-dedup
    /work/venv-compare/bin/python benchmarks/bench_dedup.py --docs 20000 --baseline-docs 5000
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
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from benchmarks import dedup_engines as E  # noqa: E402
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


def ours(docs: list[Document], batch: int = 5000) -> tuple[list[str], pa.Table]:
    """newsprep's dedup stage: signatures batch by batch, then one global `cluster`."""
    sigs = pa.concat_tables(
        [S.signature_table(docs[i : i + batch]) for i in range(0, len(docs), batch)]
    )
    return S.cluster(sigs).column("cluster_id").to_pylist(), sigs


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children: one core's work, whatever the load."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def timed(run: E.Runner) -> tuple[list[str], float, float]:
    """(cluster labels, CPU seconds, wall seconds) of one engine run."""
    c0, w0 = cpu_seconds(), time.perf_counter()
    labels = run()
    return labels, cpu_seconds() - c0, time.perf_counter() - w0


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


@dataclass
class Measured:
    """One engine's runs on the side-by-side documents."""

    name: str
    cpu: list[float]
    wall: list[float]
    scores: list[dict]

    def docs_per_s(self, n: int) -> float:
        return n / min(self.cpu)


def measure(name: str, make: Callable[[Path], E.Runner], truth: list[str], repeat: int) -> Measured:
    """`repeat` timed runs, each with a fresh scratch folder and untimed setup."""
    m = Measured(name, [], [], [])
    for _ in range(repeat):
        with E.workdir() as wd:
            labels, cpu, wall = timed(make(wd))
        m.cpu.append(cpu)
        m.wall.append(wall)
        m.scores.append(pairwise(truth, labels))
    return m


def _runs(xs: list[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in xs)


def _score(scores: list[dict], key: str) -> str:
    """The runs' value, or each run's when they differ (text-dedup draws new permutations)."""
    return " / ".join(dict.fromkeys(f"{s[key]:.4f}" for s in scores))


def side_by_side_table(rows: list[Measured], n: int) -> str:
    """Markdown table: time, docs/s, pairwise quality and newsprep's speed-up over each."""
    ours_rate = rows[0].docs_per_s(n)
    out = [
        "| engine | CPU s (runs) | wall s (runs) | docs/s | precision | recall | F1 "
        "| newsprep speed-up |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in rows:
        out.append(
            f"| {m.name} | {_runs(m.cpu)} | {_runs(m.wall)} | {m.docs_per_s(n):,.0f} "
            f"| {_score(m.scores, 'precision')} | {_score(m.scores, 'recall')} "
            f"| {_score(m.scores, 'f1')} | {ours_rate / m.docs_per_s(n):.1f}x |"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devset", type=Path, default=Path("/work/shared/devset"))
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument(
        "--baseline-docs",
        type=int,
        default=3000,
        help="the first N synthetic docs, timed with every engine",
    )
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per engine")
    ap.add_argument(
        "--shingle",
        type=int,
        default=S.DEFAULT_PARAMS.shingle_words,
        help="word n-gram size for the library engines (newsprep's by default)",
    )
    # datasketch's own optimum for threshold 0.5 at 128 permutations
    ap.add_argument("--bands", type=int, default=25)
    ap.add_argument("--rows", type=int, default=5)
    args = ap.parse_args()
    setup = E.LshSetup(args.shingle, S.DEFAULT_PARAMS.num_perm, args.bands, args.rows)
    engines = [e for e in E.ENGINES if e.problem() is None]
    for e in E.ENGINES:
        if (why := e.problem()) is not None:
            print(f"{e.name}: skipped, {why} (to compare: `{e.install}`, in another venv)")

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
    big = measure("newsprep", lambda wd: lambda: ours(docs)[0], truth, args.repeat)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_doc = ours(docs)[1].nbytes / len(docs)
    print(f"synthetic: {len(docs)} docs, mean body {mean_kb:.2f} KB")
    print(
        f"newsprep: {big.docs_per_s(len(docs)):,.0f} docs/s (signatures+cluster, CPU s per run "
        f"{_runs(big.cpu)}, wall s {_runs(big.wall)}), peak RSS {rss_mb:,.0f} MB, signature "
        f"table {per_doc:.0f} B/doc = {per_doc * 1e6 / 2**30:.2f} GiB per 1M docs"
    )
    print("newsprep  quality (synthetic):", big.scores[0])

    p = S.DEFAULT_PARAMS
    nb = min(args.baseline_docs, len(docs))
    sub, sub_truth = docs[:nb], truth[:nb]
    rows = [measure("newsprep", lambda wd: lambda: ours(sub)[0], sub_truth, args.repeat)]
    for e in engines:
        rows.append(measure(e.name, partial(e.make, sub, setup), sub_truth, args.repeat))
    print(
        f"\nside by side: the first {nb} synthetic docs, {args.repeat} runs per engine; "
        "docs/s from the run with least CPU time (this process and its children)"
    )
    print(
        f"- newsprep: word {p.shingle_words}-grams, {p.num_perm} one-permutation bins, LSH "
        f"{p.bands} bands x {p.rows} rows, candidates verified: J >= {p.jaccard_threshold} or "
        f"containment >= {p.containment_threshold} with J >= {p.jaccard_floor}"
    )
    for e in engines:
        print(f"- {e.name}: {setup.describe()}; {e.note}")
    print(side_by_side_table(rows, nb))

    gold_clusters = [str(g.get("cluster") or g["id"]) for g in gold]
    names = ["newsprep", *(e.name for e in engines)]
    print("\ndevset pairwise F1 (precision / recall), same parameters")
    print("| bodies | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for name, crude in (("gold bodies", False), ("crude bodies", True), ("raw text", "raw")):
        dv = devset_docs(gold, args.devset, crude)
        preds = [ours(dv)[0]]
        for e in engines:
            with E.workdir() as wd:
                preds.append(e.make(dv, setup, wd)())
        cells = [pairwise(gold_clusters, pr) for pr in preds]
        row = " | ".join(f"{c['f1']:.4f} ({c['precision']:.3f} / {c['recall']:.3f})" for c in cells)
        print(f"| {name} | {row} |")


if __name__ == "__main__":
    main()
