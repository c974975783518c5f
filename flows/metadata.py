"""Article metadata from role-labelled blocks: title, outlet, agencies, authors, date, dateline.

Per-document extraction (`extract_batch`) only trusts header evidence (title, byline, date,
dateline and credit blocks, and short non-body lines next to them), never the story's prose
or photo captions, so a date or a name in the story is not taken for the article's own.
`propagate` runs once over the whole run after syndication: wire agencies and dates flow
between copies of one story, and year-less dates ("May 13") get a year from the run.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

import pyarrow as pa

from flows import header
from flows.header import ParsedDate
from flows.model import BODY_ROLES, Block, Document

HEADER_WINDOW = 12  # non-body blocks this close to the title/body start count as header
FOOTER_WINDOW = 8  # blocks after the last body block that may carry a date or credit
FAR_HEADER = 80  # how far above the body a bare date line is still the article's date

# ------------------------------------------------------------------------------------------
# Outlet registry (rules/outlets.toml)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Registry:
    """The outlet registry: lookups from printed forms to canonical names."""

    by_alias: dict[str, str]
    by_alias_folded: dict[str, str]
    by_domain: dict[str, str]
    phrases: tuple[tuple[str, str], ...]  # (folded phrase, canonical)
    dateline_marks: tuple[tuple[str, str], ...]
    repost_phrases: tuple[str, ...]
    not_outlet: frozenset[str]
    parent_words: frozenset[str]
    # first word of a printed form -> (form, its other words without edge punctuation)
    by_first_word: dict[str, tuple[tuple[str, frozenset[str]], ...]]


_EDGE_PUNCT = "\"'“”‘’()[]{}«».,:;!?|©®™"


@lru_cache(maxsize=1)
def registry() -> Registry:
    """Load rules/outlets.toml once."""
    with open(header.RULES_DIR / "outlets.toml", "rb") as fh:
        data = tomllib.load(fh)
    by_alias: dict[str, str] = {}
    by_domain: dict[str, str] = {}
    phrases: list[tuple[str, str]] = []
    marks: list[tuple[str, str]] = []
    for o in data.get("outlet", []):
        name = o["name"]
        for a in [name, *o.get("aliases", [])]:
            by_alias[a] = name
        for d in o.get("domains", []):
            by_domain[d.lower()] = name
        phrases += [(_fold(" ".join(p.split())), name) for p in o.get("phrases", [])]
        marks += [(m, name) for m in o.get("dateline_marks", [])]
    folded = {_fold(k): v for k, v in by_alias.items() if len(k) > 3}
    repost = tuple(_fold(p) for p in data.get("repost", {}).get("phrases", []))
    not_outlet = frozenset(w.lower() for w in data.get("not_outlet", {}).get("words", []))
    parents = frozenset(w.lower() for w in data.get("not_outlet", {}).get("parent_words", []))
    first: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
    for a in by_alias:
        head, *rest = a.split() or [""]
        if len(a) >= 3 and head:
            rest_words = frozenset(w.strip(_EDGE_PUNCT) for w in rest)
            first[head] = (*first.get(head, ()), (a, rest_words))
    return Registry(by_alias, folded, by_domain, tuple(phrases), tuple(marks), repost,
                    not_outlet, parents, first)


def _fold(s: str) -> str:
    """Case- and apostrophe-insensitive form for phrase matching (cheap on whole pages)."""
    return s.lower().replace("’", "'")


def canonical_outlet(name: str) -> str:
    """The registry's canonical name for a printed outlet name (else the name as printed)."""
    reg = registry()
    return reg.by_alias.get(name) or reg.by_alias_folded.get(_fold(name)) or name


def registered_in(text: str) -> Counter[str]:
    """Registered outlets printed in `text` (whole words, case as registered) and how
    often. The page's words are looked up by first word: one pass, not one per outlet."""
    reg = registry()
    found: Counter[str] = Counter()
    words = {t.strip(_EDGE_PUNCT) for t in set(text.split())}
    for first in words.intersection(reg.by_first_word):
        for form, rest in reg.by_first_word[first]:
            if not rest <= words:
                continue  # a word of the name is missing: no need to search the page
            n = _whole_count(text, form)
            if n:
                found[reg.by_alias[form]] += n
    return found


