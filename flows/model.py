"""The in-batch data model: small dataclasses that the stage functions read and fill.

Stages pass a batch (a list of Document) from one to the next; each stage fills its own
fields and leaves the rest alone. Only `pipeline.py` and `publish.py` turn them into Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Every block gets exactly one of these roles. Text = the blocks whose role is in BODY_ROLES.
ROLES = (
    "title",
    "body",
    "heading",
    "byline",
    "dateline",
    "date",
    "credit",
    "caption",
    "boilerplate",
)
BODY_ROLES = frozenset({"body", "heading"})


@dataclass(slots=True)
class Block:
    """One piece of a document: a line, or part of a line when a prefix was split off.

    `line` is the 0-based line number in the repaired text. Blocks that share a line are
    parts of it in order; concatenating them gives the line back, so the repaired text can
    be rebuilt exactly (lines not covered by any block were blank).
    """

    position: int
    line: int
    text: str
    role: str = "body"
    reason: str | None = None  # the rule that decided a non-body role; None for body


@dataclass(slots=True)
class Reject:
    """An input that did not become an article, and why (never silently dropped)."""

    source_path: str
    reason: str
    detail: str = ""


@dataclass(slots=True)
class Document:
    """One article moving through the stages."""

    # read
    doc_id: str  # from the raw bytes: same bytes -> same id
    source_path: str  # relative to the input root, posix
    raw_text: str  # decoded text before repair
    raw_sha256: str = ""
    raw_size: int = 0
    encoding: str = "utf-8"
    source_url: str | None = None
    source_id: str | None = None  # the `id` of a JSONL record
    given_title: str | None = None  # the `title` of a JSONL record
    # repair
    text: str = ""  # repaired text; blocks are cut from it
    fixes: list[str] = field(default_factory=list)
    # segment + label
    blocks: list[Block] = field(default_factory=list)
    # metadata
    title: str | None = None
    outlet: str | None = None
    agencies: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    published_date: date | None = None
    date_text: str | None = None  # the date as printed
    date_precision: str | None = None  # "day", "month", "year"
    date_source: str | None = None  # "printed", "inferred_year", "propagated"
    dateline: str | None = None
    language: str | None = None
    language_mixed: bool = False
    propagated: list[str] = field(default_factory=list)  # fields copied from cluster mates
    # syndication
    cluster_id: str | None = None
    is_canonical: bool = True
    duplicate_of: str | None = None
    similarity: float | None = None  # to the canonical copy
    similarity_method: str | None = None

    @property
    def body(self) -> str:
        """The article text: body and heading blocks, one paragraph per line-group."""
        return body_text(self.blocks)


def body_text(blocks: list[Block]) -> str:
    """Join body/heading blocks into paragraphs separated by a blank line.

    Parts of one line (a dateline prefix split off a paragraph) stay one paragraph.
    """
    paragraphs: list[str] = []
    last_line = -1
    for b in blocks:
        if b.role not in BODY_ROLES:
            continue
        if b.line == last_line and paragraphs:
            paragraphs[-1] += b.text
        else:
            paragraphs.append(b.text)
        last_line = b.line
    return "\n\n".join(p.strip() for p in paragraphs if p.strip())


def rebuild_text(blocks: list[Block]) -> str:
    """The repaired text, rebuilt from its blocks (the losslessness contract)."""
    lines: dict[int, str] = {}
    for b in blocks:
        lines[b.line] = lines.get(b.line, "") + b.text
    if not lines:
        return ""
    return "\n".join(lines.get(i, "") for i in range(max(lines) + 1))
