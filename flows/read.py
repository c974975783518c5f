"""Inputs -> decoded Documents or Rejects. Nothing vanishes: every input becomes one of them.

`iter_sources` walks folders/files/JSONL cheaply (stat only, JSONL streamed line by line) and
`read_batch` reads bytes, decodes them and drops exact byte duplicates.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

from flows.model import Document, Reject

DEFAULT_MAX_BYTES = 20_000_000  # a news article is ~3-30 KB; 20 MB is surely not one

REJECT_REASONS: dict[str, str] = {
    "empty": "the file or record has no text (zero bytes or whitespace only)",
    "binary": "the bytes are not text (NUL bytes outside UTF-16/32, or many control bytes)",
    "undecodable": "no text encoding decodes the bytes (broken BOM-marked file, or unknown)",
    "too_large": "bigger than the size limit (file, or one JSONL line); never read into memory",
    "unreadable": "the file or folder could not be opened or read (missing, permissions, I/O)",
    "symlink_outside_input": "a symbolic link pointing outside the input folder (not followed)",
    "bad_jsonl_record": "a JSONL line that is not a JSON object with a string `text`",
    "exact_duplicate": "the same bytes as an earlier input in this run (detail names it)",
}

TEXT_SUFFIX = ".txt"
JSONL_SUFFIX = ".jsonl"
# A text may hold a few stray NUL/control bytes (repair strips them); above this share of
# the bytes, it is binary.
MAX_CONTROL_SHARE = 0.05
# UTF-16 without BOM: in Latin-script text nearly every other byte is NUL.
MIN_UTF16_NUL_SHARE = 0.3

# When charset-normalizer finds that several code pages decode to the same text, report
# the commonest one (cp1252 over cp1250 for Western text, gb18030 over its subsets...).
PREFERRED_ENCODINGS = ("utf_8", "cp1252", "latin_1", "gb18030", "shift_jis", "euc_kr", "big5")

_BOMS: tuple[tuple[bytes, str], ...] = (  # UTF-32 first: its LE BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# bytes.translate(None, this) keeps only control bytes (C0 except \t \n \v \f \r, DEL).
_ALL_BUT_CONTROL_BYTES = bytes(
    b for b in range(256) if not (b < 0x20 or b == 0x7F) or b in b"\t\n\x0b\x0c\r"
)


@dataclass(frozen=True, slots=True)
class Source:
    """One input to read: a text file (`path`) or a parsed JSONL record (`text`)."""

    source_path: str  # relative to the input root, posix; "x.jsonl#L3" for a record
    path: Path | None = None
    text: str | None = None
    source_id: str | None = None
    url: str | None = None
    title: str | None = None


class SeenContent:
    """Remembers the raw bytes already accepted in a run (by sha256) and where they came from.

    Pass the same object to every `read_batch` call of a run to drop exact duplicates across
    batches. Keeps ~150 bytes per accepted document (digest + path).
    """

    def __init__(self) -> None:
        self._first: dict[bytes, str] = {}

    def first_source(self, digest: bytes) -> str | None:
        return self._first.get(digest)

    def add(self, digest: bytes, source_path: str) -> None:
        self._first.setdefault(digest, source_path)

    def __len__(self) -> int:
        return len(self._first)


class DecodeRejected(Exception):
    """Raised by `decode_bytes` with a REJECT_REASONS key and a human detail."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------------------------------
# iter_sources
# ---------------------------------------------------------------------------------------


def iter_sources(
    inputs: Sequence[Path], max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Source | Reject]:
    """Stream every input as a Source (to read) or a Reject (with its reason), in a stable order.

    Folders: every *.txt and *.jsonl at any depth, depth-first with entries sorted by name.
    A file given directly is read whatever its suffix (.jsonl as JSONL, else as text).
    `max_bytes` limits each text file and each JSONL line; JSONL files themselves may be huge.
    """
    for given in inputs:
        given = Path(given)
        if given.is_dir():
            root = given.resolve()
            yield from _walk_folder(root, root, ancestors=(root,), max_bytes=max_bytes)
        elif given.is_symlink() and not given.resolve().is_relative_to(given.parent.resolve()):
            yield Reject(given.name, "symlink_outside_input", f"points to {given.resolve()}")
        else:
            yield from _file_sources(given, given.name, max_bytes)


