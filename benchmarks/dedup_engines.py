"""Other MinHash-LSH dedup engines, run on the same documents as flows/syndication.py.

Why a module of its own: bench_dedup.py times newsprep against each of these on one corpus,
and each engine needs its own adapter (input format, parameters, reading its clusters back).
Each engine is optional: its package is imported only inside its adapter, and `missing`
says which are not installed and how to get them, so the benchmark runs with any subset.

Every adapter returns a zero-argument runner, so the setup it needs (texts pulled out of
the Documents, a dataset written to disk) stays outside the timed region: that can only
make the other engines look faster, never newsprep.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.model import Document

Runner = Callable[[], list[str]]


@dataclass(frozen=True, slots=True)
class LshSetup:
    """One parameter set for all library engines, so their speed and F1 compare like for like.

    None of them verifies a candidate pair: a shared band merges two documents (union-find),
    so bands x rows sets the similarity threshold, at about (1/bands)^(1/rows).
    """

    shingle_words: int
    num_perm: int
    bands: int
    rows: int

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError("bands * rows must not exceed num_perm")

    @property
    def threshold(self) -> float:
        """Jaccard at which a pair becomes a candidate with probability about 1/2."""
        return (1 / self.bands) ** (1 / self.rows)

    def describe(self) -> str:
        """The parameters as the benchmark prints them next to its table."""
        return (
            f"word {self.shingle_words}-grams, {self.num_perm} permutations, LSH {self.bands} "
            f"bands x {self.rows} rows = {self.bands * self.rows} of them (threshold "
            f"~{self.threshold:.2f}), any shared band = duplicate"
        )


def _union_labels(n: int, pairs: list[tuple[int, int]]) -> list[str]:
    """Cluster label per document (its smallest member's index) from duplicate pairs."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [str(find(i)) for i in range(n)]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Swallow an engine's progress bars and logs; show them if it fails."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            yield
    except BaseException:
        print(buf.getvalue())
        raise


def datasketch_runner(docs: list[Document], setup: LshSetup, workdir: Path) -> Runner:
    """datasketch MinHashLSH: MinHash per doc on lower-cased whitespace words, insert, query."""
    from datasketch import MinHash, MinHashLSH

    texts = [d.body for d in docs]
    k = setup.shingle_words

    def run() -> list[str]:
        lsh = MinHashLSH(num_perm=setup.num_perm, params=(setup.bands, setup.rows))
        mhs = []
        for i, text in enumerate(texts):
            w = text.lower().split()
            if not w:  # an empty text has no shingles: a singleton, as in the other engines
                continue
            m = MinHash(num_perm=setup.num_perm)
            m.update_batch([" ".join(w[j : j + k]).encode() for j in range(max(1, len(w) - k + 1))])
            lsh.insert(i, m)
            mhs.append((i, m))
        return _union_labels(len(texts), [(i, j) for i, m in mhs for j in lsh.query(m)])

    return run


def datatrove_runner(docs: list[Document], setup: LshSetup, workdir: Path) -> Runner:
    """datatrove's MinHash stages 1-3 (signatures, buckets, clusters) on LocalPipelineExecutor.

    One worker each (stage 2 must have one task per bucket; they run one after the other),
    default text normalisation and spaCy word tokenizer, 64-bit hashes. Documents are fed
    from memory; the cluster ids come from stage 3's `save_cluster_id` file.
    """
    from datatrove.data import Document as DtDocument
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )

    texts = [DtDocument(text=d.body, id=str(i)) for i, d in enumerate(docs)]
    config = MinhashConfig(
        n_grams=setup.shingle_words, num_buckets=setup.bands, hashes_per_bucket=setup.rows
    )

    def feed(data: object, rank: int = 0, world_size: int = 1) -> Iterator[DtDocument]:
        yield from texts

    def stage(steps: list, tasks: int, name: str) -> None:
        LocalPipelineExecutor(
            steps, tasks=tasks, workers=1, logging_dir=str(workdir / "logs" / name)
        ).run()

    def run() -> list[str]:
        sigs, dups, clusters = (str(workdir / p) for p in ("sigs", "dups", "clusters"))
        with _quiet():
            stage([feed, MinhashDedupSignature(output_folder=sigs, config=config)], 1, "sigs")
            stage([MinhashDedupBuckets(sigs, dups, config=config)], setup.bands, "buckets")
            stage(
                [MinhashDedupCluster(dups, clusters, config=config, save_cluster_id=True)],
                1,
                "clusters",
            )
        labels = [f"d{i}" for i in range(len(texts))]
        path = Path(clusters) / "000000.clusters"  # (doc index, cluster id) per duplicate
        if path.exists():
            for doc, cid in np.fromfile(path, dtype="<u4").reshape(-1, 2).tolist():
                labels[doc] = f"c{cid}"
        return labels

    return run