def outlet_from_url(url: str | None) -> str | None:
    """The registered outlet of a URL's host (subdomains included); None if unknown."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    parts = host.split(".")
    for i in range(len(parts) - 1):
        name = registry().by_domain.get(".".join(parts[i:]))
        if name:
            return name
    return None


# ------------------------------------------------------------------------------------------
# Evidence patterns
# ------------------------------------------------------------------------------------------

_YEARS = r"(?:(?:19|20)\d\d(?:\s*[-–—]\s*(?:(?:19|20)\d\d|present))?)"
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:©|\(c\))?\s*(?:" + _YEARS + r"\s*[.,:]?\s*)?[-–—]?\s*"
    r"(?P<name>[\w&@][^|·•∙\n]{1,70}?)\s*(?=" + _YEARS + r"\b|[|·•∙,]|\.(?:\s|$)|"
    r"\ball rights\b|\balle rechte\b|\btous droits\b|\btodos los derechos\b|"
    r"\bpowered by\b|\bbuilt by\b|\bprivacy\b|\bterms\b|$)",
    re.I,
)
_RIGHTS = re.compile(r"^(?P<name>[A-Z][^|·•∙©\n]{1,60}?)[.,]?\s+all rights reserved",
                     re.I | re.M)
_LEGAL = re.compile(
    r"[\s,]+(?:inc|llc|ltd|limited|gmbh|corp|corporation|co|plc|pty|s\.?a|ag|l\.?l\.?c)\.?$",
    re.I,
)
_NOT_A_NAME = re.compile(
    r"(?i)^(?:all\b|the author|author|by\b|this\b|\d|copyright|the copyright|your\b|our\b)"
)
_TITLE_SEPS = (" | ", " || ", " :: ", " — ", " – ", " - ", " · ", " • ")


def _clean_name(name: str) -> str | None:
    n = name.strip(" .,:;-–—©")
    n = _LEGAL.sub("", n).strip(" .,")
    if not n or len(n) < 2 or len(n.split()) > 6 or _NOT_A_NAME.match(n):
        return None
    if not any(c.isalpha() for c in n):
        return None
    return n


_RIGHTS_HINTS = ("©", "opyright", "OPYRIGHT", "(c)", "(C)", "ights reserved", "IGHTS RESERVED")


def copyright_names(text: str) -> list[str]:
    """Rights holders of copyright lines: "© 2025 Example Media. All rights reserved".

    A cheap case-sensitive scan finds the few candidate lines; the full pattern runs on
    those only (it is slow over a whole page)."""
    out: list[str] = []
    starts: set[int] = set()
    for hint in _RIGHTS_HINTS:
        at = text.find(hint)
        while at >= 0:
            starts.add(text.rfind("\n", 0, at) + 1)
            at = text.find(hint, at + 1)
    for start in sorted(starts):
        end = text.find("\n", start)
        line = text[start : end if end >= 0 else len(text)]
        names = [n for m in _COPYRIGHT.finditer(line) if (n := _clean_name(m.group("name")))]
        if not names:
            names = [n for m in _RIGHTS.finditer(line) if (n := _clean_name(m.group("name")))]
        out += names
    return out


def split_title_suffix(title: str) -> tuple[str, str | None, str]:
    """("Putin talks | Example News") -> ("Putin talks", "Example News", " | ")."""
    for sep in _TITLE_SEPS:
        if sep in title:
            head, _, tail = title.rpartition(sep)
            tail = tail.strip()
            if head.strip() and tail and len(tail.split()) <= 6 and len(tail) < len(head):
                return head.strip(), tail, sep
    return title, None, ""


# ------------------------------------------------------------------------------------------
# Headline choice: the labeller's title is one guess; the header's own evidence decides
# ------------------------------------------------------------------------------------------

_TW = {"dist": 0.1, "prior": 0.5, "meta": 2.0, "dup": 1.0}
TITLE_REACH = 30  # lines above the first prose paragraph searched for the headline
TITLE_BODY_CHARS = 3000  # the headline's words recur early in the article
_WORDS = re.compile(r"\w+")
_LIST_ITEM = re.compile(r"\d{1,3}[.)]\s")
_CRUMB = re.compile(r"\s(?:❯|›|»|>|/)\s")
_NOT_TITLE_ROLES = frozenset({"caption", "date", "dateline", "credit", "byline"})


def _first_prose(blocks: list[Block]) -> int:
    """The first body paragraph that reads as prose: where the article starts."""
    for i, b in enumerate(blocks):
        s = b.text.strip()
        if b.role == "body" and len(s.split()) >= 10 and s[-1] in ".!?\"”’»…'":
            return i
    return -1


@lru_cache(maxsize=1 << 14)
def _content_words(text: str) -> frozenset[str]:
    """Casefolded words of 4+ letters (cached: menu lines recur on every page of a site)."""
    return frozenset(w for w in _WORDS.findall(text.casefold()) if len(w) >= 4)


@lru_cache(maxsize=1 << 14)
def _is_meta_line(text: str) -> bool:
    """A byline, a date line or a "Name • date" line: what follows a headline."""
    s = text.strip()
    if len(s) > 140:
        return False
    return bool(header.is_byline(s) or header.parse_date_line(s) or header.parse_meta_line(s)
                or s.lower() in ("by", "written by", "posted by", "published by"))


def _title_candidate(text: str) -> bool:
    """Headline-shaped: a short line of words, not a sentence fragment, list item, crumb
    trail, date or byline."""
    s = text.strip()
    n = len(s.split())
    return (2 <= n <= 30 and 8 <= len(s) <= 250 and s[-1] not in ",;:" and s[0] not in "©|#"
            and not _LIST_ITEM.match(s) and not _CRUMB.search(s) and not _is_meta_line(s)
            and any(c.isalpha() for c in s))


def _headline_shape(text: str) -> float:
    """Headlines have several words, mostly capitalised in English, and no full stop."""
    s = text.strip()
    n = len(s.split())
    score = 1.0 if 4 <= n <= 20 else (-1.5 if n <= 2 else 0.0)
    if 6 <= n <= 20:
        score += 0.5
    if s[-1] == "." and not s.endswith(".."):
        score -= 1.5
    if s.isupper():
        score -= 1.0
    words = [w for w in s.split() if w[:1].isalpha()]
    if words and sum(w[0].isupper() for w in words) / len(words) >= 0.6:
        score += 1.0
    return score


def _reprinted(text: str, page: str) -> bool:
    """A headline recurs as a page title with a site suffix ("Headline | Site") or a share
    line (a menu item recurs as itself, which proves nothing)."""
    s = text.strip()
    at = page.find(s)
    while at >= 0:
        end = at + len(s)
        if page.startswith(_SUFFIX_SEPS, end) or page.startswith((" |", " -"), end):
            return True
        at = page.find(s, end)
    return False


def _choose_title(blocks: list[Block], page: str) -> int:
    """Index of the headline block: the header line above the article's first paragraph
    that is headline-shaped, about the article (shares its words), next to the byline or
    date, and reprinted as "Headline | Site"; -1 when none is."""
    start = _first_prose(blocks)
    if start < 0:
        return next((i for i, b in enumerate(blocks) if b.role == "title"), -1)
    lead, size = [], 0
    for b in blocks[start:]:
        if size >= TITLE_BODY_CHARS:
            break
        if b.role in BODY_ROLES:
            lead.append(b.text)
            size += len(b.text)
    body_words = _content_words("\n".join(lead)[:TITLE_BODY_CHARS])
    lo = max(0, start - TITLE_REACH)
    window = [(i, blocks[i].text.strip()) for i in range(lo, start) if blocks[i].text.strip()]
    meta = [k for k, (i, s) in enumerate(window)
            if blocks[i].role in _NOT_TITLE_ROLES or _is_meta_line(s)]
    best, best_score = -1, 0.0
    for k, (i, s) in enumerate(window):
        if blocks[i].role in _NOT_TITLE_ROLES or not _title_candidate(s):
            continue
        words = _content_words(s)
        overlap = (sum(w in body_words for w in words) / len(words) * min(1.0, len(words) / 3)
                   if words else 0.0)
        # a menu line shares no words with the story: no need to look for its reprints
        score = (_headline_shape(s) + 4.0 * overlap + 2.5 * (overlap > 0 and _reprinted(s, page))
                 - _TW["dist"] * (len(window) - k)
                 + (_TW["prior"] if blocks[i].role == "title" else 0.0))
        if any(0 < m - k <= 3 or m == k - 1 for m in meta):
            score += _TW["meta"]
        if k and window[k - 1][1] == s:
            score += _TW["dup"]
        if score > best_score:
            best, best_score = i, score
    return best


def _retitle(blocks: list[Block], page: str) -> None:
    """Give the title role to the chosen headline block; the labeller's other guess becomes
    boilerplate (every block keeps one role and a reason)."""
    at = _choose_title(blocks, page)
    if at < 0 or blocks[at].role == "title":
        return
    for b in blocks:
        if b.role == "title":
            b.role, b.reason = "boilerplate", "not_the_headline"
    blocks[at].role, blocks[at].reason = "title", "headline_evidence"


# ------------------------------------------------------------------------------------------
# Per-document extraction
# ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _View:
    """Where the header and footer are in a labelled document."""

    blocks: list[Block]
    first_body: int
    last_body: int
    title_at: int
    zone: list[int] = field(default_factory=list)
    by_role: dict[str, list[int]] = field(default_factory=dict)


def _view(blocks: list[Block]) -> _View:
    by_role: dict[str, list[int]] = {}
    for i, b in enumerate(blocks):
        by_role.setdefault(b.role, []).append(i)
    body = sorted(by_role.get("body", []) + by_role.get("heading", []))
    title = by_role.get("title", [-1])[0]
    first = body[0] if body else (title + 1 if title >= 0 else 0)
    last = body[-1] if body else first
    v = _View(blocks, first, last, title, by_role=by_role)
    v.zone = _zone(v)
    return v


def extract_batch(docs: list[Document]) -> None:
    """Fill the metadata fields of every document from its labelled blocks."""
    for doc in docs:
        extract(doc)


def extract(doc: Document) -> None:
    """Fill title, outlet, agencies, authors, date fields and dateline of one document."""
    _retitle(doc.blocks, doc.text)
    v = _view(doc.blocks)
    dl = _dateline(v)
    rights = copyright_names(doc.text)
    _set_title_and_outlet(doc, v, dl, rights)
    doc.agencies = _agencies(v, dl, rights)
    doc.authors = _authors(v, dl)
    when = _date(v, dl)
    if when is not None:
        doc.date_text = when.text
        doc.date_precision = when.precision
        doc.published_date = when.value
        doc.date_source = "printed" if when.value else None
    doc.dateline = dl.place if dl else None


def _dateline(v: _View) -> header.Dateline | None:
    """The dateline block, else a dateline prefix on one of the first body paragraphs (a
    standfirst taken for body can precede the paragraph that carries it)."""
    body_seen = 0
    for b in v.blocks[v.first_body:]:
        if b.role == "dateline":
            d = header.parse_dateline(b.text + " x")
            if d:
                return d
        elif b.role in BODY_ROLES:
            d = header.parse_dateline(b.text)
            if d:
                return d
            body_seen += 1
            if body_seen >= 3:
                break
    for b in v.blocks[: v.first_body]:
        if b.role == "dateline":
            d = header.parse_dateline(b.text + " x")
            if d:
                return d
    # a wire prefix on a line the labeller took for the title or a header line
    for i in v.zone[:6]:
        b = v.blocks[i]
        if b.role != "caption" and b.text[:1] in "(ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            d = header.parse_dateline(b.text)
            if d and d.agencies:
                return d
    return None


def _title_block(v: _View) -> Block | None:
    return v.blocks[v.title_at] if v.title_at >= 0 else None


def _set_title_and_outlet(doc: Document, v: _View, dl: header.Dateline | None,
                          rights: list[str]) -> None:
    tb = _title_block(v)
    raw = (tb.text if tb else None) or doc.given_title
    raw = " ".join(raw.split()) if raw else None
    if raw and dl is not None and dl.marks and raw.startswith(dl.marks.strip()):
        raw = raw[len(dl.marks.strip()) :].strip() or None
    title, suffix = raw, None
    if raw:
        head, tail, sep = split_title_suffix(raw)
        if tail and (sep.strip() in ("|", "||", "::") or _known_outlet(tail, rights)
                     or _site_like(tail, head)):
            title, suffix = head, tail
    doc.title = title or None
    doc.outlet = _outlet(doc, v, dl, suffix, title, rights)


def _site_like(tail: str, head: str) -> bool:
    """"Story headline – Site Name": a short capitalised or domain-like tail after a headline
    of several words (a dash inside a headline rarely ends in a proper name)."""
    words = tail.split()
    if any(w.lower().strip(".,!?®") in registry().not_outlet for w in words):
        return False
    return (len(head.split()) >= 4 and len(words) <= 5
            and all(w[:1].isupper() or w[:1].isdigit() or "." in w for w in words))


def _known_outlet(name: str, rights: list[str]) -> bool:
    """A title suffix is an outlet if the registry knows it or the text's footer says so."""
    if canonical_outlet(name) != name or registry().by_alias.get(name):
        return True
    folded = _fold(name)
    return any(_fold(n) == folded for n in rights)