def _walk_folder(
    folder: Path, root: Path, ancestors: tuple[Path, ...], max_bytes: int
) -> Iterator[Source | Reject]:
    """Depth-first walk; symlinks are followed only when they stay inside `root`."""
    rel_folder = folder.relative_to(root).as_posix() if folder != root else ""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as error:
        yield Reject(rel_folder or ".", "unreadable", _os_error_detail(error))
        return
    for entry in entries:
        rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
        path = Path(entry.path)
        suffix = Path(entry.name).suffix.lower()
        wanted_file = suffix in (TEXT_SUFFIX, JSONL_SUFFIX)
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows links
        except OSError as error:
            yield Reject(rel, "unreadable", _os_error_detail(error))
            continue
        if is_link:
            if not is_dir and not wanted_file:
                continue
            target = path.resolve()
            if not target.is_relative_to(root):
                yield Reject(rel, "symlink_outside_input", f"points to {target}")
                continue
            if is_dir and target in ancestors:
                continue  # a loop back to a folder being walked: its files are listed already
        if is_dir:
            yield from _walk_folder(path, root, (*ancestors, path.resolve()), max_bytes)
        elif wanted_file:
            yield from _file_sources(path, rel, max_bytes)


def _file_sources(path: Path, rel: str, max_bytes: int) -> Iterator[Source | Reject]:
    """One text file -> one Source/Reject; one JSONL file -> one per line."""
    try:
        size = path.stat().st_size
    except OSError as error:
        yield Reject(rel, "unreadable", _os_error_detail(error))
        return
    if path.suffix.lower() == JSONL_SUFFIX:
        yield from _jsonl_sources(path, rel, max_bytes)
    elif size > max_bytes:
        yield Reject(rel, "too_large", f"{size} bytes > limit {max_bytes}")
    else:
        yield Source(rel, path=path)


def _jsonl_sources(path: Path, rel: str, max_bytes: int) -> Iterator[Source | Reject]:
    """Stream a JSONL file line by line; no line longer than `max_bytes` is held in memory."""
    try:
        with path.open("rb") as lines:
            number = 0
            while line := lines.readline(max_bytes + 1):
                number += 1
                where = f"{rel}#L{number}"
                if len(line) > max_bytes and not line.endswith(b"\n"):
                    size = len(line) + _skip_rest_of_line(lines)
                    yield Reject(where, "too_large", f"{size} bytes > limit {max_bytes}")
                    continue
                if line.strip():
                    yield _jsonl_record(line, where)
    except OSError as error:
        yield Reject(rel, "unreadable", _os_error_detail(error))


def _skip_rest_of_line(lines: BinaryIO) -> int:
    """Read past the end of an overlong line in 1 MB steps; return its remaining length."""
    skipped = 0
    while chunk := lines.readline(1 << 20):
        if chunk.endswith(b"\n"):
            return skipped + len(chunk) - 1
        skipped += len(chunk)
    return skipped


