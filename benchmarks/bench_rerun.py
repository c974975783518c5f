"""First run vs re-run over unchanged input, and vs a re-run with 10% new documents.

    python benchmarks/bench_rerun.py [--n 5000] [--source ../shared/devset/docs]

Runs the pipeline (without Prefect: its start-up is the same for both) into one output
root and prints wall times and their ratios as a table and JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.make_corpus import DEFAULT_SOURCE, generate, read_sources, write_jsonl
from flows.runner import run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="newsprep-rerun-"))
    docs = list(generate(read_sources(args.source), args.n + args.n // 10, kb=3.0, seed=11))
    corpus = tmp / "in"
    corpus.mkdir()
    write_jsonl(corpus / "part-000.jsonl", docs[: args.n])
    out = tmp / "out"
    times = {}
    for name in ("first", "unchanged"):
        t = time.perf_counter()
        run([corpus], out)
        times[name] = time.perf_counter() - t
    write_jsonl(corpus / "part-001.jsonl", docs[args.n:])
    t = time.perf_counter()
    run([corpus], out)
    times["plus_10pct_new"] = time.perf_counter() - t
    ratios = {k: round(v / times["first"], 3) for k, v in times.items()}
    print(f"{args.n} documents (~3 KB), output {out}")
    for k, v in times.items():
        print(f"  {k:<16} {v:8.2f} s   {ratios[k]:.1%} of the first run")
    print(json.dumps({"docs": args.n, "seconds": times, "ratio": ratios}))


if __name__ == "__main__":
    main()