def _outlet(doc: Document, v: _View, dl: header.Dateline | None, suffix: str | None,
            title: str | None, rights: list[str]) -> str | None:
    reg = registry()
    text = _fold(doc.text or "\n".join(b.text for b in v.blocks))
    for phrase, name in reg.phrases:
        if phrase in text:
            return name
    for i in v.by_role.get("byline", []):
        by = header.parse_byline(v.blocks[i].text)
        if by.outlet and not header.find_dates(by.outlet):
            return canonical_outlet(by.outlet)
    if dl is not None and dl.marks:
        reposted = any(p in text for p in reg.repost_phrases)
        for mark, name in reg.dateline_marks:
            if mark in dl.marks and not reposted:
                return name
    by_url = outlet_from_url(doc.source_url)
    if by_url:
        return by_url
    if suffix:
        return canonical_outlet(suffix)
    page = _furniture(v)
    known = registered_in(_not_story(v))
    extra: Counter[str] = Counter({name: _registered_weight(name, n)
                                   for name, n in known.items()})
    for name, w in ((_suffix_elsewhere(doc.text, title), 3.0), (_site_suffix(doc.text), 2.0),
                    (_rights_holder(rights, doc.text), 3.0)):
        if name:
            extra[name] += w
    return self_named_site(page, extra, frozenset({title}) if title else frozenset(),
                           frozenset(known))


