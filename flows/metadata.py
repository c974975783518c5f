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

import ahocorasick_rs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flows import header
from flows.header import ParsedDate
from flows.model import BODY_ROLES, Block, Document

HEADER_WINDOW = 12  # non-body blocks this close to the title/body start count as header
FOOTER_WINDOW = 8  # blocks after the last body block that may carry a date or credit
FAR_HEADER = 80  # how far above the body a bare date line is still the article's date

# ------------------------------------------------------------------------------------------
# Outlet registry (rules/outlets.toml)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Registry:
    """The outlet registry: lookups from printed forms to canonical names."""

    by_alias: dict[str, str]
    by_alias_folded: dict[str, str]
    by_domain: dict[str, str]
    phrases: tuple[tuple[str, str], ...]  # (folded phrase, canonical), each phrase once
    dateline_marks: tuple[tuple[str, str], ...]
    repost_phrases: tuple[str, ...]
    not_outlet: frozenset[str]
    parent_words: frozenset[str]
    # first word of a printed form -> (form, its other words without edge punctuation)
    by_first_word: dict[str, tuple[tuple[str, frozenset[str]], ...]]
    first_words: frozenset[str]
    punct_words: frozenset[str]  # words of the forms that hold punctuation ("Yahoo!")
    not_author: frozenset[str]  # words never part of a person's name in an author line
    job_titles: frozenset[str]  # the job titles among them
    other_credit: re.Pattern[str]  # "Edited by X": a credit line that names no writer
    form_finder: WordFinder  # the forms of by_first_word
    cues: SelfCues  # how a site speaks of itself by name


@dataclass(frozen=True, slots=True, eq=False)
class WordFinder:
    """Words to find in the lines of a page, each with two bit masks (for where it is found
    anywhere in a line, for where it opens one). One pass of an Aho-Corasick automaton over
    the page finds every occurrence of every word, overlapping ones included, where a
    substring test per word and line costs a pass each (see `_line_masks`). It searches the
    page's UTF-8 bytes: a str would be encoded for it anyway, and its matches mapped back
    to character positions."""

    automaton: ahocorasick_rs.BytesAhoCorasick
    masks: tuple[tuple[int, int], ...]  # per word, in the automaton's order


@dataclass(frozen=True, slots=True, eq=False)
class SelfCues:
    """The self-naming cues ([[self_cue]] in rules/outlets.toml), by position: cue k has bit
    1 << k in the masks of the words it needs."""

    patterns: tuple[re.Pattern[str], ...]
    weights: tuple[float, ...]
    finder: WordFinder  # their lower-case words
    ascii_words: bool  # all of them ASCII


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
    not_author = data.get("not_author", {})
    first: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
    for a in by_alias:
        head, *rest = a.split() or [""]
        if len(a) >= 3 and head:
            rest_words = frozenset(w.strip(_EDGE_PUNCT) for w in rest)
            first[head] = (*first.get(head, ()), (a, rest_words))
    # a phrase listed again can only name the outlet its first listing names
    first_listed: dict[str, str] = {}
    for phrase, name in phrases:
        first_listed.setdefault(phrase, name)
    return Registry(by_alias, folded, by_domain, tuple(first_listed.items()), tuple(marks),
                    repost, not_outlet, parents, first, frozenset(first),
                    frozenset(w for a in by_alias for w in a.split()
                              if any(c in _EDGE_PUNCT for c in w)),
                    frozenset(w.lower() for w in (*not_author.get("words", []),
                                                  *not_author.get("roles", []))),
                    frozenset(w.lower() for w in not_author.get("roles", [])),
                    re.compile(r"(?i)^\W*(?:" + "|".join(
                        r"\s+".join(map(re.escape, c.split()))
                        for c in not_author.get("other_credits", ["edited"])) + r")\s+by\b"),
                    _word_finder({form: (1, 0) for forms in first.values() for form, _ in forms}),
                    _self_cues(data.get("self_cue", [])))


def _word_finder(masks: dict[str, tuple[int, int]]) -> WordFinder:
    """The finder of the words (keys) with their (anywhere, opening) bit masks: a DFA, the
    fastest automaton for a few hundred words; standard match kind, which reports
    overlapping matches."""
    automaton = ahocorasick_rs.BytesAhoCorasick(
        [w.encode() for w in masks], matchkind=ahocorasick_rs.MatchKind.Standard,
        implementation=ahocorasick_rs.Implementation.DFA)
    return WordFinder(automaton, tuple(masks.values()))


def _line_masks(finder: WordFinder, text: str | bytes,
                lines: list[str] | None = None) -> dict[int, tuple[int, int]]:
    """Line number -> (bit masks of the words `finder` finds in the line, of those among
    them that open it) of the "\\n"-separated lines of `text` (or its UTF-8 bytes, see
    `_lower_bytes`) that hold any. (`lines`, the text's lines, are not needed.)"""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    out: dict[int, tuple[int, int]] = {}
    n = at = 0  # the line that byte `at` is in
    for k, start, end in finder.automaton.find_matches_as_indexes(data, overlapping=True):
        if data.find(b"\n", start, end) >= 0:
            continue  # across a line break: no line holds it
        if start < at:
            n = at = 0  # (matches come by their end: a longer word may start earlier)
        n += data.count(b"\n", at, start)
        at = start
        anywhere, opening = finder.masks[k]
        had, had_opening = out.get(n, (0, 0))
        opens = not start or data[start - 1] == 10  # (b"\n")
        out[n] = (had | anywhere, had_opening | (opening if opens else 0))
    return out


def _self_cues(tables: list[dict]) -> SelfCues:
    """The [[self_cue]] tables: patterns with {SITE} and {NETWORK} filled in, and the
    words that pick the cues worth trying on a line."""
    anywhere: dict[str, int] = {}
    opening: dict[str, int] = {}
    for k, cue in enumerate(tables):
        for w in cue.get("words", []):
            anywhere[w] = anywhere.get(w, 0) | 1 << k
        for w in cue.get("opening_words", []):
            opening[w] = opening.get(w, 0) | 1 << k
    words = {w: (anywhere.get(w, 0), opening.get(w, 0)) for w in {**anywhere, **opening}}
    patterns = tuple(re.compile(c["pattern"].replace("{SITE}", _SITE)
                                .replace("{NETWORK}", _NETWORK), re.M) for c in tables)
    return SelfCues(patterns, tuple(float(c["weight"]) for c in tables), _word_finder(words),
                    all(w.isascii() for w in words))


def _fold(s: str) -> str:
    """Case- and apostrophe-insensitive form for phrase matching (cheap on whole pages)."""
    return s.lower().replace("’", "'")


# the only non-ASCII characters whose lower case holds ASCII ("K" KELVIN SIGN -> "k",
# "İ" -> "i̇"; tests/test_metadata.py checks the Unicode tables)
_LOWER_TO_ASCII = ("\u212a", "\u0130")


@dataclass(slots=True)
class _FoldedPage:
    """A page's text for `_fold`ed phrase tests. Lower-casing a whole page is slow (non-ASCII
    text has no fast path); its UTF-8 bytes with ASCII lower-cased hold an ASCII phrase
    exactly where the lower-cased text does (every other character stays non-ASCII bytes),
    with ’ (folded to ') as printed (see `_apostrophe_forms`), unless the page prints a
    character of _LOWER_TO_ASCII."""

    text: str
    low_bytes: bytes | None = None
    folded: str | None = None

    def prints(self, phrase: str) -> bool:
        """The folded text holds the folded `phrase`."""
        if phrase.isascii() and self.folded is None:
            if self.low_bytes is None and not any(c in self.text for c in _LOWER_TO_ASCII):
                self.low_bytes = self.text.encode("utf-8", "surrogatepass").lower()
            if self.low_bytes is not None:
                forms = _apostrophe_forms(phrase)
                if len(forms) > 1 and forms[0][: forms[0].find(b"'")] not in self.low_bytes:
                    return False  # not even the words before its apostrophe: one search
                return any(form in self.low_bytes for form in forms)
        if self.folded is None:
            self.folded = _fold(self.text)
        return phrase in self.folded


@lru_cache(maxsize=1 << 10)
def _apostrophe_forms(phrase: str) -> tuple[bytes, ...]:
    """The UTF-8 forms of an ASCII phrase as a page may print it: each ' as ' or ’ (both
    fold to ')."""
    first, *rest = phrase.encode().split(b"'")
    forms = [first]
    for part in rest:
        forms = [f + mark + part for f in forms for mark in (b"'", "’".encode())]
    return tuple(forms)


def canonical_outlet(name: str) -> str:
    """The registry's canonical name for a printed outlet name (else the name as printed)."""
    reg = registry()
    return reg.by_alias.get(name) or reg.by_alias_folded.get(_fold(name)) or name


_EDGE_TO_SPACE = str.maketrans({c: " " for c in _EDGE_PUNCT})


