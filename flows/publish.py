"""Storage: stage a version's files, then publish them atomically.

Layout of an output root:

    output/
      LATEST                 one line: the newest complete version folder, e.g. version=v0003
      version=v0003/         immutable once renamed into place
        articles.parquet  blocks.parquet  rejects.parquet  clusters.parquet
        manifest.json  README.md
      .staging/<run>/        work of a run in progress (never visible as a version)
      .lock                  held by the run that is writing

A run writes everything under `.staging/`, fsyncs, renames the folder to its version name
(atomic on one filesystem) and only then replaces LATEST (write temp + os.replace). A run
killed at any point leaves earlier versions and LATEST untouched; its staging folder is
swept by the next run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flows import __version__
from flows.schema import SCHEMA_VERSION, arrow_schema

VERSION_RE = re.compile(r"^version=v(\d{4,})$")
TABLE_FILES = ("articles", "blocks", "rejects", "clusters", "inputs")


class OutputLocked(RuntimeError):
    """Another run holds the output root."""


def list_versions(root: Path) -> list[str]:
    """Published version folder names, oldest first."""
    if not root.is_dir():
        return []
    names = [p.name for p in root.iterdir() if p.is_dir() and VERSION_RE.match(p.name)]
    return sorted(names, key=lambda n: int(VERSION_RE.match(n).group(1)))


def latest_version(root: Path) -> str | None:
    """The version LATEST names, or None before the first run."""
    latest = root / "LATEST"
    if not latest.is_file():
        return None
    name = latest.read_text(encoding="utf-8").strip()
    return name if (root / name).is_dir() else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def output_lock(root: Path):
    """Hold the output root for one run; a second concurrent run is refused, not queued."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise OutputLocked(
                f"another newsprep run (pid {holder}) is writing to {root}; try again later"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


class TableWriter:
    """Appends Arrow batches to one Parquet file as row groups (zstd), as the run goes.

    zstd level 3, zstd's own default: one process encodes every row of a run, and level 6
    took twice as long (2.1 s against 1.0 s for 20,000 articles and their blocks) for
    files 10% smaller."""

    def __init__(self, path: Path, table: str, row_group_rows: int = 64_000):
        self.path = path
        self.schema = arrow_schema(table)
        self.rows = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._row_group_rows = row_group_rows
        self._writer = pq.ParquetWriter(
            path, self.schema, compression="zstd", compression_level=3,
            write_statistics=True, use_dictionary=True,
        )

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._pending.append(table.select(self.schema.names).cast(self.schema))
        self._pending_rows += table.num_rows
        if self._pending_rows >= self._row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            # no combine_chunks: the writer cuts row groups across chunks itself, and a
            # 64k-row group of articles is a few hundred MB that need not be copied
            merged = pa.concat_tables(self._pending)
            self._writer.write_table(merged, row_group_size=self._row_group_rows)
            self.rows += merged.num_rows
        self._pending, self._pending_rows = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()


@dataclass
class Staging:
    """A version being written. Nothing here is visible until `publish` renames it."""

    root: Path
    path: Path
    writers: dict[str, TableWriter] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path) -> Staging:
        staging_root = root / ".staging"
        if staging_root.exists():  # leftovers of killed runs; we hold the lock
            shutil.rmtree(staging_root, ignore_errors=True)
        for tmp in root.glob(".LATEST.*.tmp"):
            tmp.unlink(missing_ok=True)
        path = staging_root / uuid.uuid4().hex
        (path / "work").mkdir(parents=True)
        stg = cls(root=root, path=path)
        for name in TABLE_FILES:
            stg.writers[name] = TableWriter(path / f"{name}.parquet", name)
        return stg

    @property
    def state(self) -> Path:
        """Internal files a later run reuses (signatures); published with the version."""
        path = self.path / "state"
        path.mkdir(exist_ok=True)
        return path

    @property
    def work(self) -> Path:
        """Scratch space for intermediate batches; removed before publishing."""
        return self.path / "work"

    def write(self, table_name: str, table: pa.Table) -> None:
        self.writers[table_name].write(table)

    def abort(self) -> None:
        for w in self.writers.values():
            with suppress(Exception):  # already broken; the folder goes anyway
                w.close()
        shutil.rmtree(self.path, ignore_errors=True)
        with suppress(OSError):  # only when no other staging folder is left in it
            self.path.parent.rmdir()

    def publish(self, manifest: dict, card: str) -> str:
        """Close files, checksum, rename into place, then point LATEST at it."""
        for w in self.writers.values():
            w.close()
        shutil.rmtree(self.work, ignore_errors=True)
        versions = list_versions(self.root)
        number = int(VERSION_RE.match(versions[-1]).group(1)) + 1 if versions else 1
        name = f"version=v{number:04d}"
        manifest = {**manifest, "version": name, "parent_version": latest_version(self.root)}
        manifest["files"] = {
            p.relative_to(self.path).as_posix(): {
                "rows": pq.read_metadata(p).num_rows,
                "bytes": p.stat().st_size,
                "sha256": file_sha256(p),
            }
            for p in sorted(self.path.rglob("*.parquet"))
        }
        (self.path / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n",
            encoding="utf-8",
        )
        (self.path / "README.md").write_text(card.replace("{version}", name), encoding="utf-8")
        for p in self.path.rglob("*"):
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
            else:
                _fsync_dir(p)
        _fsync_dir(self.path)
        target = self.root / name
        os.rename(self.path, target)
        _fsync_dir(self.root)
        write_latest(self.root, name)
        shutil.rmtree(self.root / ".staging", ignore_errors=True)
        return name


def write_latest(root: Path, name: str) -> None:
    """Atomically replace LATEST: readers see the old or the new line, never a partial one."""
    tmp = root / f".LATEST.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / "LATEST")
    _fsync_dir(root)


def input_digest(items: Iterable[tuple[str, str]]) -> str:
    """One sha256 over every (source_path, raw sha256) pair, in order: same inputs, same digest."""
    h = hashlib.sha256()
    for path, sha in items:
        h.update(path.encode("utf-8", "surrogateescape") + b"\0" + sha.encode() + b"\n")
    return h.hexdigest()


def base_manifest(parameters: dict) -> dict:
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
        "newsprep_version": __version__,
        "parameters": parameters,
    }