def _registered_weight(name: str, n: int) -> float:
    """Evidence of a registered outlet printed n times in the page furniture. An acronym
    ("FDA", "CNA") is as often a citation or a common noun, so it needs more support."""
    acronym = name.isupper() and len(name) <= 4
    return (1.5 if acronym else 3.0) + 0.5 * min(n - 1, 3)


def _not_story(v: _View) -> str:
    """The page minus the story's sentences (which cite other outlets: "CNN reported"):
    furniture lines, headings and the closing paragraphs (author and site notes)."""
    return "\n".join(b.text for i, b in enumerate(v.blocks)
                     if b.role not in BODY_ROLES or i >= v.last_body - 2
                     or b.text.rstrip()[-1:] not in ".!?\"”’")


def _furniture(v: _View) -> str:
    """The page around the story: its non-body lines plus the last body paragraphs (author
    notes) and paragraphs where the site speaks as "we" ("At X, we ..."). A site names
    itself there, and scanning less is faster."""
    parts = [b.text for i, b in enumerate(v.blocks)
             if b.role != "body" or len(b.text) < 120 or i >= v.last_body - 3
             or ", we" in b.text or ", our" in b.text]
    return "\n".join(parts)


_SUFFIX_SEPS = (" | ", " – ", " — ", " - ")


_SEP_HINT = re.compile(r" [|–—-] ")