@lru_cache(maxsize=1 << 15)
def _line_forms(line: str, reg: Registry) -> tuple[tuple[str, int], ...]:
    """(canonical name, times printed) of the registered forms a line prints as whole
    words; a form's words are looked up by its first word (whitespace tokens without edge
    punctuation), in the order the line prints them (sets iterate in an order that changes
    with every process's hash seed, and the order breaks ties between outlets). Cached: a
    site's furniture lines recur on every page. A cheap pass over the line's words with
    punctuation blanked out rules out most lines first."""
    loose = set(line.translate(_EDGE_TO_SPACE).split())
    firsts = [f for f in reg.punct_words if f in line and f in reg.by_first_word]
    firsts += loose & reg.first_words
    firsts.sort(key=lambda f: (line.find(f), f))
    words: frozenset[str] | None = None
    out = []
    for first in firsts:
        for form, rest in reg.by_first_word[first]:
            if not all(r in loose or (r in reg.punct_words and r in line) for r in rest):
                continue
            if words is None:
                words = frozenset(t.strip(_EDGE_PUNCT) for t in line.split())
            if first in words and rest <= words and (n := _whole_count(line, form)):
                out.append((reg.by_alias[form], n))
    return tuple(out)


def registered_in(text: str | list[str]) -> Counter[str]:
    """Registered outlets printed in `text` (or its lines): whole words, case as
    registered, and how often. One automaton pass over the text finds the few lines that
    print a registered form at all; a cached lookup per such line, not one search per outlet."""
    reg = registry()
    found: Counter[str] = Counter()
    lines = text.split("\n") if isinstance(text, str) else text
    for n in sorted(_line_masks(reg.form_finder, "\n".join(lines))):
        for name, k in _line_forms(lines[n], reg):
            found[name] += k
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
    first = n.split()[0]
    if first.islower() and "." not in first:
        return None  # "copyright over this": a sentence, not a name ("eBay", "example.com")
    return n


def _rights_mark(line: str, m: re.Match[str]) -> bool:
    """A copyright line, not a sentence about copyright: the bare word "copyright" counts
    only at the start of the line or before a year or a © ("the Copyright Office's May
    report" names no rights holder)."""
    mark = m.group(0)
    if mark[:1] in "©(":
        return True
    after = mark[9:].lstrip()[:1]
    return after.isdigit() or after in "©(" or not line[: m.start()].strip(" -–—|·•*")


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
        names = [n for m in _COPYRIGHT.finditer(line)
                 if _rights_mark(line, m) and (n := _clean_name(m.group("name")))]
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

_TW = {"dist": 0.1, "prior": 0.5, "meta": 2.0, "dup": 1.0, "call": -1.5, "tags": -3.0,
       "crumb": 2.0, "suffix": 2.5, "dek": 1.2, "below": -2.0}
_READER_WORDS = frozenset({"your", "you", "us", "our"})
# the verbs of short buttons and menu links ("View Full Profile", "Shop Mesh WiFi")
_ACTION_WORDS = frozenset({
    "view", "shop", "see", "get", "buy", "click", "read", "learn", "download", "subscribe",
    "sign", "join", "book", "explore", "discover", "watch", "listen", "follow", "share",
    "contact", "request", "apply", "find", "add", "browse", "visit", "compare", "order",
    "call", "search", "register", "donate", "login", "log"})
TITLE_REACH = 30  # lines above the first prose paragraph searched for the headline
TITLE_BELOW = 4  # lines under it where a headline needs its own evidence (a promo lead)
TITLE_WEAK = 5.0  # a best headline above scoring less lets those lines under it compete
TITLE_BODY_CHARS = 3000  # the headline's words recur early in the article
_WORDS4 = re.compile(r"\w{4,}")
_LIST_ITEM = re.compile(r"\d{1,3}[.)]\s")
_CRUMB = re.compile(r"\s(?:❯|›|»|>|/)\s")
_NOT_TITLE_ROLES = frozenset({"caption", "date", "dateline", "credit", "byline"})


def _first_prose(blocks: list[Block]) -> int:
    """The first body paragraph that reads as prose: where the article starts."""
    for i, b in enumerate(blocks):
        if b.role == "body" and (s := b.text.strip()) and s[-1] in ".!?\"”’»…'" and len(
                s.split()) >= 10:
            return i
    return -1


@lru_cache(maxsize=1 << 14)
def _content_words(text: str) -> tuple[str, ...]:
    """Casefolded words of 4+ letters of a line (cached: menu lines recur on every page of
    a site)."""
    return tuple(dict.fromkeys(_WORDS4.findall(text.casefold())))


