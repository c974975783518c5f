"""Whole runs at growing sizes: is the cost near-linear, and does memory stay bounded?

    python benchmarks/bench_scale.py --sizes 10000 100000 1000000 [--workers 2] [--engine cli]

For each size N, generates (once, cached in --corpus-dir) a JSONL corpus of N articles
amplified from the devset (`make_corpus.py`), then runs newsprep over it in a child process
and samples the memory of that process and all its children (the workers) four times a
second. Prints, per size: wall seconds, docs/s, MB/s, peak RSS and PSS of the whole process
tree, how many cores it kept busy on average (its CPU seconds over wall seconds), and docs/s
of each pass (from the version's manifest); then the cost ratio of each
size to the previous one per document (1.0 = linear). A table, then one JSON line.

Engines: `cli` runs `newsprep run --workers N` (the Prefect flow, what users run); `plain`
runs `flows.runner.run` on a process pool without Prefect (what the flow adds is the
difference).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.make_corpus import DEFAULT_SOURCE, generate, read_sources, write_jsonl  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
PLAIN = """
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from flows.runner import InlineExecutor, RunConfig, run
corpus, out, workers, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
config = RunConfig(batch_size=batch, workers=workers)
if workers > 1:
    with ProcessPoolExecutor(workers) as pool:
        run([Path(corpus)], Path(out), config, executor=pool)
else:
    run([Path(corpus)], Path(out), config, executor=InlineExecutor())
"""


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc: no dependency needed)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes, summed over the process and its descendants. RSS counts a page
    shared by forked workers once in each; PSS divides it among them (what the tree
    really takes from the machine)."""
    rss = pss = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/statm") as f:
                rss += int(f.read().split()[1]) * PAGE
            with open(f"/proc/{p}/smaps_rollup") as f:
                pss += next(int(line.split()[1]) * 1024 for line in f
                            if line.startswith("Pss:"))
        except (OSError, IndexError, ValueError, StopIteration):
            continue
    return rss, pss


@dataclass
class Measured:
    wall: float  # seconds
    cpu: float  # CPU seconds of the process and all its descendants
    peak_rss: int  # bytes, summed over the tree at the sample with the largest sum
    peak_pss: int


def run_measured(cmd: list[str], cwd: Path) -> Measured:
    """Run `cmd` and measure it with all its descendants (the worker processes)."""
    start = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = _tree_memory(proc.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    # the workers were waited for by the run, so their time is in its children's usage
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return Measured(wall, cpu, peak, peak_pss)


def corpus_for(n: int, folder: Path, source: Path, kb: float) -> Path:
    """The generated corpus of n documents (made once, then reused)."""
    path = folder / f"corpus-{n}-{kb:g}kb.jsonl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        write_jsonl(tmp, generate(read_sources(source), n, kb, seed=7))
        tmp.rename(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--engine", choices=["cli", "plain"], default="cli")
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--kb", type=float, default=3.0)
    ap.add_argument("--corpus-dir", type=Path, default=Path("/tmp/newsprep-scale"))
    args = ap.parse_args()

    rows = []
    for n in args.sizes:
        corpus = corpus_for(n, args.corpus_dir, args.source, args.kb)
        out = args.corpus_dir / f"out-{n}"
        shutil.rmtree(out, ignore_errors=True)
        if args.engine == "cli":
            cmd = [str(Path(sys.executable).with_name("newsprep")), "run", str(corpus),
                   "--output", str(out), "--workers", str(args.workers),
                   "--batch-size", str(args.batch_size)]
        else:
            cmd = [sys.executable, "-c", PLAIN, str(corpus), str(out), str(args.workers),
                   str(args.batch_size)]
        m = run_measured(cmd, ROOT)
        wall = m.wall
        latest = (out / "LATEST").read_text().strip()
        manifest = json.loads((out / latest / "manifest.json").read_text())
        mb = corpus.stat().st_size / 1e6
        rows.append({
            "docs": n, "mb": round(mb, 1), "seconds": round(wall, 1),
            "docs_per_s": round(n / wall), "mb_per_s": round(mb / wall, 2),
            "peak_rss_mb": round(m.peak_rss / 1e6),
            "peak_pss_mb": round(m.peak_pss / 1e6),
            "cpu_seconds": round(m.cpu, 1),
            "cores_busy": round(m.cpu / wall, 2),
            "pass_docs_per_s": {k: round(n / v) if v else None
                                for k, v in manifest.get("seconds", {}).items()},
            "main_peak_rss_mb_by_pass": manifest.get("peak_rss_mb", {}),
            "articles": manifest["counts"]["articles"],
            "duplicates": manifest["counts"]["duplicates"],
        })
        shutil.rmtree(out, ignore_errors=True)
    for prev, row in itertools.pairwise(rows):
        row["cost_per_doc_vs_previous"] = round(
            (row["seconds"] / row["docs"]) / (prev["seconds"] / prev["docs"]), 2)

    print(f"engine {args.engine}, workers {args.workers}, batch {args.batch_size}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'docs':>9} {'MB':>7} {'seconds':>8} {'docs/s':>7} {'MB/s':>6} {'peak RSS MB':>11}"
          f" {'peak PSS MB':>11} {'cores busy':>10} {'cost/doc vs prev':>16}")
    for r in rows:
        print(f"{r['docs']:>9} {r['mb']:>7} {r['seconds']:>8} {r['docs_per_s']:>7} "
              f"{r['mb_per_s']:>6} {r['peak_rss_mb']:>11} {r['peak_pss_mb']:>11} "
              f"{r['cores_busy']:>10} {r.get('cost_per_doc_vs_previous', ''):>16}")
    for r in rows:
        passes = ", ".join(f"{k} {v}" for k, v in r["pass_docs_per_s"].items())
        print(f"{r['docs']:>9} docs/s by pass: {passes}")
        peaks = ", ".join(f"{k} {v}" for k, v in r["main_peak_rss_mb_by_pass"].items())
        print(f"{r['docs']:>9} main process peak RSS MB after each pass: {peaks}")
    print(json.dumps({"engine": args.engine, "workers": args.workers, "rows": rows}))


if __name__ == "__main__":
    main()