def _suffix_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, head, site) of every "Headline | Site" shaped line. Separators are
    found by one C-level scan; only the few lines holding one are looked at."""
    out = []
    done: set[int] = set()
    for m in _SEP_HINT.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        if start in done:
            continue
        done.add(start)
        end = text.find("\n", m.end())
        line = text[start : end if end >= 0 else len(text)]
        if not 15 <= len(line) <= 200:
            continue
        for sep in _SUFFIX_SEPS:
            if sep in line:
                head, _, tail = line.rpartition(sep)
                tail = tail.strip()
                if tail and _site_like(tail, head):
                    out.append((text.count("\n", 0, start), head, tail))
                break
    return out


def _site_suffix(text: str) -> str | None:
    """The site name that page titles reprinted in the page end with ("Story | Site" on
    related-article and share lines): two lines agreeing, or one near the top of the page."""
    found = _suffix_lines(text)
    if not found:
        return None
    counts = Counter(site for _, _, site in found)
    name, n = counts.most_common(1)[0]
    if n >= 2:
        return canonical_outlet(name)
    line_no = next(ln for ln, _, site in found if site == name)
    return canonical_outlet(name) if line_no < 40 else None


def _rights_holder(rights: list[str], text: str) -> str | None:
    """The copyright holder, when the page names it again elsewhere (a parent company
    named only in the footer is not the site that printed the story)."""
    for name, _ in Counter(rights).most_common():
        parent = any(w.lower() in registry().parent_words for w in name.split())
        if text.count(name) >= 2 or not parent:
            return canonical_outlet(name)
    return None


def _suffix_elsewhere(text: str, title: str | None) -> str | None:
    """A reprinted page title with a site suffix ("Our story | Site") anywhere in the page."""
    if not title or len(title) < 8:
        return None
    start = text.find(title)
    while start >= 0:
        end = text.find("\n", start)
        line = " ".join(text[start : end if end >= 0 else len(text)].split())
        head, tail, _ = split_title_suffix(line)
        if tail and head == " ".join(title.split()):
            return canonical_outlet(tail)
        start = text.find(title, start + 1)
    return None


def _agencies(v: _View, dl: header.Dateline | None, rights: list[str]) -> list[str]:
    """Wire credits: dateline, credit blocks, bylines, credit lines around the article and
    copyright lines naming an agency ("© 2024 The Associated Press"); not photo credits."""
    out: list[str] = list(dl.agencies) if dl else []

    def add(names: list[str] | tuple[str, ...]) -> None:
        out.extend(n for n in names if n not in out)

    todo = set(v.zone) | set(v.by_role.get("credit", [])) | set(v.by_role.get("byline", []))
    for i in sorted(todo):
        b = v.blocks[i]
        if b.role in BODY_ROLES or b.role == "caption" or len(b.text) > 200:
            continue
        if header.is_photo_credit(b.text):
            continue
        found = header.credit_agencies(b.text)
        if found is not None:
            add(found)
        elif b.role == "byline":
            add(header.parse_byline(b.text).agencies)
    add(header.find_agencies(" | ".join(rights)))
    return out


def _zone(v: _View) -> list[int]:
    """Indices of the header zone (around the title and above the first body paragraph) and
    the few blocks after the body, nearest to the article start first."""
    a, b = v.first_body, (v.title_at if v.title_at >= 0 else v.first_body)
    last = v.last_body
    idx = set(range(max(0, v.first_body - HEADER_WINDOW), min(len(v.blocks), v.first_body + 4)))
    if v.title_at >= 0:
        idx |= set(range(max(0, v.title_at - 3), min(len(v.blocks), v.title_at + HEADER_WINDOW)))
    idx |= set(range(v.last_body + 1, min(len(v.blocks), v.last_body + 1 + FOOTER_WINDOW)))
    return sorted(idx, key=lambda i: (i > last, min(abs(i - a), abs(i - b))))


def _meta_candidate(b: Block) -> bool:
    """Header blocks may be mislabelled (a meta line taken for the title or a heading); a
    long body paragraph or a caption never is one."""
    return b.role != "caption" and not (b.role in BODY_ROLES and len(b.text) > 140)


def _authors(v: _View, dl: header.Dateline | None) -> list[str]:
    out: list[str] = []
    # bylines of the header (or just after the body); one inside the story is a mislabelled
    # crosshead ("Planning Shots and Camera Angles"). The nearest one with names wins.
    zone = {i: k for k, i in enumerate(v.zone)}
    for i in sorted((i for i in v.by_role.get("byline", []) if i in zone), key=zone.get):
        out = list(header.parse_byline(v.blocks[i].text).authors)
        if out:
            break
    if dl is not None:
        out += [n for n in dl.authors if n not in out]
    if out:
        return out
    for i in v.zone:
        b = v.blocks[i]
        if not _meta_candidate(b):
            continue
        if header.is_byline(b.text):
            out += [n for n in header.parse_byline(b.text).authors if n not in out]
        elif header.is_byline_label(b.text):
            nxt = _next_line(v.blocks, i)
            out += header.name_line(nxt.text) if nxt and nxt.role != "caption" else []
        else:
            ml = header.parse_meta_line(b.text)
            if ml:
                out += [n for n in ml.authors if n not in out]
        if out:
            return out
    return _name_next_to_date(v) or _bio_author(v)


def _next_line(blocks: list[Block], i: int) -> Block | None:
    """The next block with text after block i."""
    return next((b for b in blocks[i + 1 : i + 4] if b.text.strip()), None)


def _name_next_to_date(v: _View) -> list[str]:
    """A bare name line ("Andrew King", "Dylan Bailey, MS, RD") right next to the date line
    of the header: the common blog/magazine byline without "By"."""
    dated = {i for i in v.zone if v.blocks[i].role == "date" or (
        len(v.blocks[i].text) < 90 and header.parse_date_line(v.blocks[i].text))}
    for i in v.zone:
        b = v.blocks[i]
        if (b.role in ("dateline", "credit", "caption", "title") or len(b.text) > 80
                or i in dated or b.text.isupper()):
            continue  # "NEW YORK" next to the headline is a place, not a name
        # the line under the headline works like one next to the date (a line over it is
        # more often a section label)
        if not (any(j in dated for j in (i - 2, i - 1, i + 1, i + 2))
                or 0 <= i - v.title_at <= 2):
            continue
        names = header.name_line(b.text)
        if names and all(2 <= len(n.split()) <= 4 and not _common_phrase(n, v)
                         for n in names):
            return names
    return []


_BIO = re.compile(
    r"^(?P<name>[A-ZÀ-Ö][\w'’.-]+(?: [A-ZÀ-Ö][\w'’.-]+){1,3})(?: \(@\w+\))?,? "
    r"(?:is|was|has been|has|writes|covers|joined)\b")
_BIO_ROLE = re.compile(r"(?i)\b(?:writer|editor|reporter|journalist|author|contributor|"
                       r"correspondent|columnist|freelance|staff)")


def _bio_author(v: _View) -> list[str]:
    """The author note under a story ("Eduard Kovacs (@EduardKovacs) is the managing editor
    at SecurityWeek."): a page that prints no byline often credits its writer there."""
    for b in v.blocks[max(0, v.last_body - 2) :]:
        if len(b.text) > 600 or b.role == "caption":
            continue
        m = _BIO.match(b.text)
        if m and _BIO_ROLE.search(b.text, m.end(), m.end() + 160):
            names = header.split_names(m.group("name"))
            if len(names) == 1:
                return names
    return []


def _common_phrase(name: str, v: _View) -> bool:
    """"All Posts", "Keyword Research", "Book Now": a capitalised line whose every word the
    page also prints in lower case is a phrase (a menu item, a crosshead), not a person."""
    text = "\n".join(b.text for b in v.blocks)
    for word in name.split():
        low = word.lower()
        if low == word or not re.search(r"(?<![\w-])" + re.escape(low) + r"(?![\w-])", text):
            return False
    return True


def _date(v: _View, dl: header.Dateline | None) -> ParsedDate | None:
    """The publication date: date blocks and meta lines of the header zone (nearest to the
    article start first), the dateline's date, then date blocks anywhere."""
    for i in v.zone:
        b = v.blocks[i]
        if not _meta_candidate(b):
            continue
        pd = header.parse_date_line(b.text) if b.role == "date" or len(b.text) < 90 else None
        if pd is None or pd.year is None:
            ml = header.parse_meta_line(b.text)
            pd = ml.date if ml else pd
        if pd is not None and pd.year is not None:
            return pd
    if dl is not None and dl.date is not None:
        return dl.date
    # a date-only line further up the page header (menus can push it far from the title)
    for i in range(v.first_body - HEADER_WINDOW - 1, max(-1, v.first_body - FAR_HEADER), -1):
        b = v.blocks[i]
        if b.role not in BODY_ROLES and b.role != "caption" and len(b.text) < 40:
            pd = header.parse_date_line(b.text)
            if pd is not None and pd.year is not None and pd.day:
                return pd
    anchor = v.first_body
    dated = [(abs(i - anchor), header.parse_date_line(b.text) or _first_dated(b.text))
             for i in v.by_role.get("date", []) if (b := v.blocks[i])]
    dated = [(d, p) for d, p in dated if p is not None]
    if dated:
        return min(dated, key=lambda x: x[0])[1]
    for i in v.zone:  # a year-less date line ("May 13") is still evidence for propagation
        b = v.blocks[i]
        if _meta_candidate(b) and len(b.text) < 90:
            pd = header.parse_date_line(b.text)
            if pd is not None:
                return pd
    return None


def _first_dated(text: str) -> ParsedDate | None:
    ds = header.find_dates(text)
    with_year = [d for d in ds if d.year is not None]
    return (with_year or ds or [None])[0]


# ------------------------------------------------------------------------------------------
# Run-wide propagation
# ------------------------------------------------------------------------------------------

META_COLUMNS = (
    "doc_id", "cluster_id", "agencies", "published_date", "date_text", "date_precision",
    "date_source", "propagated",
)


def meta_table(docs: list[Document]) -> pa.Table:
    """The compact per-document table `propagate` works on (built by the pipeline)."""
    return pa.table({
        "doc_id": [d.doc_id for d in docs],
        "cluster_id": [d.cluster_id or d.doc_id for d in docs],
        "agencies": [list(d.agencies) for d in docs],
        "published_date": pa.array([d.published_date for d in docs], pa.date32()),
        "date_text": [d.date_text for d in docs],
        "date_precision": [d.date_precision for d in docs],
        "date_source": [d.date_source for d in docs],
        "propagated": [list(d.propagated) for d in docs],
    }, schema=META_SCHEMA)


META_SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("cluster_id", pa.string()),
    ("agencies", pa.list_(pa.string())),
    ("published_date", pa.date32()),
    ("date_text", pa.string()),
    ("date_precision", pa.string()),
    ("date_source", pa.string()),
    ("propagated", pa.list_(pa.string())),
])