def _has_word(text: str, word: str) -> bool:
    """`word` is printed in `text` as a whole word (what `\\w+` would find): str.find is far
    cheaper than tokenising the article lead for the few words of the candidate lines."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        before = text[at - 1] if at else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            return True
        at = text.find(word, at + 1)
    return False


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
    if _title_case(words):
        score += 1.0
    if len(words) >= 2 and words[1].lower() in _READER_WORDS and not words[0].endswith("ing"):
        score += _TW["call"]  # "Start Your Free Trial", "Add us on Google": a call to act
    elif n <= 4 and words and words[0].lower() in _ACTION_WORDS:
        score += _TW["call"]  # "View Full Profile": a button
    if _tag_list(s, 3):
        score += _TW["tags"]
    return score


def _title_case(words: list[str]) -> bool:
    """Most words capitalised, as in an English headline."""
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= 0.6


def _tag_list(s: str, commas: int) -> bool:
    """"Published in Design, Layout & Grids, Typography": a row of tags or names (`commas`
    or more commas between short capitalised items), not a headline."""
    if s.count(", ") < commas or ":" in s:
        return False
    parts = s.split(", ")
    return all(p and len(p.split()) <= 4 and (p[0].isupper() or p[0].isdigit()) for p in parts)


_Cand = tuple[float, tuple[str, ...], bool]  # (headline shape, content words, own suffix)


@lru_cache(maxsize=1 << 15)
def _line_kind(text: str) -> tuple[str, bool, _Cand | None]:
    """(stripped line, is a meta line, (headline shape, content words, printed with a site
    suffix) of a headline-shaped line else None); cached by line (template lines repeat
    across a site's pages)."""
    s = text.strip()
    if not s:
        return s, False, None
    if _is_meta_line(s):
        return s, True, None
    if not _title_candidate(s):
        return s, False, None
    return s, False, (_headline_shape(s), _content_words(s), _own_suffix(s))


def _own_suffix(s: str) -> bool:
    """"Headline | Site": the page title itself, printed with the site's name after it."""
    if " | " not in s:
        return False
    head, tail, sep = split_title_suffix(s)
    return (bool(tail) and sep == " | " and "|" not in head and _site_like(tail, head)
            and not _persons(_name_line(head), whole_line=True))  # "A and B | Columnists"


def _reprinted(text: str, page: str) -> bool:
    """A headline recurs as a page title with a site suffix ("Headline | Site") or a share
    line (a menu item recurs as itself, which proves nothing)."""
    s = text.strip()
    at = page.find(s)
    while at >= 0:
        end = at + len(s)
        if page.startswith(_SUFFIX_SEPS, end) or page.startswith((" |", " -"), end):
            return True
        if at and page[at - 1] in _OPEN_QUOTES and page[end : end + 1] in _CLOSE_QUOTES:
            return True  # quoted: "2 responses to “Headline”"
        at = page.find(s, end)
    return False


_OPEN_QUOTES = "“\"«„‘'"
_CLOSE_QUOTES = "”\"»“’'"


_Window = list[tuple[int, str, _Cand | None]]


def _choose_title(blocks: list[Block], page: str) -> int:
    """Index of the headline block: the header line above the article's first paragraph
    that is headline-shaped, about the article (shares its words), next to the byline or
    date, and reprinted as "Headline | Site"; -1 when none is. Not an entry of a table of
    contents (its lines recur in the article below), and the headline over its standfirst
    when both qualify."""
    start = _first_prose(blocks)
    if start < 0:
        return next((i for i, b in enumerate(blocks) if b.role == "title"), -1)
    lo = max(0, start - TITLE_REACH)
    window: _Window = []
    meta: set[int] = set()
    _add_lines(blocks, range(lo, start), window, meta)
    scorer = _HeadlineScorer(blocks, page, window, meta, start, len(window))
    best_k, best_score = scorer.best(frozenset())
    if best_score < TITLE_WEAK and _evidence_below(blocks, start, window):
        # no convincing headline above: one under a promo paragraph may have evidence
        _add_lines(blocks, range(start + 1, min(len(blocks), start + 1 + TITLE_BELOW)),
                   window, meta, below=True)
        below_k, below_score = scorer.best(frozenset(), scorer.n_above)
        if below_score > best_score:
            best_k, best_score = below_k, below_score
    if best_k < 0:
        return -1
    toc = _toc_run(blocks, window, best_k, start, page)
    if toc:
        best_k, best_score = scorer.best(toc)
        if best_k < 0:
            return -1
    above = best_k - 1
    if above >= 0 and above not in toc and window[above][2] is not None:
        # a headline over its standfirst: both share the story's words, the upper is shorter
        n_up, n_best = len(window[above][1].split()), len(window[best_k][1].split())
        upper = window[above][1]
        if (3 <= n_up < n_best and scorer.overlap(above) > 0 and not _tag_list(upper, 2)
                and "|" not in upper
                and _title_case([w for w in upper.split() if w[:1].isalpha()])
                and scorer.score(above) >= best_score - _TW["dek"]):
            best_k = above
    # "Home Blog Fitness <headline>": a crumb trail run into the headline, which the header
    # also prints alone
    chosen = window[best_k][1]
    for i, s, cand in window:
        if cand and len(s) < len(chosen) and chosen.endswith(" " + s) and len(s.split()) >= 4:
            return i
    return window[best_k][0]


_META_ROLES = frozenset({"date", "byline"})


def _evidence_below(blocks: list[Block], start: int, window: _Window) -> bool:
    """Whether a line just under the first paragraph may be the headline: one with a site
    suffix, next to a date or byline, or at the end of a crumb trail above (a cheap look
    at the lines before they are parsed)."""
    tops = [s for _, s, _ in window[-3:]]
    for i in range(start + 1, min(len(blocks), start + 1 + TITLE_BELOW)):
        b = blocks[i]
        if b.role == "body":
            return False
        s = b.text.strip()
        if s and (" | " in s or blocks[i - 1].role in _META_ROLES
                  or (i + 1 < len(blocks) and blocks[i + 1].role in _META_ROLES)
                  or any(up.endswith(" " + s) for up in tops)):
            return True
    return False


def _add_lines(blocks: list[Block], lines: range, window: _Window, meta: set[int],
               below: bool = False) -> None:
    """Append the non-empty lines to the headline window (`below` the first paragraph: up
    to the next body paragraph), marking the meta lines next to which a headline sits."""
    for i in lines:
        s, is_meta, cand = _line_kind(blocks[i].text)
        if not s:
            continue
        if below and blocks[i].role == "body":
            break
        if is_meta or blocks[i].role in _NOT_TITLE_ROLES:
            meta.add(len(window))  # never the headline; the headline sits next to one
            cand = None
        window.append((i, s, cand))


@dataclass(slots=True)
class _HeadlineScorer:
    """Scores the headline candidates of a header window (see `_choose_title`)."""

    blocks: list[Block]
    page: str
    window: _Window
    meta: set[int]
    start: int
    n_above: int  # the window's entries above the first paragraph; those after it follow
    lead: str | None = None

    def _base(self, k: int, floor: float = -1e9) -> float | None:
        """The score without the evidence from the story's words; None for a line under
        the first paragraph that is not headline-shaped or has no date, byline or crumb
        trail next to it, or for one that cannot reach `floor` whatever that evidence."""
        i, s, cand = self.window[k]
        assert cand is not None
        meta = self.meta
        by_meta = k - 1 in meta or k + 1 in meta or k + 2 in meta or k + 3 in meta
        below = k >= self.n_above
        if below and cand[0] <= 0:
            return None
        base = (cand[0] - _TW["dist"] * abs(self.n_above - k)
                + (_TW["prior"] if self.blocks[i].role == "title" else 0.0)
                + (_TW["meta"] if by_meta else 0.0) + (_TW["below"] if below else 0.0)
                + (_TW["dup"] if k and self.window[k - 1][1] == s else 0.0))
        if base + _TW["crumb"] + (4.0 + _TW["suffix"] if cand[1] else 0.0) < floor:
            return None  # not worth the crumb search
        crumb = self._crumb_end(k)
        if below and not (by_meta or crumb or cand[2]):
            return None
        return base + (_TW["crumb"] if crumb else 0.0)

    def _crumb_end(self, k: int) -> bool:
        """A line just above ends with this one ("Site / Reviews / Best EVs of 2026"): a
        crumb trail that names the page."""
        s = self.window[k][1]
        for _, up, _ in self.window[max(0, k - 3) : k]:
            if up.endswith(s) and len(up) > len(s) + 2 and up[-len(s) - 1] == " ":
                return " " in s
        return False

    def score(self, k: int, base: float | None = None) -> float:
        """The candidate's score: shape, position, neighbours, and its share of the story's
        words (a menu line shares none, so its reprints are not looked for)."""
        _, s, cand = self.window[k]
        assert cand is not None
        base = self._base(k) if base is None else base
        if base is None:
            return 0.0
        overlap = self.overlap(k)
        reprint = overlap > 0 and (cand[2] or _reprinted(s, self.page))
        return base + 4.0 * overlap + (_TW["suffix"] if reprint else 0.0)

    def overlap(self, k: int) -> float:
        """The share of the line's words that the article's lead prints (fewer than three
        words count less)."""
        cand = self.window[k][2]
        words = cand[1] if cand else ()
        if not words:
            return 0.0
        if self.lead is None:
            self.lead = _lead(self.blocks, self.start)
        lead = self.lead
        hits = len([w for w in words if w in lead and _has_word(lead, w)])
        return hits / len(words) * min(1.0, len(words) / 3)

    def best(self, skip: frozenset[int], first: int = 0) -> tuple[int, float]:
        """(window index, score) of the best candidate from window index `first` on,
        outside `skip`; (-1, 0) if none scores above zero. Scored from the body upwards
        (where the headline usually is), so that a line that cannot beat the best so far,
        whatever its overlap (up to 4.0) and reprint, is skipped; on a tie the upper line
        wins."""
        best_k, best_score = -1, 0.0
        window, n_above = self.window, self.n_above
        dist = _TW["dist"]
        reach = _TW["crumb"] + 4.0 + _TW["suffix"] + _TW["meta"] + _TW["dup"] + _TW["prior"]
        for k in range(len(window) - 1, first - 1, -1):
            cand = window[k][2]
            if cand is None or k in skip:
                continue
            if cand[0] - dist * abs(n_above - k) + reach < best_score - 1e-9:
                continue  # cannot win, whatever its neighbours and words (cheap test)
            base = self._base(k, best_score - 1e-9)
            if base is None or base + (4.0 + _TW["suffix"] if cand[1] else 0.0) < best_score - 1e-9:
                continue
            score = self.score(k, base)
            if score > 0.0 and score >= best_score:
                best_k, best_score = k, score
        return best_k, best_score


def _toc_run(blocks: list[Block], window: _Window, k: int, start: int,
             page: str) -> frozenset[int]:
    """The table of contents around window entry k: it and two or more neighbours, each
    printed again in the article below (as its section headings). Empty when k is not in
    one."""
    later: dict[str, int] | None = None

    def at(j: int) -> int:
        """Where the entry's line recurs below, -1 if it does not (a line the page prints
        once does not recur: one C-level search spares indexing the article's lines)."""
        nonlocal later
        line = window[j][1]
        if page.find(line, page.find(line) + 1) < 0:
            return -1
        if later is None:
            later = {}
            for i in range(len(blocks) - 1, start - 1, -1):
                later[blocks[i].text.strip()] = i
        return later.get(window[j][1], -1) if window[j][2] is not None else -1

    def apart(a: int, b: int) -> bool:
        """Both recur, as separate sections (a header block printed again is no TOC)."""
        x, y = at(a), at(b)
        return x >= 0 and y >= 0 and abs(x - y) > 1

    if at(k) < 0:
        return frozenset()
    lo = hi = k
    while lo > 0 and apart(lo - 1, lo):
        lo -= 1
    while hi + 1 < len(window) and apart(hi, hi + 1):
        hi += 1
    return frozenset(range(lo, hi + 1)) if hi - lo >= 2 else frozenset()


def _lead(blocks: list[Block], start: int) -> str:
    """The article's first TITLE_BODY_CHARS characters from block `start`, casefolded."""
    lead, size = [], 0
    for b in blocks[start:]:
        if size >= TITLE_BODY_CHARS:
            break
        if b.role in BODY_ROLES:
            lead.append(b.text)
            size += len(b.text)
    return "\n".join(lead)[:TITLE_BODY_CHARS].casefold()


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
    doc.authors = _authors(v, dl, doc.title)
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
    page = _FoldedPage(doc.text or "\n".join(b.text for b in v.blocks))
    for phrase, name in reg.phrases:
        if page.prints(phrase):
            return name
    for i in v.by_role.get("byline", []):
        by = header.parse_byline(v.blocks[i].text)
        if by.outlet and not header.find_dates(by.outlet):
            return canonical_outlet(by.outlet)
    if dl is not None and dl.marks:
        reposted = any(map(page.prints, reg.repost_phrases))
        for mark, name in reg.dateline_marks:
            if mark in dl.marks and not reposted:
                return name
    by_url = outlet_from_url(doc.source_url)
    if by_url:
        return by_url
    if suffix:
        return canonical_outlet(suffix)
    known = registered_in(_not_story(v))
    extra: Counter[str] = Counter({name: _registered_weight(name, n)
                                   for name, n in known.items()})
    for name, w in ((_suffix_elsewhere(doc.text, title), 3.0), (_site_suffix(doc.text), 2.0),
                    (_rights_holder(rights, doc.text), 3.0), (_signed_masthead(v.blocks), 5.0)):
        if name:
            extra[name] += w
    return self_named_site(_furniture(v), extra, frozenset({title}) if title else frozenset(),
                           frozenset(known))


_ACCOUNT = re.compile(r"(?i)(?:(?:subscribe|sign ?in|log ?in|sign ?up|register)\s*)+")
_TAGLINE = re.compile(r"\s+[-|–—:]\s+")


# "Jane Doe's blog", "Jane Doe's Tech Blog": a personal publication named by its owner
_OWNED = re.compile(r"(?:[A-Z0-9][\w.&-]*\s){0,3}[A-Z0-9][\w.&-]*['’]s(?:\s[A-Z][\w-]*){0,2}"
                    r"\s(?:[Bb]log|Substack|[Nn]ewsletter|[Jj]ournal|[Nn]otebook)")


def _signed_masthead(blocks: list[Block]) -> str | None:
    """The page's first line when it is the site's name for sure: its sign-in links come
    right under it (the masthead of a newsletter or blog platform: "Site Name - tagline" /
    "Subscribe Sign in"), or it names someone's blog ("Jane Doe's blog")."""
    lines = [b.text.strip() for b in blocks[:4] if b.text.strip()][:2]
    if lines and _OWNED.fullmatch(lines[0]):
        return lines[0]
    if len(lines) < 2 or not _ACCOUNT.fullmatch(lines[1]):
        return None
    m = _MASTHEAD.fullmatch(_TAGLINE.split(lines[0], maxsplit=1)[0])
    return _trim_site(m.group("n")) if m else None


def _registered_weight(name: str, n: int) -> float:
    """Evidence of a registered outlet printed n times in the page furniture. An acronym
    ("FDA", "CNA") is as often a citation or a common noun, so it needs more support."""
    acronym = name.isupper() and len(name) <= 4
    return (1.5 if acronym else 3.0) + 0.5 * min(n - 1, 3)


def _not_story(v: _View) -> list[str]:
    """The page's lines minus the story's sentences (which cite other outlets: "CNN
    reported"): furniture lines, headings and the closing paragraphs (author and site
    notes)."""
    return [b.text for i, b in enumerate(v.blocks)
            if b.role not in BODY_ROLES or i >= v.last_body - 2
            or b.text.rstrip()[-1:] not in ".!?\"”’"]


def _furniture(v: _View) -> list[str]:
    """The page around the story: its non-body lines plus the last body paragraphs (author
    notes) and paragraphs where the site speaks as "we" ("At X, we ..."). A site names
    itself there, and scanning less is faster."""
    return [b.text for i, b in enumerate(v.blocks)
            if b.role != "body" or len(b.text) < 120 or i >= v.last_body - 3
            or ", we" in b.text or ", our" in b.text]


_SUFFIX_SEPS = (" | ", " – ", " — ", " - ")


def _suffix_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, head, site) of every "Headline | Site" shaped line. Separators are
    found by a C-level search for their middle character each (a search for the spaces
    around it stops at every space); only the few lines holding one are looked at."""
    starts: set[int] = set()
    for sep in _SUFFIX_SEPS:
        at = text.find(sep[1])
        while at >= 0:
            if not (at and text[at - 1 : at + 2] == sep):
                at = text.find(sep[1], at + 1)
                continue
            starts.add(text.rfind("\n", 0, at) + 1)
            end = text.find("\n", at)  # (the rest of the line holds it or not: skipped)
            at = text.find(sep[1], end) if end >= 0 else -1
    out = []
    for start in sorted(starts):
        end = text.find("\n", start)
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
        found = header.credit_agencies(b.text)
        if (found is None and b.role != "byline") or header.is_photo_credit(b.text):
            continue  # no credit, or a photo's
        add(found if found is not None else header.parse_byline(b.text).agencies)
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
    # (after the body, distance, index): on equal distance the upper line first
    return [i for _, _, i in sorted([(i > last, min(abs(i - a), abs(i - b)), i) for i in idx])]


def _meta_candidate(b: Block) -> bool:
    """Header blocks may be mislabelled (a meta line taken for the title or a heading); a
    long body paragraph or a caption never is one."""
    return b.role != "caption" and not (b.role in BODY_ROLES and len(b.text) > 140)


def _authors(v: _View, dl: header.Dateline | None, title: str | None = None) -> list[str]:
    """The article's writers (see `_find_authors`), each as its author box prints it."""
    names = _find_authors(v, dl, title)
    if any(len(n.split()) >= 3 for n in names):
        lines = {b.text.strip() for b in v.blocks}
        names = list(dict.fromkeys(_printed_prefix(n, lines) for n in names))
    return names


