"""Interleaved A/B of block labelling (and line stats): a reference flows/blocks.py against
the working tree's, on the generated corpus bench_pipeline.py uses, with identical output.

    git show HEAD:flows/blocks.py > /tmp/blocks_ref.py
    python benchmarks/bench_label_ab.py --reference /tmp/blocks_ref.py [--n 5000] [--rounds 5]

Each round times, in CPU seconds (time.process_time: other jobs on the machine slow both
sides alike), line stats over all documents and then label_batch per batch as
bench_pipeline.py calls them (no pass-1 hashes), once per side in alternating order, with
every line cache of both modules cleared first. Every round checks that both sides give
the same blocks (text, role, reason) and the same line stats, then prints the median
reference/new ratio per stage.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.make_corpus import DEFAULT_SOURCE, generate, read_sources, write_jsonl
from flows import blocks, read, repair
from flows.model import Document


def load_reference(path: Path) -> ModuleType:
    """The reference blocks module, reading its rule files from the working tree's rules/
    (its __file__ is set to the tree's blocks.py) so both sides apply the same rules."""
    module = ModuleType("flows.blocks_reference")
    module.__file__ = blocks.__file__
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


def clear_caches(module: ModuleType) -> None:
    """Forget every line cache of the module, so each round labels from cold."""
    for value in vars(module).values():
        if hasattr(value, "cache_clear") and getattr(value, "__module__", "") == module.__name__:
            value.cache_clear()


def corpus(n: int, kb: float) -> list[Document]:
    """Read, repaired and segmented documents of bench_pipeline.py's generated corpus."""
    path = Path(tempfile.mkdtemp(prefix="newsprep-bench-label-")) / "corpus.jsonl"
    write_jsonl(path, generate(read_sources(DEFAULT_SOURCE), n, kb, seed=7))
    sources = [s for s in read.iter_sources([path]) if not isinstance(s, read.Reject)]
    docs, _ = read.read_batch(sources)
    repair.repair_batch(docs)
    blocks.segment_batch(docs)
    return docs


def one_round(module: ModuleType, frozen: bytes, batch_size: int) -> tuple[float, float, list]:
    """(line stats seconds, label seconds, [blocks, stats arrays]) for one side."""
    clear_caches(module)
    docs = pickle.loads(frozen)
    t = time.process_time()
    stats = module.LineStats()
    for doc in docs:
        stats.add(doc)
    t_stats = time.process_time() - t
    t = time.process_time()
    for i in range(0, len(docs), batch_size):
        module.label_batch(docs[i:i + batch_size], stats)
    t_label = time.process_time() - t
    out = [[(b.text, b.role, b.reason) for b in d.blocks] for d in docs]
    return t_stats, t_label, [out, stats.arrays()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", type=Path, required=True)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--kb", type=float, default=3.0)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    sides = {"reference": load_reference(args.reference), "new": blocks}
    frozen = pickle.dumps(corpus(args.n, args.kb))
    times: dict[str, dict[str, list[float]]] = {s: {"line_stats": [], "label": []} for s in sides}
    for r in range(args.rounds):
        results = {}
        for side in (list(sides) if r % 2 == 0 else list(reversed(sides))):
            t_stats, t_label, results[side] = one_round(sides[side], frozen, args.batch_size)
            times[side]["line_stats"].append(t_stats)
            times[side]["label"].append(t_label)
        (ref_blocks, (ref_keys, ref_counts)), (new_blocks, (new_keys, new_counts)) = (
            results["reference"], results["new"])
        assert ref_blocks == new_blocks, "labels differ"
        assert np.array_equal(ref_keys, new_keys) and np.array_equal(ref_counts, new_counts)
    for stage in ("line_stats", "label"):
        ref, new = times["reference"][stage], times["new"][stage]
        ratio = statistics.median(a / b for a, b in zip(ref, new, strict=True))
        print(f"{stage:<10} reference {statistics.median(ref):6.2f}s  new "
              f"{statistics.median(new):6.2f}s  median ratio {ratio:.3f}  ({args.n} docs, "
              f"{args.rounds} rounds, identical blocks and stats)")


if __name__ == "__main__":
    main()