def apply_meta(docs: list[Document], meta: pa.Table) -> None:
    """Copy `propagate`'s results back onto documents (by doc_id)."""
    rows = {r["doc_id"]: r for r in meta.to_pylist()}
    for d in docs:
        r = rows.get(d.doc_id)
        if r is None:
            continue
        d.agencies = list(r["agencies"] or [])
        d.published_date = r["published_date"]
        d.date_text, d.date_precision = r["date_text"], r["date_precision"]
        d.date_source, d.propagated = r["date_source"], list(r["propagated"] or [])


def _month_day(date_text: str | None) -> tuple[int, int | None] | None:
    if not date_text:
        return None
    ds = header.find_dates(date_text)
    return (ds[0].month, ds[0].day) if ds else None


def _infer_year(month: int, day: int | None, dated: list[date]) -> int | None:
    """The year of the dated evidence closest to month/day (within ~2 months), by vote."""
    votes: Counter[int] = Counter()
    for d in dated:
        for y in (d.year - 1, d.year, d.year + 1):
            try:
                cand = date(y, month, day or 15)
            except ValueError:
                continue
            if abs((cand - d).days) <= 60:
                votes[y] += 1
    if not votes:
        return None
    (best, n), *rest = [*votes.most_common(2), (0, 0)]
    return best if n > rest[0][1] else None