def _printed_prefix(name: str, lines: set[str]) -> str:
    """"Harsh Vaibhav Global Commons" (a byline run into its section) -> "Harsh Vaibhav",
    when the page prints that alone on a line (the author box) and not the whole."""
    words = name.split()
    if name in lines:
        return name
    for k in range(len(words) - 1, 1, -1):
        if " ".join(words[:k]) in lines:
            return " ".join(words[:k])
    return name


def _find_authors(v: _View, dl: header.Dateline | None, title: str | None) -> list[str]:
    """The article's writers: bylines and author lines of the header first (bylines, the
    dateline's names, "By" labels, "Name • date" lines), then those at the article's end
    (a byline after the story; related-post bylines come later in the footer), then bare
    name lines by the date, author boxes and author notes, and last the owner a personal
    site's masthead names. A header byline that credits no person ("By Our Editors") means
    no author rather than a weaker guess."""
    zone = {i: k for k, i in enumerate(v.zone)}
    above = v.title_at if v.title_at >= 0 else v.first_body
    tail = v.last_body - TAIL_BYLINE
    # a "Posted By:" line closes the story though the crossheads of a related-posts list
    # follow it: counted in paragraphs
    prose = v.by_role.get("body", [])
    led = prose[-TAIL_BYLINE] if len(prose) >= TAIL_BYLINE else tail
    closing = {i for i in v.by_role.get("byline", []) if i >= v.first_body and (
        i >= tail or (i >= led and _BY_LEAD.match(v.blocks[i].text)))}
    bylines = [i for i in v.by_role.get("byline", []) if i in zone
               or above - BYLINE_REACH <= i < above or (i in closing and i <= v.last_body)]
    head = [i for i in bylines if i not in closing]
    foot = [i for i in bylines if i in closing]
    out, credited = _first_byline(
        v, sorted(head, key=lambda i: (i not in zone, zone.get(i, 0), -i)))
    if dl is not None:
        out += [n for n in dl.authors if n not in out]
    if out:
        return out
    out = _zone_evidence(v, [i for i in v.zone if i < tail or i < v.first_body])
    if out:
        return out
    out = _labelled_above(v, above)
    if out:
        return out
    out, credited_end = _first_byline(v, sorted(foot, key=lambda i: (i in zone, zone.get(i, 0))))
    if out:
        return out
    out = _zone_evidence(v, [i for i in v.zone if i >= tail and i >= v.first_body])
    if out or credited or credited_end:
        return out
    return (_name_next_to_date(v, title) or _author_card(v) or _bio_author(v)
            or _labelled_box(v) or _site_owner(v))


TAIL_BYLINE = 3  # body blocks before the story's end where a byline closes the article


def _first_byline(v: _View, order: list[int]) -> tuple[list[str], bool]:
    """(names of the first byline in `order` that has any, whether a byline with a "By"
    lead credited no person before it: "By Our Editors", "By ASU Online")."""
    credited = False
    for i in order:
        text = v.blocks[i].text
        out = list(_byline_authors(text))
        if out:
            return out, credited
        credited = credited or _nonperson_credit(text)
    return [], credited


def _nonperson_credit(text: str) -> bool:
    """"By Our Editors", "by BBK Web": a writer's credit with a lead, to no person."""
    lead = _BY_LEAD.match(text)
    if not lead or registry().other_credit.match(text):
        return False
    rest = _BY_TAIL.split(text[lead.end():], maxsplit=1)[0].strip(" .:;")
    return 0 < len(rest.split()) <= 4 and not header.find_dates(rest)


def _labelled_above(v: _View, above: int) -> list[str]:
    """An author box over the headline, beyond the header zone: an "Author" label and the
    name on the next line, within BYLINE_REACH (weaker lines that far up are the site's
    furniture)."""
    for i in range(above - 1, max(-1, above - BYLINE_REACH - 2), -1):
        b = v.blocks[i]
        if header.is_byline_label(b.text) and not registry().other_credit.match(b.text):
            return _labelled_name(v.blocks, i)
    return []


