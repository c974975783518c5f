"""read.py on real seeds and crafted bad inputs: every input ends as one Document or Reject."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from flows.model import Document, Reject
from flows.read import (
    DEFAULT_MAX_BYTES,
    REJECT_REASONS,
    SeenContent,
    Source,
    iter_sources,
    read_batch,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

LATIN1_NEWS = (
    "Le président français a déclaré mercredi à Paris que la réunion des ministres "
    "européens était « très importante » pour l'économie de la zone euro.\n"
)
CP1252_NEWS = (
    "The minister said “we will not back down” and called the vote a “turning point” "
    "for the region’s economy — a claim critics rejected.\n"
)
CHINESE_NEWS = "北京时间周二，国家统计局发布数据显示，今年前三季度国内生产总值同比增长百分之五。\n"
JAPANESE_NEWS = "東京証券取引所で火曜日、日経平均株価は前日比で大きく値上がりし、取引を終えた。\n"


def read_all(inputs: list[Path], **kwargs) -> tuple[list[Document], list[Reject]]:
    """iter_sources + read_batch, the way the pipeline chains them."""
    sources: list[Source] = []
    rejects: list[Reject] = []
    for item in iter_sources(inputs, **kwargs):
        (rejects if isinstance(item, Reject) else sources).append(item)
    docs, read_rejects = read_batch(sources)
    return docs, rejects + read_rejects


def read_one(tmp_path: Path, name: str, data: bytes) -> Document | Reject:
    path = tmp_path / name
    path.write_bytes(data)
    docs, rejects = read_all([path])
    assert len(docs) + len(rejects) == 1
    return (docs or rejects)[0]


def test_seeds_read_as_utf8_with_ids_from_bytes():
    docs, rejects = read_all([SEEDS])
    assert rejects == []
    assert [d.source_path for d in docs] == sorted(p.name for p in SEEDS.glob("*.txt"))
    for doc in docs:
        raw = (SEEDS / doc.source_path).read_bytes()
        assert doc.raw_sha256 == hashlib.sha256(raw).hexdigest()
        assert doc.doc_id == doc.raw_sha256[:24]
        assert doc.raw_size == len(raw)
        assert doc.encoding == "utf-8"
        assert doc.raw_text == raw.decode("utf-8")


@pytest.mark.parametrize(
    ("text", "encoding", "expected_names"),
    [
        (LATIN1_NEWS * 3, "latin-1", {"iso8859-1", "cp1252"}),
        (CP1252_NEWS * 3, "cp1252", {"cp1252"}),
        (CHINESE_NEWS * 3, "gb18030", {"gb18030"}),
        (JAPANESE_NEWS * 3, "shift_jis", {"shift_jis"}),
    ],
)
def test_legacy_encodings_are_decoded(tmp_path, text, encoding, expected_names):
    doc = read_one(tmp_path, "legacy.txt", text.encode(encoding))
    assert isinstance(doc, Document), doc
    assert doc.raw_text == text
    assert doc.encoding in expected_names


def test_boms_and_utf16_without_bom(tmp_path):
    text = "Moscow talks ended on Tuesday with a pledge to meet again soon.\n" * 3
    cases = {
        "utf16_bom.txt": (text.encode("utf-16"), "utf-16"),
        "utf16le_nobom.txt": (text.encode("utf-16-le"), "utf-16-le"),
        "utf16be_nobom.txt": (text.encode("utf-16-be"), "utf-16-be"),
        "utf8_bom.txt": (text.encode("utf-8-sig"), "utf-8-sig"),
        "utf32_bom.txt": (text.encode("utf-32"), "utf-32"),
    }
    for name, (data, encoding) in cases.items():
        doc = read_one(tmp_path, name, data)
        assert isinstance(doc, Document), (name, doc)
        assert doc.raw_text == text, name  # BOM not kept in the text
        assert doc.encoding == encoding, name


def test_empty_whitespace_binary_and_undecodable(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(4000)
    assert read_one(tmp_path, "empty.txt", b"").reason == "empty"
    assert read_one(tmp_path, "blank.txt", b"  \n\t\r\n \n").reason == "empty"
    assert read_one(tmp_path, "blank16.txt", " \n\n".encode("utf-16")).reason == "empty"
    assert read_one(tmp_path, "image.txt", png).reason == "binary"
    # Text-looking bytes but mostly control characters: binary even without NULs.
    assert read_one(tmp_path, "ctl.txt", b"ab\x01\x02\x03\x04cd\x05\x06" * 50).reason == "binary"
    broken_bom = read_one(tmp_path, "bad_bom.txt", b"\xef\xbb\xbfok \xff\xfe\xfd broken")
    assert broken_bom.reason == "undecodable"


def test_stray_nuls_in_text_are_kept_but_mostly_nul_is_binary(tmp_path):
    text = LATIN1_NEWS * 10
    with_nuls = text[:100] + "\x00" + text[100:300] + "\x00\x00" + text[300:]
    doc = read_one(tmp_path, "nuls.txt", with_nuls.encode("utf-8"))
    assert isinstance(doc, Document)
    assert doc.raw_text == with_nuls  # repair strips them; read keeps the raw text
    mostly_nul = read_one(tmp_path, "nul_heavy.txt", b"text\x00\x00\x00\x00more" * 100)
    assert mostly_nul.reason == "binary"


def test_too_large_is_rejected_from_stat_without_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    with big.open("wb") as f:  # sparse 50 MB file: costs no disk and no time
        f.truncate(50_000_000)
    assert DEFAULT_MAX_BYTES < 50_000_000

    def no_reading(*args, **kwargs):
        raise AssertionError("a too-large file was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    monkeypatch.setattr(Path, "open", no_reading)
    (item,) = list(iter_sources([tmp_path]))
    assert isinstance(item, Reject)
    assert (item.source_path, item.reason) == ("big.txt", "too_large")
    assert "50000000" in item.detail
    (small_limit,) = list(iter_sources([big], max_bytes=10))
    assert small_limit.reason == "too_large"


def test_symlinks_inside_followed_outside_rejected(tmp_path):
    root, outside = tmp_path / "in", tmp_path / "outside"
    (root / "real").mkdir(parents=True)
    outside.mkdir()
    (root / "real" / "a.txt").write_text(CP1252_NEWS)
    (outside / "secret.txt").write_text("outside the input folder\n")
    (outside / "dir").mkdir()
    (outside / "dir" / "x.txt").write_text("also outside\n")
    (root / "inside_link.txt").symlink_to(root / "real" / "a.txt")
    (root / "out_link.txt").symlink_to(outside / "secret.txt")
    (root / "out_dir").symlink_to(outside / "dir")
    (root / "loop").symlink_to(root)  # a loop must not hang the walk
    docs, rejects = read_all([root])
    reasons = {r.source_path: r.reason for r in rejects}
    assert reasons == {
        "out_dir": "symlink_outside_input",
        "out_link.txt": "symlink_outside_input",
        "real/a.txt": "exact_duplicate",  # same bytes as the link, read first
    }
    assert [d.source_path for d in docs] == ["inside_link.txt"]
    assert all("outside" not in d.raw_text for d in docs)
    (direct,) = list(iter_sources([root / "out_link.txt"]))
    assert direct.reason == "symlink_outside_input"


def test_jsonl_good_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"text": "First story text.", "id": "a1", "url": "https://x.org/1"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "no-text"}),
        "",  # a blank line is not a record
        json.dumps({"text": "Second story.", "id": 7, "title": "Headline"}),
        json.dumps({"text": "   "}),
        json.dumps({"text": "Bad url type.", "url": 5}),
        json.dumps({"text": "Lone surrogate \ud83d here."}),
        json.dumps({"text": "First story text."}),
    ]
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, rejects = read_all([tmp_path])
    by_path = {d.source_path: d for d in docs}
    assert set(by_path) == {"sub/feed.jsonl#L1", "sub/feed.jsonl#L6", "sub/feed.jsonl#L9"}
    first = by_path["sub/feed.jsonl#L1"]
    assert (first.source_id, first.source_url, first.raw_text) == (
        "a1",
        "https://x.org/1",
        "First story text.",
    )
    assert first.doc_id == hashlib.sha256(b"First story text.").hexdigest()[:24]
    second = by_path["sub/feed.jsonl#L6"]
    assert (second.source_id, second.given_title) == ("7", "Headline")
    assert {r.source_path: r.reason for r in rejects} == {
        "sub/feed.jsonl#L2": "bad_jsonl_record",
        "sub/feed.jsonl#L3": "bad_jsonl_record",
        "sub/feed.jsonl#L4": "bad_jsonl_record",
        "sub/feed.jsonl#L7": "empty",
        "sub/feed.jsonl#L8": "bad_jsonl_record",
        "sub/feed.jsonl#L10": "exact_duplicate",
    }
    assert all(r.detail for r in rejects if r.reason == "bad_jsonl_record")


def test_jsonl_overlong_line_is_skipped_not_loaded(tmp_path):
    path = tmp_path / "feed.jsonl"
    long_record = json.dumps({"text": "x" * 5000})
    path.write_text(long_record + "\n" + json.dumps({"text": "short one"}) + "\n")
    items = list(iter_sources([path], max_bytes=1000))
    assert [(i.source_path, getattr(i, "reason", None)) for i in items] == [
        ("feed.jsonl#L1", "too_large"),
        ("feed.jsonl#L2", None),
    ]
    assert str(len(long_record)) in items[0].detail


def test_duplicates_across_batches_with_shared_seen(tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(CP1252_NEWS)
    sources = list(iter_sources([tmp_path]))
    seen = SeenContent()
    docs1, rejects1 = read_batch(sources[:1], seen)
    assert rejects1 == []
    docs2, rejects2 = read_batch(sources[1:], seen)
    assert [d.source_path for d in docs1] == ["a.txt"] and docs2 == []
    assert [(r.source_path, r.reason, r.detail) for r in rejects2] == [
        ("b.txt", "exact_duplicate", "same bytes as a.txt"),
        ("c.txt", "exact_duplicate", "same bytes as a.txt"),
    ]


def test_unreadable_and_missing(tmp_path):
    (missing,) = iter_sources([tmp_path / "nope.txt"])
    assert missing.reason == "unreadable"
    vanished = Source("gone.txt", path=tmp_path / "gone.txt")
    docs, rejects = read_batch([vanished])
    assert docs == [] and rejects[0].reason == "unreadable"


def test_mixed_folder_every_file_ends_exactly_once(tmp_path):
    root, outside = tmp_path / "in", tmp_path / "outside"
    (root / "deep" / "er").mkdir(parents=True)
    outside.mkdir()
    (outside / "o.txt").write_text("outside\n")
    seed = (SEEDS / "002_ce8b74349a22e2a1.txt").read_bytes()
    files = {
        "a_seed.txt": seed,
        "b_copy.txt": seed,
        "empty.txt": b"",
        "blank.txt": b" \n \n",
        "binary.txt": b"\x89PNG\r\n\x1a\n" + os.urandom(3000),
        "latin1.txt": (LATIN1_NEWS * 3).encode("latin-1"),
        "cp1252.txt": (CP1252_NEWS * 3).encode("cp1252"),
        "utf16.txt": (CP1252_NEWS * 2).encode("utf-16"),
        "deep/utf16le.txt": (LATIN1_NEWS * 2).encode("utf-16-le"),
        "deep/er/gb.txt": (CHINESE_NEWS * 3).encode("gb18030"),
        "deep/sjis.txt": (JAPANESE_NEWS * 3).encode("shift_jis"),
        "deep/nuls.txt": ("A line\x00 with a NUL.\n" + LATIN1_NEWS * 4).encode(),
        "ignored.png": b"\x89PNG",
        "notes.md": b"# not an input",
    }
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    (root / "feed.jsonl").write_text('{"text": "From a feed."}\n[1]\n')
    (root / "link_out.txt").symlink_to(outside / "o.txt")
    (root / "deep" / "link_in.txt").symlink_to(root / "latin1.txt")
    docs, rejects = read_all([root])
    paths = [d.source_path for d in docs] + [r.source_path for r in rejects]
    expected = {rel for rel in files if rel.endswith(".txt")}
    expected |= {"feed.jsonl#L1", "feed.jsonl#L2", "link_out.txt", "deep/link_in.txt"}
    assert len(paths) == len(set(paths)) and set(paths) == expected
    reasons = {r.source_path: r.reason for r in rejects}
    assert reasons == {
        "b_copy.txt": "exact_duplicate",
        "empty.txt": "empty",
        "blank.txt": "empty",
        "binary.txt": "binary",
        "feed.jsonl#L2": "bad_jsonl_record",
        "link_out.txt": "symlink_outside_input",
        "latin1.txt": "exact_duplicate",  # deep/link_in.txt points to it and comes first
    }
    assert set(reasons.values()) <= set(REJECT_REASONS)