def propagate(meta: pa.Table) -> pa.Table:
    """Share wire agencies and dates across syndication clusters; infer missing years.

    Input/output columns: META_SCHEMA. A copy without an agency credit takes the union of
    its cluster mates' agencies (propagated += "agencies"); a copy without a date takes the
    cluster's dated evidence (date_source "propagated"). A year-less date ("May 13") takes
    its year from the cluster's dated copies, else from the run's dated documents near that
    day (date_source "inferred_year").
    """
    rows = meta.to_pylist()
    clusters: dict[str, list[dict]] = {}
    for r in rows:
        r["agencies"] = list(r["agencies"] or [])
        r["propagated"] = list(r["propagated"] or [])
        clusters.setdefault(r["cluster_id"] or r["doc_id"], []).append(r)
    run_dates = [r["published_date"] for r in rows
                 if r["published_date"] and r["date_source"] == "printed"]
    for mates in clusters.values():
        agencies: list[str] = []
        for r in mates:
            agencies += [a for a in r["agencies"] if a not in agencies]
        dated = [r for r in mates if r["published_date"] and r["date_source"] == "printed"
                 and r["date_precision"] == "day"]
        for r in mates:
            if agencies and not r["agencies"]:
                r["agencies"] = list(agencies)
                r["propagated"].append("agencies")
            if r["published_date"] is None and r["date_text"]:
                md = _month_day(r["date_text"])
                if md is None:
                    continue
                year = _infer_year(md[0], md[1], [d["published_date"] for d in dated])
                if year is None:
                    year = _infer_year(md[0], md[1], run_dates)
                if year is not None:
                    try:
                        r["published_date"] = date(year, md[0], md[1] or 1)
                    except ValueError:
                        continue
                    r["date_source"] = "inferred_year"
            elif r["published_date"] is None and dated:
                src = min(dated, key=lambda d: d["published_date"])
                r["published_date"] = src["published_date"]
                r["date_text"], r["date_precision"] = src["date_text"], src["date_precision"]
                r["date_source"] = "propagated"
                r["propagated"].append("published_date")
    return pa.Table.from_pylist(rows, schema=META_SCHEMA)


# ------------------------------------------------------------------------------------------
# Outlet evidence: where a site names itself in its own page furniture
# ------------------------------------------------------------------------------------------

# a site name as printed: capitalised words (or "iRunFar"/"eBay" forms, domains, "&"),
# joined by spaces and a few lower-case connectives ("Guide to Iceland")
_SITE = (r"(?P<n>(?:[A-Z0-9]|[a-z]{1,2}[A-Z])[\w'’.&+-]*(?:[ ](?:(?:of|on|to|for|and|the|in)"
         r"[ ])?(?:[A-Z0-9&]|[a-z]{1,2}[A-Z])[\w'’.&+-]*){0,5})")
# (cue, weight): phrases in which a site speaks of itself by name. A capital-insensitive cue
# is written (?i:...); the name itself must be printed capitalised.
_SELF_CUES: tuple[tuple[tuple[str, ...], str, float], ...] = (
    (("about", "support", "explore", "search", "subscribe to", "welcome to", "back to",
      "thanks for reading", "thank you for supporting", "log in to", "login to",
      "sign in to your", "sign up for", "happy holidays from"),
     r"^(?i:about|support|explore|search|subscribe to|welcome to|back to|"
     r"thanks for reading|thank you for supporting|log ?in to|sign in to your|"
     r"sign up for|happy holidays from) (?:the )?" + _SITE, 2.0),
    (("trust", "learn about", "process at", "team at", "work at", "mission at"),
     r"(?i:why (?:you should )?trust|learn about|editorial process at|team at|"
     r"work at|our mission at) (?:the )?" + _SITE, 2.5),
    (("chosen by",), r"(?i:chosen by an?) " + _SITE + r" (?i:editor)", 3.0),
    (("editor", "writer", "reporter", "contributor", "columnist", "correspondent", "team"),
     r"(?i:(?:editor|writer|reporter|contributor|columnist|correspondent|team)(?: \w+)?"
     r"(?:,| at| for| with)) (?:the )?" + _SITE + r"(?=[.,]|\s+(?:who|and|is|where|since)|$)",
     2.0),
    ((", we", ", our"), r"(?:^|[.!?] )(?i:at|here, at) " + _SITE + r", (?i:we|our)\b", 2.0),
    (("supported by", "may ", "is a ", "requires writers", "helps you", "has been helping"),
     r"^" + _SITE + r" (?i:is supported by|may (?:earn|contain|receive|collect)|"
     r"is a (?:non-?profit|registered charity|publication|production)|"
     r"requires writers|helps you|has been helping)", 2.5),
    (("\nby", "\nwritten by", "\nposted by", "\npublished by"),
     r"^(?:(?i:written|posted|published) )?(?i:by):? " + _SITE + r"(?:$| on | \|)", 1.5),
    (("team", "staff", "editors", "newsletter"),
     r"^(?:the )?" + _SITE + r"(?:'s?|’s?)? (?i:team|staff|editors|newsletter)$", 2.0),
)
_CUES = tuple((words, re.compile(p, re.M), w) for words, p, w in _SELF_CUES)
# a bare name line among the first lines of a page: its masthead
_MASTHEAD = re.compile(r"(?m)^(?i:the )?" + _SITE + r"$")
_TLD = re.compile(r"\.(?:com|org|net|co|io|in|news|media|blog|info|us|uk|ca|au|de|fr|edu)"
                  r"(?![\w-])", re.I)
_LABEL = re.compile(r"([a-z0-9][a-z0-9-]{1,40})$", re.I)


def _domain_labels(text: str) -> set[str]:
    """Second-level labels of the domains and e-mail addresses printed on the page
    ("TheAtlantic.com", "info@driving-tests.org" -> "theatlantic", "drivingtests")."""
    out: set[str] = set()
    for m in _TLD.finditer(text):
        lab = _LABEL.search(text, max(0, m.start() - 41), m.start())
        if lab:
            out.add(lab.group(1).lower().replace("-", ""))
    return out


# lower-case cue word -> the cues that need it
_CUE_WORDS: dict[str, tuple[int, ...]] = {}
for _k, (_ws, _, _) in enumerate(_SELF_CUES):
    for _w in _ws:
        _CUE_WORDS[_w] = (*_CUE_WORDS.get(_w, ()), _k)