def _labelled_name(blocks: list[Block], i: int) -> list[str]:
    """The name a "By" label at block i introduces: on the next line, or on the one after
    when the post's categories sit between ("By" / "Wedding Planning" / "Naoise McNally")."""
    for b in [b for b in blocks[i + 1 : i + 4] if b.text.strip()][:2]:
        if b.role == "caption" or _credits_group(b.text):
            return []
        names = _persons(_name_line(b.text), whole_line=True)
        if names:
            return list(names)
    return []


def _credits_group(text: str) -> bool:
    """"Great Day Editorial Team": the credit a label introduces names no person (what
    follows a separator may be the person's outlet: "Jane Doe | The Texas Newsroom")."""
    head = _LIST_HEAD.split(text.strip(), maxsplit=1)[0]
    return not registry().not_author.isdisjoint(w.lower().strip(".:") for w in head.split())


def _labelled_box(v: _View) -> list[str]:
    """The author box anywhere after the story (past the comments): a "Written by" label,
    the name on the next line and a note of a dozen words or more under it."""
    blocks = v.blocks
    for i in range(v.last_body + 1, len(blocks) - 2):
        text = blocks[i].text
        if (len(text) > 14 or not header.is_byline_label(text)
                or registry().other_credit.match(text)):
            continue
        name, note = blocks[i + 1].text, blocks[i + 2].text
        names = _persons(_name_line(name), whole_line=True)
        if len(names) == 1 and len(note.split()) >= 12:
            return list(names)
    return []


def _zone_evidence(v: _View, order: list[int]) -> list[str]:
    """Names from the author lines among the blocks in `order`: a byline, a "By" label with
    the name on the next line, a "Name • date" line."""
    out: list[str] = []
    for i in order:
        b = v.blocks[i]
        if b.role == "caption" or (len(b.text) > 140 and b.role in BODY_ROLES):
            continue  # not a meta candidate
        kind, names = _author_evidence(b.text)
        if kind == "label":
            if not registry().other_credit.match(b.text):
                out += _labelled_name(v.blocks, i)
        elif names:
            out += [n for n in names if n not in out]
        if out:
            return out
    return out


_HONORIFIC = re.compile(r"(?i)^(?:dr|mr|mrs|ms|prof)\.?\s+")
_BY_LEAD = re.compile(
    r"(?i)^\W*(?:(?:written|posted|published|words|story|text|reporting)\s+)?by\s*:?\s+")
_BY_TAIL = re.compile(
    rf"\s+\d|\s+[{header.BULLETS}–—]|\s+-\s|\s+on\s|\s+\(|{header.MISDECODED_SEP}")
_NAME_LIST = re.compile(r"\s*(?:,|&|\band\b)\s*")
_HAS_BY = re.compile(r"(?i)\bby\b|^\W*(?:authors?|writer|autor|auteur)\s*:")
_MONTH_WORDS = frozenset(m.lower() for m in header.MONTHS)
BYLINE_REACH = 8  # a byline this far above the headline is still the article's


_LIST_HEAD = re.compile(rf"\s*(?:[{header.BULLETS},;–—(]| - )")
_JOINERS = frozenset({"and", "&", "with", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms",
                      "ms.", "prof", "prof."})


def _names_only(line: str, names: list[str]) -> bool:
    """The line up to its first separator is the names and nothing else: "Zero-Knowledge
    Proofs in Blockchain Finance: ..." is a headline, though "Zero-Knowledge Proofs" could
    pass for a name."""
    head = _LIST_HEAD.split(line.strip(), maxsplit=1)[0].split()
    rest = [w for w in head if w.lower() not in _JOINERS]
    return len(rest) == sum(len(n.split()) for n in names)


def _role_cut(name: str) -> str | None:
    """A name without the role that follows it ("Celeste Longacre Gardener" -> "Celeste
    Longacre"); None when the role starts within its first two words ("Master Gardener",
    "Product Analytics Expert"): a job title or a label, not a person."""
    words = name.split()
    not_author = registry().not_author
    for j, w in enumerate(words):
        if w.lower().strip(".,:;()") in not_author:
            return " ".join(words[:j]) if j >= 2 else None
    return name


@lru_cache(maxsize=1 << 14)
def _persons(names: tuple[str, ...], whole_line: bool) -> tuple[str, ...]:
    """The person names of an author line. In a bare name line (`whole_line`: no "By"), one
    role or one lone word means the line is a title or a label, so it gives none."""
    out: list[str] = []
    for n in names:
        cut = _role_cut(n)
        if whole_line and (cut != n or len(n.split()) < 2):
            return ()
        if cut and cut not in out:
            out.append(cut)
    return tuple(out)


@lru_cache(maxsize=1 << 14)
def _byline_authors(text: str) -> tuple[str, ...]:
    """The writers a byline credits: not an editor's or reviewer's credit ("Edited by X");
    not a role ("Written By: Catherine Boeckmann Executive Digital Editor and Master
    Gardener" -> Catherine Boeckmann); all co-authors of a comma list ("By A, B, and C");
    a bare name line labelled byline only when every part of it is a name."""
    if registry().other_credit.match(text):
        return ()
    if not _HAS_BY.search(text):
        return _persons(_name_line(text), whole_line=True)
    names = list(_persons(header.parse_byline(text).authors, whole_line=False))
    lead = _BY_LEAD.match(text)
    if lead:
        rest = _BY_TAIL.split(text[lead.end():], maxsplit=1)[0]
        dates = header.find_dates(rest)
        rest = rest[: dates[0].start] if dates else rest
        for chunk in _NAME_LIST.split(rest):
            chunk = _HONORIFIC.sub("", chunk.strip(" .:;"))
            if not chunk:
                continue
            cut = _role_cut(chunk)
            if (not cut or not 2 <= len(cut.split()) <= 4 or not header.looks_like_person(cut)
                    or cut.split()[-1].lower().strip(".") in _MONTH_WORDS
                    or any(cut.startswith(n + " ") for n in names)):
                break  # "Colin Gray Colin Gray", "Jill Barshay August": not another name
            if cut not in names:
                names.append(cut)
            if cut != chunk:
                break  # a role follows the name: the list has ended
    return tuple(names)


@lru_cache(maxsize=1 << 15)
def _author_evidence(text: str) -> tuple[str, tuple[str, ...]]:
    """("byline", names) for a byline, ("label", ()) for a lone "By" (the name is on the
    next line), else ("meta", names of a "Name • date" line). Cached by line."""
    if header.is_byline(text):
        return "byline", _byline_authors(text)
    if header.is_byline_label(text):
        return "label", ()
    opening = text[:9].lower()
    if ((m := _ABOUT_AUTHOR_NAME.match(text) if "about" in opening or "meet" in opening
         else None) and header.looks_like_person(m["name"])):
        return "byline", (m["name"],)  # the label makes a lone first name an author
    ml = header.parse_meta_line(text)
    if ml and ml.authors and text.count(" / ") < 2:
        # ("November 28, 2025 / Living Healthy / Wellness": categories.) "Camille
        # Cunningham 25 March 2025 Google algorithm, Holistic SEO": after a name, what
        # follows the date is tags
        flat = " ".join(text.split())
        before = [n for n in ml.authors if 0 <= flat.find(n) < ml.date.start]
        names = _persons(tuple(before) or ml.authors, whole_line=False)
        if names:
            return "meta", names
    return "meta", _late_by(text) or _role_tagged(text)


_TAG_JOINERS = frozenset({"and", "&", "of", "at", "for", "guest", "freelance"})


def _role_tagged(text: str) -> tuple[str, ...]:
    """The names of a name line tagged with their job after a separator ("Manoj Jain and
    Jagpreet Chhatwal | Guest Columnists", "Jane Doe, Senior Editor"): an author line
    without "By". Only a job title makes it one; "Shelia R. Cotten, Clemson University"
    may be a quoted expert's caption."""
    parts = _LIST_HEAD.split(text.strip(), maxsplit=1)
    if len(parts) < 2 or len(text) > 100:
        return ()
    reg = registry()
    tail = [w.lower().strip(".,:;()") for w in parts[1].split()]
    if not (0 < len(tail) <= 5 and not reg.job_titles.isdisjoint(tail)
            and all(w in reg.not_author or w in _TAG_JOINERS for w in tail)):
        return ()
    return _persons(_name_line(parts[0]), whole_line=True)


_ABOUT_AUTHOR_NAME = re.compile(
    r"(?i)^\W*(?:about|meet)\s+the\s+(?:author|writer)\s*[:\-–—]\s*(?P<name>[^\W\d_][\w'’.-]*"
    r"(?:\s+[^\W\d_][\w'’.-]*){0,3})\s*$")
_BY_INSIDE = re.compile(r"\b(?:by|By|BY):?\s+(?=[A-ZÀ-ÖØ-Þ])")
_SENTENCE_END = ".!?" + header.BULLETS