def textdedup_runner(docs: list[Document], setup: LshSetup, workdir: Path) -> Runner:
    """text-dedup's MinHash command (`python -m text_dedup.minhash`) in this process.

    One process (`--num_proc 1`), xxh3 shingle hashes (its faster option; sha1 is the
    default). Input is a Hugging Face dataset saved to disk beforehand; the run includes its
    own load, filter and save steps. Clusters are read from its module-level union-find.
    """
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import datasets
    from text_dedup import minhash

    datasets.disable_progress_bars()
    src = workdir / "input"
    datasets.Dataset.from_dict({"text": [d.body for d in docs]}).save_to_disk(str(src))
    args = [
        "--path", str(src), "--local", "--output", str(workdir / "output"), "--column", "text",
        "--num_proc", "1", "--ngram", str(setup.shingle_words),
        "--num_perm", str(setup.num_perm), "--b", str(setup.bands), "--r", str(setup.rows),
        "--hash_func", "xxh3",
    ]  # fmt: skip

    def run() -> list[str]:
        with _quiet():
            minhash.main.main(args=args, standalone_mode=False)
        return [str(minhash.uf.find(i)) for i in range(len(docs))]

    return run


def _datatrove_problem() -> str | None:
    """datatrove hashes shingles as str, which xxhash>=4 refuses (its extra pins xxhash<4)."""
    import xxhash

    if int(xxhash.VERSION.split(".")[0]) >= 4:
        return f"its shingle hash needs xxhash<4 (found {xxhash.VERSION})"
    return None


@dataclass(frozen=True, slots=True)
class Engine:
    """An optional engine: the modules it needs, how to install them, its adapter."""

    name: str
    modules: tuple[str, ...]
    install: str
    note: str
    make: Callable[[list[Document], LshSetup, Path], Runner]
    check: Callable[[], str | None] = lambda: None

    def problem(self) -> str | None:
        """Why it can't run here (missing modules, an incompatible version), or None."""
        absent = [m for m in self.modules if importlib.util.find_spec(m) is None]
        return f"{', '.join(absent)} not installed" if absent else self.check()


ENGINES = (
    Engine(
        "datasketch", ("datasketch",), "pip install datasketch",
        "MinHashLSH insert + query per doc; lower-cased whitespace words",
        datasketch_runner,
    ),
    Engine(
        "datatrove", ("datatrove", "spacy", "tokenizers"),
        'pip install datatrove spacy tokenizers "xxhash<4"',
        "MinhashDedupSignature/Buckets/Cluster, LocalPipelineExecutor workers=1 (stage 2: "
        "one task per band, in turn); simplify_text + spaCy words, xxh64; files on local disk",
        datatrove_runner,
        _datatrove_problem,
    ),
    Engine(
        "text-dedup", ("text_dedup",), "pip install text-dedup",
        "text_dedup.minhash CLI in-process, --num_proc 1, xxh3; \\W-split words; its HF "
        "dataset load, filter and save are in the time",
        textdedup_runner,
    ),
)  # fmt: skip


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A scratch folder per engine run (datatrove skips tasks it finds already done)."""
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as d:
        yield Path(d)