def _cue_lines(text: str) -> list[set[int]]:
    """Per cue, the start offsets of the lines that hold one of its words, found with
    str.find in the lower-cased page (C speed; the cue patterns are slow over a page)."""
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lower-cased
        low = text
    out: list[set[int]] = [set() for _ in _SELF_CUES]
    for word, cues in _CUE_WORDS.items():
        at = low.find(word)
        while at >= 0:
            start = low.rfind("\n", 0, at + (word[0] == "\n")) + 1
            for k in cues:
                out[k].add(start)
            end = low.find("\n", at + 1)
            if end < 0:
                break
            at = low.find(word, end)
    return out


_SQUASH = re.compile(r"[^0-9a-z]+")
TOP_LINES = 4  # a bare name among the first lines of a page is its masthead


def _squash(name: str) -> str:
    """Letters and digits only, lower case: "Driving-Tests.org" -> "drivingtestsorg"."""
    return _SQUASH.sub("", name.lower())


def _domain_match(name: str, labels: set[str]) -> bool:
    """The name is the site's domain spelled out ("The Atlantic" ~ theatlantic.com) or its
    initials ("British Heart Foundation" ~ bhf.org.uk)."""
    words = [w for w in re.split(r"[\s.]+", name) if w]
    if words and words[-1].lower() in ("com", "org", "net", "io", "co"):
        words = words[:-1]
    sq = _squash(" ".join(words))
    sq_noart = _squash(" ".join(words[1:])) if words and words[0].lower() == "the" else sq
    initials = "".join(w[0].lower() for w in words if w[0].isalnum())
    return bool(sq and (sq in labels or sq_noart in labels
                        or (len(initials) >= 3 and initials in labels)))


def _whole_count(text: str, name: str) -> int:
    """How often `name` is printed as whole words (case as printed)."""
    n, at = 0, text.find(name)
    while at >= 0:
        end = at + len(name)
        if (at == 0 or not text[at - 1].isalnum()) and (end >= len(text)
                                                         or not text[end].isalnum()):
            n += 1
        at = text.find(name, end)
    return n


_CONNECTIVES = frozenset({"the", "of", "on", "to", "for", "and", "in", "&", "a", "an"})


def _shortest_repeated(text: str, name: str, counts: dict[str, int]) -> str:
    """A greedy capture that ran into the next menu item ("Housecall Pro Get") shrinks to its
    longest prefix that the page prints again ("Housecall Pro")."""
    words = name.split()
    for k in range(len(words), 0, -1):
        cand = " ".join(words[:k])
        if k < len(words) and (words[k - 1].lower() in _CONNECTIVES
                               or words[k - 1].lower() in registry().not_outlet):
            continue
        if cand not in counts:
            counts[cand] = _whole_count(text, cand)
        if counts[cand] >= 2 or (k == len(words) and len(words) == 1):
            return cand
    return name


def _trim_site(name: str) -> str | None:
    name = re.sub(r"(?:'s|’s|'|’)$", "", name.strip(" .,:;!?-–—|®™")).strip()
    return name or None


def self_named_site(text: str, extra: dict[str, float] | None = None,
                    skip: frozenset[str] = frozenset(),
                    registered: frozenset[str] = frozenset()) -> str | None:
    """The site's own name from how a page speaks of itself: "About X", "Why trust X",
    "editor at X", "X may earn a commission", a masthead line, repeated with the domain.

    Each candidate collects the weights of its cues, a bonus when it spells the page's
    domain, and a little for each further mention; the best one above the bar wins. Better
    no outlet than a navigation word or a parent company."""
    reg = registry()
    labels = _domain_labels(text)
    score: dict[str, float] = dict(extra or {})
    counts: dict[str, int] = {}
    kinds: dict[str, set[float]] = {}
    top_end = 0
    for _ in range(TOP_LINES):
        nxt = text.find("\n", top_end)
        if nxt < 0:
            break
        top_end = nxt + 1
    for starts, (_, pat, w) in zip(_cue_lines(text), _CUES, strict=True):
        for start in starts:
            end = text.find("\n", start)
            m = pat.search(text, start, end if end >= 0 else len(text))
            name = _trim_site(m.group("n")) if m else None
            if name:
                name = _shortest_repeated(text, name, counts)
                score[name] = score.get(name, 0.0) + w
                kinds.setdefault(name, set()).add(w)
    for m in _MASTHEAD.finditer(text, 0, top_end):
        name = _trim_site(m.group("n"))
        if name and len(name.split()) <= 5:
            score[name] = score.get(name, 0.0) + 1.5
    best: str | None = None
    best_key: tuple[bool, float, int] = (False, 0.0, 0)
    for name, s in score.items():
        words = name.split()
        if (name in skip or len(name) < 2 or len(words) > 6
                or any(x.lower().strip(".,!?®") in reg.not_outlet for x in words)
                or header.find_dates(name) or name.isdigit()):
            continue
        on_domain = _domain_match(name, labels)
        if s < 2.0 and not on_domain:
            continue  # a masthead line alone may be any menu word
        n = counts.get(name) or _whole_count(text, name)
        if (name.isalpha() and name.istitle() and not on_domain and n < 4
                and len(kinds.get(name, ())) < 2 and name not in registered):
            continue  # "Explore Iceland", "About Jill": one plain word needs more evidence
        if all(x.lower() in _CONNECTIVES for x in words):
            continue
        s += min(max(n - 1, 0), 6) * 0.3 + (2.0 if on_domain else 0.0)
        # a registered outlet outranks a name only this page vouches for
        key = (name in registered, s, len(name))
        if s >= 3.0 and (best is None or key > best_key):
            best, best_key = name, key
    return canonical_outlet(best) if best else None
