"""The README's loading recipes run against a real published version."""

from __future__ import annotations

import os
import re
import shutil

from tests.conftest import ROOT


def _recipes() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Load the result", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_readme_recipes_load_the_seeds(seeds_run, tmp_path, capfd):
    shutil.copytree(seeds_run, tmp_path / "output")
    recipes = _recipes()
    assert len(recipes) >= 3
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for code in recipes:
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    out = capfd.readouterr().out
    assert "China Daily" in out  # pandas shows the outlet column
    assert "is_canonical" in out  # polars shows its columns


def test_duckdb_counts_the_seed_articles(seeds_run):
    import duckdb

    latest = (seeds_run / "LATEST").read_text().strip()
    n = duckdb.sql(f"SELECT count(*) FROM '{seeds_run}/{latest}/articles.parquet'").fetchall()[0][0]
    assert n == 5


def test_dataset_card_recipes_read_one_and_every_version(tmp_path, capfd):
    from flows.runner import run

    out = tmp_path / "output"
    run([ROOT / "seeds"], out)
    run([ROOT / "seeds"], out)
    card = (out / "version=v0002" / "README.md").read_text(encoding="utf-8")
    recipes = re.findall(r"```python\n(.*?)```", card, flags=re.S)
    assert len(recipes) == 4  # DuckDB, pandas, polars, pyarrow
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for code in recipes:
            exec(compile(code, "README.md", "exec"), {})
            printed = capfd.readouterr().out
            assert "v0001" in printed and "v0002" in printed, code
    finally:
        os.chdir(cwd)
