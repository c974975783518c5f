"""Per-stage speed and memory of the pipeline on a generated corpus, then a whole run.

    python benchmarks/bench_pipeline.py [--n 5000] [--source DIR] [--prefect]

Prints a table and a JSON line: per stage docs/s, MB/s (of raw input) and the process's
peak RSS so far; then the end-to-end run (pipeline.run without Prefect) and, with
--prefect, the same run as a Prefect flow, so Prefect's overhead is the difference.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.make_corpus import DEFAULT_SOURCE, generate, read_sources, write_jsonl
from flows import blocks, language, metadata, read, repair, syndication


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def forget_caches() -> None:
    """Empty every functools cache of the stage modules (per-line results, rule tables,
    the language model), as in a fresh process: whole runs are timed from cold."""
    from flows import header

    for module in (blocks, header, language, metadata, read, repair, syndication):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--kb", type=float, default=3.0)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=1, help="also time a run on N processes")
    ap.add_argument("--prefect", action="store_true", help="also time the Prefect flow")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="newsprep-bench-"))
    corpus = tmp / "corpus.jsonl"
    write_jsonl(corpus, generate(read_sources(args.source), args.n, args.kb, seed=7))
    mb = corpus.stat().st_size / 1e6

    timings: dict[str, float] = {}

    def timed(name, fn, *a):
        t = time.perf_counter()
        out = fn(*a)
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t
        return out

    items = list(read.iter_sources([corpus]))
    srcs = [s for s in items if not isinstance(s, read.Reject)]
    docs = []
    for i in range(0, len(srcs), args.batch_size):
        d, _ = timed("read", read.read_batch, srcs[i:i + args.batch_size])
        timed("repair", repair.repair_batch, d)
        timed("segment", blocks.segment_batch, d)
        docs.append(d)
    stats = blocks.LineStats()
    t = time.perf_counter()
    for batch in docs:
        for d in batch:
            stats.add(d)
    timings["line_stats"] = time.perf_counter() - t
    rss = {"after_clean_prep": peak_rss_mb()}
    params = syndication.SyndicationParams()
    sigs = []
    for batch in docs:
        timed("label", blocks.label_batch, batch, stats)
        timed("metadata", metadata.extract_batch, batch)
        timed("language", language.detect_batch, batch)
        sigs.append(timed("signatures", syndication.signature_table, batch, params))
    import pyarrow as pa

    timed("cluster", syndication.cluster, pa.concat_tables(sigs), params)
    rss["after_stages"] = peak_rss_mb()
    n = sum(len(b) for b in docs)

    from flows.runner import RunConfig, run

    forget_caches()  # the stages above saw these documents: a run starts cold
    t = time.perf_counter()
    run([corpus], tmp / "out", RunConfig(batch_size=args.batch_size))
    timings["end_to_end"] = time.perf_counter() - t
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        t = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            run([corpus], tmp / "out-workers",
                RunConfig(batch_size=args.batch_size, workers=args.workers), executor=pool)
        timings[f"end_to_end_{args.workers}_workers"] = time.perf_counter() - t
    if args.prefect:
        from flows.cli import prepare_prefect_env

        prepare_prefect_env()
        from flows.pipeline import run_flow

        t = time.perf_counter()
        run_flow([str(corpus)], str(tmp / "out-prefect"), args.batch_size, args.workers)
        timings["end_to_end_prefect"] = time.perf_counter() - t

    groups = {
        "clean (read+repair+segment+stats+label)": ["read", "repair", "segment", "line_stats",
                                                    "label"],
        "metadata+language": ["metadata", "language"],
        "dedup (signatures+cluster)": ["signatures", "cluster"],
    }
    rows = [(k, v) for k, v in timings.items()]
    rows += [(g, sum(timings[s] for s in parts)) for g, parts in groups.items()]
    print(f"{n} docs, {mb:.1f} MB raw, {args.kb} KB/doc target, batch {args.batch_size}")
    print(f"{'stage':<42} {'seconds':>8} {'docs/s':>10} {'MB/s':>8}")
    for name, sec in rows:
        print(f"{name:<42} {sec:>8.2f} {n / sec:>10.0f} {mb / sec:>8.1f}")
    print(f"peak RSS MB: {rss} final {peak_rss_mb():.0f}")
    print(json.dumps({"docs": n, "mb": round(mb, 2), "seconds": timings,
                      "docs_per_s": {k: round(n / v) for k, v in rows},
                      "peak_rss_mb": round(peak_rss_mb())}))


if __name__ == "__main__":
    main()