def _late_by(text: str) -> tuple[str, ...]:
    """The writers of a "by" credit inside a header line, after a date ("Published: Mar 8,
    2024 · Modified: May 19, 2025 by Jessica Robinson · ..."), after the standfirst's last
    sentence ("... and Canada. By Lisa Jennings on Dec. 19, 2025") or after one lead word
    ("Guide by Will Judd"); not another credit ("Photo by X"), nor "by" in prose."""
    if len(text) > 300 or ("by" not in text and "By" not in text and "BY" not in text):
        return ()
    for m in _BY_INSIDE.finditer(text):
        prefix = text[: m.start()].rstrip()
        words = prefix.split()
        if not words:
            continue
        lead_word = len(words) == 1 and words[0].isalpha() and words[0][0].isupper()
        if not (lead_word or prefix[-1] in _SENTENCE_END or _ends_with_date(prefix)):
            continue
        if any(registry().other_credit.match(" ".join(words[-k:]) + " by") for k in (1, 2)):
            continue
        rest = text[m.end() :]
        names = _byline_authors("By " + rest)
        if names and rest.startswith(names[0]) and all(" " in n for n in names):
            return names
    return ()


def _ends_with_date(text: str) -> bool:
    """The text ends with a date ("Modified: May 19, 2025")."""
    dates = header.find_dates(text)
    return bool(dates) and not text[dates[-1].end :].strip(" ,;")


@lru_cache(maxsize=1 << 15)
def _name_line(text: str) -> tuple[str, ...]:
    return tuple(header.name_line(text))


# "7 min read", "Lesezeit: 4 Min.": the header's other meta line, which a byline sits by
_READING_TIME = re.compile(
    r"(?i)^\W*(?:\d{1,3}\s*(?:min(?:ute)?s?\.?|minuten|minutos|minuti)\s*(?:read|de lecture|"
    r"de lectura|de leitura|di lettura|lesezeit|leestijd)|(?:reading time|lesezeit|temps de "
    r"lecture|tiempo de lectura|tempo de leitura|leestijd)\s*:?\s*\d{1,3}\s*min)")


def _name_next_to_date(v: _View, title: str | None = None) -> list[str]:
    """A bare name line ("Andrew King", "Dylan Bailey, MS, RD") right next to the date line
    (or the reading time) of the header: the common blog/magazine byline without "By". Not
    the headline printed again, the site's name, a role or a label ("Product Analytics
    Expert", "All Posts")."""
    blocks = v.blocks
    dated = {i for i in v.zone if blocks[i].role == "date" or (
        len(blocks[i].text) < 90 and header.parse_date_line(blocks[i].text))}
    # a related post's reading time after the story is no article's meta line
    dated |= {i for i in v.zone if i < v.first_body and _READING_TIME.match(blocks[i].text)}
    page: list[str] = []
    # a "headline" that is a bare name right over the first paragraph (and its dateline)
    # is the byline of a page that prints no headline
    lead = v.first_body - 1
    if lead >= 0 and blocks[lead].role == "dateline":
        lead -= 1
    if lead != v.title_at:
        lead = -1
    for i in v.zone:
        b = blocks[i]
        if (b.role in ("dateline", "credit", "caption") or (b.role == "title" and i != lead)
                or len(b.text) > 80 or i in dated or b.text.isupper()):
            continue  # "NEW YORK" next to the headline is a place, not a name
        # the line under the headline works like one next to the date (a line over it is
        # more often a section label)
        if not (i - 1 in dated or i + 1 in dated or i - 2 in dated or i + 2 in dated
                or 0 <= i - v.title_at <= 2 or i == lead):
            continue
        names = _persons(_name_line(b.text), whole_line=True) or _titled_surname(b.text)
        if not names or not all(len(n.split()) <= 4 for n in names) or not _names_only(
                b.text, names):
            continue
        if title and b.text.strip() == title and i != lead:
            continue  # the headline printed again
        if any(canonical_outlet(n) != n or n in registry().by_alias for n in names):
            continue
        if not page:
            page.append("\n".join(b.text for b in blocks))
        if i == lead and not (
                len(names) == 1 and len(names[0].split()) <= 3
                and not any(_printed_alone(page[0], w.lower()) for w in names[0].split())):
            continue  # a headline in its place: only a plain name, no word of it in prose
        if not any(_common_phrase(n, page[0]) for n in names):
            return list(names)
    return []


_TITLED = re.compile(r"^(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+(?P<name>[A-ZÀ-ÖØ-Þ][\w'’-]+)$")


def _titled_surname(text: str) -> tuple[str, ...]:
    """"Dr. Allen": a surname after an honorific is a person, though it is one word."""
    if text.lstrip()[:1] not in ("D", "M", "P"):
        return ()
    m = _TITLED.match(text.strip())
    return (m["name"],) if m and header.looks_like_person(m["name"]) else ()


_ABOUT_AUTHOR = re.compile(r"(?i)^\W*(?:about|meet)?\s*the\s+(?:author|writer)s?\W*$")
_ABOUT_NAME = re.compile(r"^\W*About\s+(?P<name>[A-ZÀ-Ö].{2,40})$")
CARD_REACH = 15  # an author box sits this close to the end of the article


@lru_cache(maxsize=1 << 15)
def _card_line(text: str) -> tuple[bool, str | None, bool]:
    """(a job title line: "SEO Writer", "VP - Technology"; the name of an "About Amar
    Hussain" line; an "About the author" label). Cached by line."""
    s = text.strip()
    if len(s) > 60:
        return False, None, False
    words = [w.lower().strip(".,:;()") for w in s.split()]
    label = bool(_ABOUT_AUTHOR.match(s))
    role = 0 < len(words) <= 6 and not label and not registry().job_titles.isdisjoint(words)
    about = _ABOUT_NAME.match(s)
    return role, about["name"] if about else None, label


def _author_card(v: _View) -> list[str]:
    """The author box of a page that prints no byline: a name line over a job title ("Elena
    Linker" / "Marketing Operations Analyst"), a name under "About the author", or "About
    Amar Hussain" over a note that speaks of him; in the header or at the article's end."""
    blocks = v.blocks
    n = len(blocks)
    end = range(max(1, v.last_body - CARD_REACH), min(n - 1, v.last_body + CARD_REACH))
    page = ""
    for i in (*v.zone[:HEADER_WINDOW], *end):
        b = blocks[i]
        if len(b.text) > 60 or b.role == "caption" or not 0 < i < n - 1:
            continue
        role, about, _ = _card_line(b.text)
        nxt = blocks[i + 1].text
        if about:
            if not nxt.startswith(about.split()[0] + " "):
                continue
            names = _persons(_name_line(about), whole_line=True)
        elif not role and _card_line(nxt)[0]:
            names = _persons(_name_line(b.text), whole_line=True)
        elif _card_label(blocks[i - 1].text):
            names = _persons(_name_line(_job_cut(b.text)), whole_line=True)
        elif (not role and len(nxt) > 60 and 2 <= len(b.text.split()) <= 4
              and _speaks_of(b.text.split()[0], nxt)):
            names = _persons(_name_line(b.text), whole_line=True)  # over a note on them
        else:
            continue
        if len(names) == 1 and len(names[0].split()) <= 4 and not names[0].isupper():
            page = page or "\n".join(b.text for b in blocks)
            if not _common_phrase(names[0], page):
                return list(names)
    return []


def _job_cut(text: str) -> str:
    """An author box's name line without the job it prints after the name ("Emma Ryan
    Writer" -> "Emma Ryan"); "" when another word cuts it ("Great Day Editorial Team")."""
    cut = _role_cut(text)
    if cut == text:
        return text
    job = text.split()[len(cut.split())].lower().strip(".,:;()") if cut else ""
    return cut if cut and job in registry().job_titles else ""


@lru_cache(maxsize=1 << 15)
def _card_label(text: str) -> bool:
    """"About the author", "Written by:": the label over an author box's name line (cached:
    every line of the author box's reach is asked)."""
    return _card_line(text)[2] or (header.is_byline_label(text)
                                   and not registry().other_credit.match(text))


_BIO_VERBS = r"(?:is|was|has|had|holds|brings|joined|writes|covers|lives|spent|specializes)"


def _speaks_of(first: str, text: str) -> bool:
    """A note about the person whose first name is `first` ("With over seven years at X,
    Mike has played ..."): what follows a name line in an author box."""
    if not first[:1].isupper() or first not in text[:300]:
        return False
    return bool(re.search(r"\b" + re.escape(first) + r"(?: [A-Z][\w'’-]+)? " + _BIO_VERBS
                          + r"\b", text[:300]))


_BIO = re.compile(
    r"^(?P<name>[A-ZÀ-Ö][\w'’.-]+(?: [A-ZÀ-Ö][\w'’.-]+){1,3})(?: \(@\w+\))?,? "
    r"(?:is|was|has been|has|writes|covers|joined)\b")
_ABOUT_PREFIX = re.compile(r"(?i)^\W*about the (?:author|writer)\W*\s+")
_BIO_ROLE = re.compile(r"(?i)\b(?:writer|editor|reporter|journalist|author|contributor|"
                       r"correspondent|columnist|freelance|staff|writes|reviewer|blogger)")
