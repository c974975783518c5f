"""Amplify a folder of real scraped articles into a benchmark corpus of N documents.

    python benchmarks/make_corpus.py --source ../shared/devset/docs --n 10000 --out /tmp/c.jsonl

Each output document is a real article cut to about --kb kilobytes on line boundaries, with
realistic extras at fixed rates: syndicated copies of an earlier document (wrapper lines
changed, last paragraphs trimmed, a word changed), mojibake lines, and a share counter so no
two documents are byte-identical. An original document keeps its page's furniture (short
lines) but its prose lines (8+ words) are drawn from the prose of every source page of the
same kind (mostly-ASCII or not), with a quarter of their words replaced by words of the
pool: as in a real crawl, a site's furniture repeats across documents while sentences do
not and stories differ (the devset has only a few hundred pages; amplified as they are,
every N/450-th document would be a near copy of another, and with lighter changes two
draws of one pool line would still share most of their word 5-grams, which at a million
documents makes unrelated stories look alike). Deterministic for a given --seed. Writes
JSONL (`id`, `text`) so one file streams any N.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import deque
from pathlib import Path

# The devset when it sits beside the repo (a developer's checkout), else the seeds.
DEFAULT_SOURCE = (Path("../shared/devset/docs") if Path("../shared/devset/docs").is_dir()
                  else Path("seeds"))
SHARE_BARS = ["Print Mail Large Medium Small", "Share this article", "Facebook Twitter Email",
              "Read more", "No comments : Post a Comment"]


def _cut(lines: list[str], max_bytes: int) -> list[str]:
    out, size = [], 0
    for line in lines:
        size += len(line.encode()) + 1
        if size > max_bytes and out:
            break
        out.append(line)
    return out


_PROSE_WORDS = 8


def _is_prose(line: str) -> bool:
    return len(line.split()) >= _PROSE_WORDS


def _kind(text: str) -> bool:
    """Which prose pool a page draws from: mostly-ASCII pages or the rest (other scripts)."""
    return sum(not ch.isascii() for ch in text) < 0.02 * max(1, len(text))


def _new_prose(pool: list[str], vocab: list[str], rng: random.Random) -> str:
    """A prose line of the pool, made new: a quarter of its words replaced by pool words
    (a word 5-gram survives with odds of one in four)."""
    words = rng.choice(pool).split()
    for _ in range(max(2, len(words) // 4)):
        words[rng.randrange(len(words))] = rng.choice(vocab)
    return " ".join(words)


def _mojibake(line: str) -> str:
    return line.encode("utf-8").decode("cp1252", errors="replace")


def generate(sources: list[str], n: int, kb: float, seed: int, synd_rate: float = 0.15,
             mojibake_rate: float = 0.05):
    """Yield (id, text) pairs."""
    rng = random.Random(seed)
    pools: dict[bool, list[str]] = {}
    for text in sources:
        pools.setdefault(_kind(text), []).extend(x for x in text.splitlines() if _is_prose(x))
    vocabs = {kind: [w for line in lines for w in line.split()] for kind, lines in pools.items()}
    made: deque[list[str]] = deque(maxlen=5000)  # copies come from recent documents
    for i in range(n):
        if made and rng.random() < synd_rate:
            base = list(rng.choice(made))
            cut = max(3, len(base) - rng.randint(0, 3))
            base = base[:cut]
            j = rng.randrange(len(base))
            words = base[j].split()
            if len(words) > 3:
                words[rng.randrange(len(words))] = rng.choice(["said", "told", "added"])
                base[j] = " ".join(words)
            lines = [rng.choice(SHARE_BARS), *base]
        else:
            text = rng.choice(sources)
            kind = _kind(text)
            src = [x for x in text.splitlines() if x.strip()]
            start = rng.randrange(max(1, len(src) // 3)) if len(src) > 40 else 0
            lines = [x if not _is_prose(x) else _new_prose(pools[kind], vocabs[kind], rng)
                     for x in _cut(src[start:], int(kb * 1024))]
            made.append(lines)
        if rng.random() < mojibake_rate and lines:
            k = rng.randrange(len(lines))
            lines[k] = _mojibake(lines[k])
        lines.append(f"{rng.randint(1, 999)}.{rng.randint(0, 99)}K shares · #{i}")
        yield f"bench-{i:08d}", "\n".join(lines) + "\n"


def read_sources(folder: Path) -> list[str]:
    """The texts to amplify: every .txt below `folder`."""
    return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*.txt"))]


def write_jsonl(path: Path, docs) -> None:
    """(id, text) pairs as JSONL records, the format `newsprep run` streams."""
    with open(path, "w", encoding="utf-8") as f:
        for doc_id, text in docs:
            f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--kb", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    write_jsonl(args.out, generate(read_sources(args.source), args.n, args.kb, args.seed))
    print(f"wrote {args.n} documents to {args.out}")


if __name__ == "__main__":
    main()
