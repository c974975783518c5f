"""Does mojibake cost body quality? Garble clean devset documents the way the devset's
mojibake documents were garbled (UTF-8 bytes read as cp1252 or latin-1, the whole document
or a few lines), run the pipeline on the clean and the garbled copies, and compare body
P/R/F1 on the same documents with the official scorer's functions.

    python benchmarks/eval_mojibake.py --devset ../shared/devset --n 120
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from flows.publish import latest_version
from flows.runner import run


def garble(text: str, mode: str, rng: random.Random) -> str:
    codec = "cp1252" if mode.startswith("cp1252") else "latin-1"

    def bad(s: str) -> str:
        return s.encode("utf-8").decode(codec, errors="replace")

    if mode.endswith("doc"):
        return bad(text)
    lines = text.split("\n")
    for i in rng.sample(range(len(lines)), k=min(len(lines), 4)):
        lines[i] = bad(lines[i])
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=Path("../shared/devset"))
    ap.add_argument("--n", type=int, default=120)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("score", args.devset.parent / "eval" / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)

    rng = random.Random(5)
    gold = [json.loads(x) for x in
            (args.devset / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    clean = [g for g in gold if g.get("body") and not g.get("mojibake")
             and any(ord(c) > 127 for c in (args.devset / g["source_path"]).read_text("utf-8"))]
    picked = rng.sample(clean, k=min(args.n, len(clean)))
    tmp = Path(tempfile.mkdtemp(prefix="newsprep-mojibake-"))
    modes = ["cp1252-doc", "latin1-doc", "cp1252-lines", "latin1-lines"]
    for name in ("clean", "garbled"):
        (tmp / name).mkdir()
    for i, g in enumerate(picked):
        text = (args.devset / g["source_path"]).read_text("utf-8")
        (tmp / "clean" / f"{g['id']}.txt").write_text(text, encoding="utf-8")
        (tmp / "garbled" / f"{g['id']}.txt").write_text(garble(text, modes[i % 4], rng),
                                                         encoding="utf-8")
    rows = {}
    for name in ("clean", "garbled"):
        out = tmp / f"out-{name}"
        run([tmp / name], out)
        arts = pq.read_table(out / latest_version(out) / "articles.parquet").to_pylist()
        by_id = {Path(a["source_path"]).stem: a["text"] for a in arts}
        rows[name] = [{"tpfpfn": score.tp_fp_fn(score.norm_tokens(g["body"]),
                                                 score.norm_tokens(by_id.get(g["id"], "")))}
                      for g in picked]
    result = {k: score.body_summary(v) for k, v in rows.items()}
    result["f1_gap"] = round(result["clean"]["f1"] - result["garbled"]["f1"], 4)
    print(f"{len(picked)} documents with non-ASCII text, garbled 4 ways ({', '.join(modes)})")
    for k in ("clean", "garbled"):
        s = result[k]
        print(f"  {k:<8} P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}")
    print(f"  F1 gap (clean - garbled): {result['f1_gap']:.4f}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