BIO_REACH = 4  # an author note this close to the story's end (or in the header) is its own


def _bio_author(v: _View) -> list[str]:
    """The author note under a story ("Eduard Kovacs (@EduardKovacs) is the managing editor
    at SecurityWeek.") or over it, in the header's author box: a page that prints no byline
    often credits its writer there."""
    n = len(v.blocks)
    end = range(max(0, v.last_body - BIO_REACH), n)
    top = range(max(0, v.first_body - HEADER_WINDOW), min(n, v.first_body + 1))
    for i in (*end, *top):
        b = v.blocks[i]
        if len(b.text) > 600 or b.role == "caption":
            continue
        names = _bio_names(b.text)
        if names:
            return list(names)
    return []


@lru_cache(maxsize=1 << 14)
def _bio_names(text: str) -> tuple[str, ...]:
    """The writer an author note names (see `_bio_author`), else (); cached by line: the
    footer lines it looks at recur on every page of a site."""
    text = _ABOUT_PREFIX.sub("", text) if text[:6].lower() == "about " else text
    if not text[:1].isupper():
        return ()  # both notes open with the name
    m = _BIO.match(text)
    if m and _BIO_ROLE.search(m.string, m.end(), m.end() + 160):
        names = header.split_names(m.group("name"))
        if len(names) == 1:
            return tuple(names)
    m = _BIO_LABEL.match(text) if ":" in text[:60] else None
    if m and _speaks_of(m["name"].split()[0], text[m.end() :]):
        names = header.split_names(m["name"])
        if len(names) == 1 and " " in names[0]:
            return tuple(names)
    return ()


_OWN_SITE = re.compile(
    r"(?i)^(?P<name>[^\W\d_][\w'’.-]*(?: [^\W\d_][\w'’.-]*){1,2})['’]s?(?: \w+)? (?:blog|weblog|"
    r"website|site|homepage|journal|notebook|newsletter)$")
_FIRST_PERSON = re.compile(r"\b(?:I|my|My|me)\b")
FIRST_PERSON_MIN = 5  # "I", "my", "me" this often in the article's opening: a personal post
OWNER_BODY_CHARS = 3000  # the opening of the article where that is counted


def _site_owner(v: _View) -> list[str]:
    """The owner of a personal site, whose masthead (the page's first line) or menu ("About
    Melissa Neill", above the headline) names a person: a possessive masthead ("Colin
    Watson's blog") says so itself; a plain name ("Owain Brennan") when the article is told
    in the first person."""
    top = next((b.text.strip() for b in v.blocks if b.text.strip()), "")
    own = _OWN_SITE.match(top) if len(top) <= 60 else None
    if own:
        return _owner_name(v, own["name"])
    above = v.title_at if v.title_at >= 0 else v.first_body
    menu = [m["name"] for b in v.blocks[:above] if b.text[:6] == "About "
            and (m := _ABOUT_NAME.match(b.text.strip()))]
    names = next((n for line in (top, *menu) if (n := _owner_name(v, line))), [])
    if names:
        body = v.by_role.get("body", [])
        opening = "\n".join(v.blocks[i].text for i in body[:40])[:OWNER_BODY_CHARS]
        if len(_FIRST_PERSON.findall(opening)) < FIRST_PERSON_MIN:
            return []
    return names


def _owner_name(v: _View, line: str) -> list[str]:
    """`line` as the one person name of a site's owner: two or three words, no menu word
    ("Shop Websites") and none the page prints in lower case ("Coffee Facts")."""
    names = _persons(_name_line(line), whole_line=True) if len(line) <= 60 else ()
    if len(names) != 1 or names[0] != line or not 2 <= len(line.split()) <= 3:
        return []
    reg = registry()
    words = line.split()
    if any(w.lower() in reg.not_outlet or w.lower() in reg.not_author for w in words) or (
            canonical_outlet(line) != line or line in reg.by_alias):
        return []
    page = "\n".join(b.text for b in v.blocks)
    return [] if any(_printed_alone(page, w.lower()) for w in words) else [line]


# "David Gracey: Since its founding in 1998, David has grown ...": a note under its name
_BIO_LABEL = re.compile(r"^(?P<name>[A-ZÀ-Ö][\w'’.-]+(?: [A-ZÀ-Ö][\w'’.-]+){1,2}): ")


def _common_phrase(name: str, text: str) -> bool:
    """"All Posts", "Keyword Research", "Book Now": a capitalised line whose every word the
    page `text` also prints in lower case is a phrase (a menu item, a crosshead), not a
    person."""
    for word in name.split():
        low = word.lower()
        if low == word or not _printed_alone(text, low):
            return False
    return True


def _printed_alone(text: str, word: str) -> bool:
    """`word` occurs in `text` with no word character or hyphen on either side."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        before = text[at - 1] if at else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "_-" or after.isalnum() or after in "_-"):
            return True
        at = text.find(word, at + 1)
    return False


def _date(v: _View, dl: header.Dateline | None) -> ParsedDate | None:
    """The publication date: date blocks and meta lines of the header zone (nearest to the
    article start first), the dateline's date, then date blocks anywhere."""
    for i in v.zone:
        b = v.blocks[i]
        if b.role == "caption" or (len(b.text) > 140 and b.role in BODY_ROLES):
            continue  # not a meta candidate
        pd = _dated_line(b.text, b.role == "date" or len(b.text) < 90)
        if pd is not None:
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


@lru_cache(maxsize=1 << 15)
def _dated_line(text: str, date_line: bool) -> ParsedDate | None:
    """The full date (with a year) of a date line (`date_line`: a short line or one
    labelled date) or of a "Name • date" meta line; cached by line."""
    pd = header.parse_date_line(text) if date_line else None
    if pd is None or pd.year is None:
        ml = header.parse_meta_line(text)
        pd = ml.date if ml else pd
    return pd if pd is not None and pd.year is not None else None


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

# the columns propagation may change (all but doc_id and cluster_id)
PROPAGATED_COLUMNS = tuple(META_SCHEMA.names[2:])


def _month_day(date_text: str | None) -> tuple[int, int | None] | None:
    if not date_text:
        return None
    ds = header.find_dates(date_text)
    return (ds[0].month, ds[0].day) if ds else None


def _ordinals(dates: list[date]) -> np.ndarray:
    """Dates as sorted day numbers, for window counts by binary search."""
    return np.sort(np.fromiter((d.toordinal() for d in dates), dtype=np.int64, count=len(dates)))


def _infer_year(month: int, day: int | None, dated: np.ndarray) -> int | None:
    """The year of the dated evidence (sorted day numbers) closest to month/day (within ~2
    months), by vote: two binary searches a candidate year, not a pass over the evidence."""
    if not len(dated):
        return None
    votes: Counter[int] = Counter()
    first, last = date.fromordinal(int(dated[0])).year, date.fromordinal(int(dated[-1])).year
    for y in range(first - 1, last + 2):
        try:
            cand = date(y, month, day or 15).toordinal()
        except ValueError:
            continue
        n = int(np.searchsorted(dated, cand + 60, "right") - np.searchsorted(dated, cand - 60))
        if n:
            votes[y] = n
    if not votes:
        return None
    (best, n), *rest = [*votes.most_common(2), (0, 0)]
    return best if n > rest[0][1] else None


def _needs_propagation(meta: pa.Table) -> np.ndarray:
    """Rows that propagation can change: copies in a cluster of several, and documents
    with a printed date that lacks its year. Only these become Python objects (a million
    rows as dicts would cost GBs)."""
    cluster = pc.coalesce(meta["cluster_id"], meta["doc_id"])
    counts = pc.value_counts(cluster).flatten()
    size = pc.take(counts[1], pc.index_in(cluster, value_set=counts[0]))
    yearless = pc.and_(pc.is_null(meta["published_date"]), pc.is_valid(meta["date_text"]))
    return pc.or_(pc.greater(size, 1), yearless).to_numpy(zero_copy_only=False)


def propagate(meta: pa.Table) -> pa.Table:
    """Share wire agencies and dates across syndication clusters; infer missing years.

    Input/output columns: META_SCHEMA, rows in input order. A copy without an agency credit
    takes the union of its cluster mates' agencies (propagated += "agencies"); a copy
    without a date takes the cluster's dated evidence (date_source "propagated"). A
    year-less date ("May 13") takes its year from the cluster's dated copies, else from the
    run's dated documents near that day (date_source "inferred_year").
    """
    meta = meta.select(META_SCHEMA.names).cast(META_SCHEMA)
    if meta.num_rows == 0:
        return meta
    printed = meta.filter(pc.equal(meta["date_source"], "printed"))["published_date"]
    run_dates = _ordinals([d for d in printed.to_pylist() if d])
    need = _needs_propagation(meta)
    rows = meta.filter(pa.array(need)).to_pylist()
    clusters: dict[str, list[dict]] = {}
    for r in rows:
        r["agencies"] = list(r["agencies"] or [])
        r["propagated"] = list(r["propagated"] or [])
        clusters.setdefault(r["cluster_id"] or r["doc_id"], []).append(r)
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
                year = _infer_year(md[0], md[1], _ordinals([d["published_date"] for d in dated]))
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
    # changed rows back in their places: one stable sort on the original row numbers
    order = np.r_[np.flatnonzero(~need), np.flatnonzero(need)]
    out = pa.concat_tables([meta.filter(pa.array(~need)),
                            pa.Table.from_pylist(rows, schema=META_SCHEMA)])
    return out.take(np.argsort(order, kind="stable"))