def _jsonl_record(line: bytes, where: str) -> Source | Reject:
    """Parse one JSONL line: `text` (string) required; `id`, `url`, `title` optional."""
    try:
        record = json.loads(line)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        return Reject(where, "bad_jsonl_record", f"not JSON: {error}")
    if not isinstance(record, dict):
        return Reject(where, "bad_jsonl_record", f"not an object: {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str):
        return Reject(where, "bad_jsonl_record", "no string `text` field")
    fields: dict[str, str | None] = {}
    for key in ("id", "url", "title"):
        value = record.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and key == "id":
            value = str(value)
        if value is not None and not isinstance(value, str):
            return Reject(where, "bad_jsonl_record", f"`{key}` is not a string")
        fields[key] = value
    return Source(
        where, text=text, source_id=fields["id"], url=fields["url"], title=fields["title"]
    )


def _os_error_detail(error: OSError) -> str:
    return error.strerror or type(error).__name__


# ---------------------------------------------------------------------------------------
# read_batch
# ---------------------------------------------------------------------------------------


def read_batch(
    sources: Sequence[Source], seen: SeenContent | None = None
) -> tuple[list[Document], list[Reject]]:
    """Read and decode a batch. Exact byte duplicates of earlier inputs become Rejects.

    Pass one `SeenContent` for the whole run to catch duplicates across batches; without
    it, duplicates are only caught inside this batch.
    """
    seen = SeenContent() if seen is None else seen
    docs: list[Document] = []
    rejects: list[Reject] = []
    for source in sources:
        result = read_source(source, seen)
        (docs if isinstance(result, Document) else rejects).append(result)
    return docs, rejects


def read_source(source: Source, seen: SeenContent) -> Document | Reject:
    """One Source -> a Document, or a Reject saying why not."""
    if source.text is not None:
        raw = source.text.encode("utf-8", "surrogatepass")  # lone surrogates: repair fixes
    else:
        assert source.path is not None
        try:
            raw = source.path.read_bytes()
        except OSError as error:
            return Reject(source.source_path, "unreadable", _os_error_detail(error))
    digest = hashlib.sha256(raw)
    kept = seen.first_source(digest.digest())
    if kept is not None:
        return Reject(source.source_path, "exact_duplicate", f"same bytes as {kept}")
    try:
        if source.text is not None:
            text, encoding = check_text(source.text, raw), "utf-8"
        else:
            text, encoding = decode_bytes(raw)
    except DecodeRejected as rejected:
        return Reject(source.source_path, rejected.reason, rejected.detail)
    seen.add(digest.digest(), source.source_path)
    hex_digest = digest.hexdigest()
    return Document(
        doc_id=hex_digest[:24],
        source_path=source.source_path,
        raw_text=text,
        raw_sha256=hex_digest,
        raw_size=len(raw),
        encoding=encoding,
        source_url=source.url,
        source_id=source.source_id,
        given_title=source.title,
    )


def check_text(text: str, raw: bytes) -> str:
    """Apply the empty/binary rules to an already-decoded text (a JSONL record)."""
    if not text.strip():
        raise DecodeRejected("empty", f"{len(raw)} bytes, whitespace only")
    _reject_if_control_heavy(raw)
    return text


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode raw bytes to text; return (text, normalised encoding name) or raise DecodeRejected.

    Order: BOM, then NUL-pattern UTF-16 without BOM, then strict UTF-8, then
    charset-normalizer for legacy code pages (cp1252, latin-1, GB18030, Shift-JIS, ...).
    charset-normalizer rather than chardet: it is maintained, MIT-licensed, pure Python with
    optional speedups, already a dependency of the stack, and picks the encoding by how
    readable the decoded text is rather than by byte statistics alone, which is more robust on
    short texts and on cp1252 vs latin-1 confusions.
    """
    if not raw:
        raise DecodeRejected("empty", "0 bytes")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return _finish(_strict_decode(raw, encoding), encoding, raw)
    if b"\x00" in raw:
        utf16 = _utf16_without_bom(raw)
        if utf16 is not None:
            return _finish(_strict_decode(raw, utf16), utf16, raw)
    _reject_if_control_heavy(raw)
    try:
        return _finish(raw.decode("utf-8"), "utf-8", raw)
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw:  # legacy code pages never contain NUL: this is binary
        raise DecodeRejected("binary", "NUL bytes and not UTF-8/16/32")
    best = from_bytes(raw).best()
    if best is None:
        raise DecodeRejected("undecodable", "no encoding fits (charset-normalizer)")
    # Several code pages often give the very same text; name the one most likely used.
    same_text = best.could_be_from_charset
    encoding = next((e for e in PREFERRED_ENCODINGS if e in same_text), best.encoding)
    return _finish(str(best), encoding, raw)


def _finish(text: str, encoding: str, raw: bytes) -> tuple[str, str]:
    if not text.strip():
        raise DecodeRejected("empty", f"{len(raw)} bytes, whitespace only")
    return text, codecs.lookup(encoding).name


def _strict_decode(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise DecodeRejected("undecodable", f"bad {encoding}: {error.reason}") from None


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the NULs fall on one byte parity, as in Latin-script text."""
    if len(raw) % 2:
        return None
    half = len(raw) // 2
    nul_even = half - len(raw[0::2].replace(b"\x00", b""))
    nul_odd = half - len(raw[1::2].replace(b"\x00", b""))
    if nul_odd >= MIN_UTF16_NUL_SHARE * half and nul_even <= 0.02 * half:
        return "utf-16-le"
    if nul_even >= MIN_UTF16_NUL_SHARE * half and nul_odd <= 0.02 * half:
        return "utf-16-be"
    return None


def _reject_if_control_heavy(raw: bytes) -> None:
    """Binary if more than MAX_CONTROL_SHARE of the bytes are C0 controls (NUL included)."""
    controls = len(raw.translate(None, _ALL_BUT_CONTROL_BYTES))
    if controls > MAX_CONTROL_SHARE * len(raw):
        raise DecodeRejected("binary", f"{controls} of {len(raw)} bytes are control bytes")