# ------------------------------------------------------------------------------------------
# Outlet evidence: where a site names itself in its own page furniture
# ------------------------------------------------------------------------------------------

# a site name as printed: capitalised words (or "iRunFar"/"eBay" forms, domains, "&"),
# joined by spaces and a few lower-case connectives ("Guide to Iceland"); {SITE} in the
# patterns of the self-naming cues (rules/outlets.toml), as _NETWORK is {NETWORK}
_SITE = (r"(?P<n>(?:[A-Z0-9]|[a-z]{1,2}[A-Z])[\w'’.&+-]*(?:[ ](?:(?:of|on|to|for|and|the|in)"
         r"[ ])?(?:[A-Z0-9&]|[a-z]{1,2}[A-Z])[\w'’.&+-]*){0,5})")
_NETWORK = r"(?:Facebook|Twitter|Instagram|LinkedIn|YouTube|TikTok|Flipboard|Threads|Bluesky|X)\b"
# a bare name line among the first lines of a page: its masthead
_MASTHEAD = re.compile(r"(?m)^(?i:the )?" + _SITE + r"$")
_TLD = re.compile(r"\.(?:com|org|net|co|io|in|news|media|blog|info|us|uk|ca|au|de|fr|edu)"
                  r"(?![\w-])", re.I)
_LABEL = re.compile(r"([a-z0-9][a-z0-9-]{1,40})$", re.I)


def _domain_labels(text: str) -> set[str]:
    """Second-level labels of the domains and e-mail addresses printed on the page
    ("TheAtlantic.com", "info@driving-tests.org" -> "theatlantic", "drivingtests"); a
    domain ending opening a line has none (the line above is another line)."""
    out: set[str] = set()
    for m in _TLD.finditer(text):
        if m.start() and text[m.start() - 1] != "\n":
            lab = _LABEL.search(text, max(0, m.start() - 41), m.start())
            if lab:
                out.add(lab.group(1).lower().replace("-", ""))
    return out


def _lower_lines(text: str, lines: list[str]) -> str:
    """The page lower-cased for the cue words, character for character (a line with one
    of the few characters that change length when lower-cased stays as printed)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "\n".join(x if len(x := line.lower()) == len(line) else line for line in lines)


def _lower_bytes(text: str, lines: list[str], ascii_words: bool) -> bytes:
    """The UTF-8 bytes of `_lower_lines`, as far as `ascii_words` are concerned: the page's
    bytes with ASCII lower-cased hold an ASCII word exactly where the lower-cased text does
    (as in `_FoldedPage`), and cost far less than lower-casing non-ASCII text, unless the
    page prints a character of _LOWER_TO_ASCII."""
    if not ascii_words or any(c in text for c in _LOWER_TO_ASCII):
        return _lower_lines(text, lines).encode("utf-8", "surrogatepass")
    return text.encode("utf-8", "surrogatepass").lower()


@lru_cache(maxsize=1 << 15)
def _cue_names(line: str, mask: int) -> tuple[tuple[int, str], ...]:
    """(cue, site name) of the cues in `mask` (bit k: cue k) whose patterns match the line;
    cached, as a site's furniture lines recur on every page."""
    patterns = registry().cues.patterns
    out = []
    k = 0
    while mask:
        if mask & 1 and (m := patterns[k].search(line)) and (name := _trim_site(m["n"])):
            out.append((k, name))
        mask >>= 1
        k += 1
    return tuple(out)


_SQUASH = re.compile(r"[^0-9a-z]+")
TOP_LINES = 4  # a bare name among the first lines of a page is its masthead


def _squash(name: str) -> str:
    """Letters and digits only, lower case: "Driving-Tests.org" -> "drivingtestsorg"."""
    return _SQUASH.sub("", name.lower())


def _domain_match(name: str, labels: set[str]) -> bool:
    """The name is the site's domain spelled out ("The Atlantic" ~ theatlantic.com) or its
    initials ("British Heart Foundation" ~ bhf.org.uk)."""
    sq, sq_noart, initials = _domain_forms(name)
    return bool(sq and (sq in labels or sq_noart in labels
                        or (len(initials) >= 3 and initials in labels)))


@lru_cache(maxsize=1 << 14)
def _domain_forms(name: str) -> tuple[str, str, str]:
    """How a site name is spelled in a domain: squashed, squashed without "The", initials."""
    words = [w for w in re.split(r"[\s.]+", name) if w]
    if words and words[-1].lower() in ("com", "org", "net", "io", "co"):
        words = words[:-1]
    sq = _squash(" ".join(words))
    sq_noart = _squash(" ".join(words[1:])) if words and words[0].lower() == "the" else sq
    initials = "".join(w[0].lower() for w in words if w[0].isalnum())
    return sq, sq_noart, initials


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
    """The name without a possessive or a legal form ("At Example LLC, we" -> "Example", as
    the copyright line gives it), unless the registry knows it with one."""
    name = re.sub(r"(?:'s|’s|'|’)$", "", name.strip(" .,:;!?-–—|®™")).strip()
    if name not in registry().by_alias:
        name = _LEGAL.sub("", name).strip(" .,")
    return name or None


def self_named_site(text: str | list[str], extra: dict[str, float] | None = None,
                    skip: frozenset[str] = frozenset(),
                    registered: frozenset[str] = frozenset()) -> str | None:
    """The site's own name from how a page (its text or lines) speaks of itself: "About X",
    "Why trust X", "editor at X", "X may earn a commission", a masthead line, repeated with
    the domain.

    Each candidate collects the weights of its cues, a bonus when it spells the page's
    domain, and a little for each further mention; the best one above the bar wins. Better
    no outlet than a navigation word or a parent company."""
    reg = registry()
    lines = text.split("\n") if isinstance(text, str) else text
    text = "\n".join(lines)
    score: dict[str, float] = dict(extra or {})
    counts: dict[str, int] = {}
    kinds: dict[str, set[int]] = {}  # which cues name it
    # the first TOP_LINES lines (a shorter page: all but its last line)
    top_end = sum(len(line) + 1 for line in lines[: min(TOP_LINES, len(lines) - 1)])
    found: list[list[str]] = [[] for _ in reg.cues.patterns]
    # the lines that hold a cue's words (the patterns are slow), by one pass over the page;
    # a cue whose words open a line needs a line above it
    cued = _line_masks(reg.cues.finder, _lower_bytes(text, lines, reg.cues.ascii_words))
    for n, (anywhere, opening) in sorted(cued.items()):
        opening &= ~anywhere
        for k, name in _cue_names(lines[n], anywhere) + (
                _cue_names(lines[n], opening) if n and opening else ()):
            found[k].append(name)
    labels = _domain_labels(text)
    for k, (names, w) in enumerate(zip(found, reg.cues.weights, strict=True)):
        for name in names:
            name = _shortest_repeated(text, name, counts)
            score[name] = score.get(name, 0.0) + w
            kinds.setdefault(name, set()).add(k)
    for m in _MASTHEAD.finditer(text, 0, top_end):
        name = _trim_site(m.group("n"))
        if name and len(name.split()) <= 5:
            score[name] = score.get(name, 0.0) + 1.5
    best: str | None = None
    best_key: tuple[bool, float, int] = (False, 0.0, 0)
    for name, s in score.items():
        words = name.split()
        known = name in registered
        vouched = known or name in (extra or {})  # a masthead taken for the title
        if ((name in skip and not vouched) or len(name) < 2 or len(words) > 6
                or (not known and any(x.lower().strip(".,!?®") in reg.not_outlet
                                      for x in words))
                or header.find_dates(name) or name.isdigit()):
            continue
        on_domain = _domain_match(name, labels)
        if s < 2.0 and not on_domain:
            continue  # a masthead line alone may be any menu word
        n = counts.get(name) or _whole_count(text, name)
        if (name.isalpha() and name.istitle() and not on_domain and not known
                and n + _whole_count(text, name.upper()) < 4
                and len(kinds.get(name, ())) < 2):
            continue  # "Explore Iceland", "About Jill": one plain word needs more evidence
        if all(x.lower() in _CONNECTIVES for x in words):
            continue
        s += min(max(n - 1, 0), 6) * 0.3 + (2.0 if on_domain else 0.0)
        # a registered outlet outranks a name only this page vouches for
        key = (name in registered, s, len(name))
        if s >= 3.0 and (best is None or key > best_key):
            best, best_key = name, key
    return canonical_outlet(best) if best else None
