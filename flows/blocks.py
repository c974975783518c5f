"""Segment repaired text into blocks and label each block with a role.

Segmenting is lossless (one block per non-empty line, `rebuild_text` gives the text back).
Labelling combines independent pieces of evidence, each a named rule so a reader can see
why a block left the text:

- line rules from `rules/boilerplate.toml` and `rules/roles.toml` (widgets, pitches,
  captions, credits, bylines, date lines), in several languages;
- shape (word count, terminal punctuation, letters, script);
- corpus evidence (`LineStats`: short lines that recur in many documents are templates);
- position and density: the article is the densest contiguous run of prose lines
  (a maximum-sum segment over per-line scores, after jusText/boilerpipe), so lines far
  from it are page furniture, and the header just above it holds title, byline and date.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from pathlib import Path

import numpy as np
import xxhash

from flows.model import Block, Document

try:  # the metadata engineer's recognisers; the labeller keeps TOML fallbacks
    from flows import header as _header
except ImportError:  # pragma: no cover - depends on the tree state
    _header = None

RULES_DIR = Path(__file__).parent / "rules"

# ------------------------------------------------------------------------------------------
# Rules
# ------------------------------------------------------------------------------------------

_LINE_RULE_MAX_WORDS = 10  # "line" rules name whole short lines; longer lines skip them
_WIDGET_MAX_WORDS = 24  # a share bar / menu row is never longer than this
_LINE_TAIL = r"[\s:>»›→|.!…]*(\(?\d+\)?)?[\s:>»›→|.!…]*"
_LINE_HEAD = r"[\s•·|>*#\-–—]*"


@dataclass(frozen=True, slots=True)
class _ContainsRule:
    name: str
    role: str
    max_words: int
    phrases: dict[str, tuple[str, ...]]  # longest word -> casefolded phrases holding it
    phrase_words: frozenset[str]
    patterns: re.Pattern[str] | None
    pattern_triggers: frozenset[str]  # words one of which must be in the line; empty = always
    pattern_marks: tuple[str, ...]  # non-word triggers ("©", "|")

    def search(self, stripped: str, folded: str, words: frozenset[str] | None) -> bool:
        """Whether the rule matches; `words` is None when the line cannot be split into
        words (CJK), and then every regex is tried."""
        if words is None:  # no word split (CJK): try every phrase
            if any(p in folded for ps in self.phrases.values() for p in ps):
                return True
        else:
            for word in self.phrase_words.intersection(words):
                if any(p in folded for p in self.phrases[word]):
                    return True
        if self.patterns is None:
            return False
        guarded = words is not None and (self.pattern_triggers or self.pattern_marks)
        if guarded and self.pattern_triggers.isdisjoint(words) and not any(
            m in stripped for m in self.pattern_marks
        ):
            return False
        return self.patterns.search(stripped) is not None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Compiled line rules: one regex per match kind, group name = rule name."""

    line: re.Pattern[str] | None
    tokens: re.Pattern[str] | None
    contains: tuple[_ContainsRule, ...]
    prefix: tuple[tuple[str, re.Pattern[str]], ...]
    roles: dict[str, str]  # rule name -> role
    contains_words: frozenset[str]  # every contains-rule key word and trigger
    word_rules: dict[str, frozenset[int]]  # key word or trigger -> contains rules it can wake
    mark_rules: tuple[tuple[str, int], ...]  # non-word trigger ("©", "|") -> its rule
    marks: re.Pattern[str] | None  # any mark of mark_rules
    always: frozenset[int]  # contains rules with patterns and no trigger: always tried
    max_words: int  # the longest line a contains rule may match
    costs: dict[str, float]  # rule name -> how much the line breaks the article run
    ends: frozenset[str]  # rules whose lines end an article (comments, related lists)

    def match(self, stripped: str, n_words: int, words: frozenset[str] | None = None,
              folded: str | None = None) -> str | None:
        """The name of the first rule matching this stripped line, else None (`words` and
        `folded`, from `line_words` with keywords that include `contains_words`, may be
        passed in when several rule sets are tried)."""
        if n_words <= _WIDGET_MAX_WORDS:
            if self.line is not None and n_words <= _LINE_RULE_MAX_WORDS:
                m = self.line.fullmatch(stripped)
                if m:
                    return m.lastgroup
            if self.tokens is not None:
                m = self.tokens.fullmatch(stripped)
                if m:
                    return m.lastgroup
        if n_words > self.max_words:
            return None  # too long for every contains rule
        if folded is None:
            folded, words = line_words(stripped, self.contains_words)
        if words is None:  # no word split (CJK): every rule is a candidate
            candidates: Iterable[int] = range(len(self.contains))
        else:  # only the rules one of whose key words or marks the line holds
            keys = self.contains_words.intersection(words)
            marked = self.marks is not None and self.marks.search(stripped) is not None
            if not (keys or marked or self.always):
                return None  # the common case for prose
            woken = self.always.union(*map(self.word_rules.__getitem__, keys))
            if marked:  # one scan above, not one a mark
                woken |= {i for mark, i in self.mark_rules if mark in stripped}
            candidates = sorted(woken)  # rule order decides between several matches
        for i in candidates:
            rule = self.contains[i]
            if n_words <= rule.max_words and rule.search(stripped, folded, words):
                return rule.name
        return None


def line_words(stripped: str, keywords: frozenset[str]) -> tuple[str, frozenset[str] | None]:
    """The casefolded line and which of `keywords` are among its words (None for CJK text,
    which has no spaces). Rules only ever ask about their key words, and a set of the few
    found is much cheaper to build than a set of every word of a paragraph."""
    folded = stripped.casefold()
    if not stripped.isascii() and _CJK.search(stripped):
        return folded, None
    return folded, keywords.intersection(_split_words(folded))


def _split_words(text: str) -> list[str]:
    """`text` split into words at whitespace and punctuation (`_WORD_RUN`, see _runs)."""
    return _runs(text, _WORD_RUN, _ASCII_SEPARATORS_TO_SPACE)


def _runs(text: str, run: re.Pattern[str], ascii_table: bytes) -> list[str]:
    """`run.findall(text)` for a regex `run` of one character class repeated, with
    `ascii_table` its `_ascii_to_space` table. ASCII text is split at byte level, faster
    than the regex scan. Most other lines are ASCII but for a few typographic quotes and
    dashes: the distinct non-ASCII characters (found in C) that `run` does not match are
    turned into spaces, which leaves the runs as they are, and the text is split at byte
    level if it is ASCII then (half the instructions of the scan on such lines). Text in
    another script goes to the regex."""
    if not text.isascii():
        others = set(text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
                     .decode("utf-8", "surrogatepass"))
        if len(others) > _FEW_OTHERS:
            return run.findall(text)
        for char in others:
            if run.fullmatch(char) is None:
                text = text.replace(char, " ")
        if not text.isascii():
            return run.findall(text)
    return text.encode().translate(ascii_table).decode().split()


def _ascii_to_space(keep: re.Pattern[str]) -> bytes:
    """A bytes.translate table turning every ASCII character that `keep` does not match into
    a space: derived from the regex itself, so the ASCII fast paths split exactly as it
    does (str.split's ASCII whitespace is a subset of what the table turns into spaces)."""
    return bytes(c if keep.fullmatch(chr(c)) else 0x20 for c in range(256))


def _phrase_regex(phrase: str) -> str:
    """A literal phrase as a regex: spaces match any whitespace, words end at boundaries."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    if phrase[:1].isascii() and phrase[:1].isalnum():
        body = r"\b" + body
    if phrase[-1:].isascii() and phrase[-1:].isalnum():
        body += r"\b"
    return body


_WORD = re.compile(r"\w+")
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»‘’‚“”„–—…·•›‹¡¿"
_WORD_RUN = re.compile("[^\\s" + re.escape(_PUNCTUATION) + "]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_ASCII_SEPARATORS_TO_SPACE = _ascii_to_space(_WORD_RUN)
_ASCII_NON_WORD_TO_SPACE = _ascii_to_space(_WORD)
_ASCII_BYTES = bytes(range(128))
_FEW_OTHERS = 8  # more distinct non-ASCII characters than this: another script, no quotes


def _contains_rule(rule: dict) -> _ContainsRule:
    """Compile a "contains" rule. Phrases are indexed by their longest word: a line is
    searched (plain substring tests) only for the phrases whose key word it holds. Patterns
    are one regex guarded by `triggers` (a cheap set test that spares the regex on most prose
    lines; a pattern rule without triggers is always tried)."""
    phrases: dict[str, list[str]] = {}
    for p in rule.get("phrases", []):
        folded = " ".join(p.casefold().split())
        keys = _split_words(folded)
        key = max(keys, key=len) if keys else folded
        phrases.setdefault(key, []).append(folded)
    words, marks = set(), []
    for t in rule.get("triggers", []):
        if _WORD.fullmatch(t):
            words.add(t.casefold())
        else:
            marks.append(t)
    flags = 0 if rule.get("case_sensitive") else re.IGNORECASE
    patterns = rule.get("patterns", [])
    return _ContainsRule(
        name=rule["name"], role=rule["role"], max_words=rule.get("max_words", 40),
        phrases={k: tuple(v) for k, v in phrases.items()},
        phrase_words=frozenset(phrases),
        patterns=re.compile("|".join(patterns), flags) if patterns else None,
        pattern_triggers=frozenset(words), pattern_marks=tuple(marks),
    )


def _alternatives(rule: dict) -> str:
    """The rule's phrases and patterns as one alternation. Phrases are grouped by their
    first character so the regex engine factors it out and skips a group on one test
    (the same strings match: order only matters within a group, longest first)."""
    groups: dict[str, list[str]] = {}
    for p in sorted(rule.get("phrases", []), key=len, reverse=True):
        groups.setdefault(p[:1].casefold(), []).append(_phrase_regex(p))
    alts = [g[0] if len(g) == 1 else "(?:" + "|".join(g) + ")" for g in groups.values()]
    alts += list(rule.get("patterns", []))
    flags = "" if rule.get("case_sensitive") else "i"
    return f"(?{flags}:" + "|".join(alts) + ")" if flags else "(?:" + "|".join(alts) + ")"


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Compile rule files into one regex per kind (one C-level pass per line, not per rule)."""
    line_alts: list[str] = []
    token_alts: list[str] = []
    contains: list[_ContainsRule] = []
    prefix: list[tuple[str, re.Pattern[str]]] = []
    roles: dict[str, str] = {}
    costs: dict[str, float] = {}
    ends: set[str] = set()
    for path in paths:
        with open(path, "rb") as fh:
            for rule in tomllib.load(fh).get("rule", []):
                name, kind = rule["name"], rule["match"]
                if name in roles:
                    raise ValueError(f"duplicate rule name {name!r} in {path}")
                roles[name] = rule["role"]
                if "cost" in rule:
                    costs[name] = float(rule["cost"])
                if rule.get("ends_article"):
                    ends.add(name)
                alts = _alternatives(rule)
                if kind == "line":
                    line_alts.append(f"(?P<{name}>{_LINE_HEAD}{alts}{_LINE_TAIL})")
                elif kind == "tokens":
                    sep = r"[\W\d_]*"
                    token_alts.append(f"(?P<{name}>{sep}(?:{alts}(?!\\w){sep})+)")
                elif kind == "contains":
                    contains.append(_contains_rule(rule))
                elif kind == "prefix":
                    prefix.append((name, re.compile(alts)))
                else:
                    raise ValueError(f"rule {name!r}: unknown match kind {kind!r}")
    word_rules: dict[str, set[int]] = {}
    for i, r in enumerate(contains):
        for word in r.phrase_words | r.pattern_triggers:
            word_rules.setdefault(word, set()).add(i)
    return RuleSet(
        contains_words=frozenset(word_rules),
        word_rules={w: frozenset(ids) for w, ids in word_rules.items()},
        mark_rules=tuple((m, i) for i, r in enumerate(contains) for m in r.pattern_marks),
        marks=re.compile("|".join(re.escape(m) for r in contains for m in r.pattern_marks))
        if any(r.pattern_marks for r in contains) else None,
        always=frozenset(i for i, r in enumerate(contains) if r.patterns is not None
                         and not r.pattern_triggers and not r.pattern_marks),
        max_words=max((r.max_words for r in contains), default=-1),
        line=re.compile("|".join(line_alts)) if line_alts else None,
        tokens=re.compile("|".join(token_alts)) if token_alts else None,
        contains=tuple(contains),
        prefix=tuple(prefix),
        roles=roles,
        costs=costs,
        ends=frozenset(ends),
    )


_BOILERPLATE_RULES = load_rules([RULES_DIR / "boilerplate.toml"])
_ROLE_RULES = load_rules([RULES_DIR / "roles.toml"])
_KEYWORDS = _BOILERPLATE_RULES.contains_words | _ROLE_RULES.contains_words


def _load_stopwords(path: Path) -> frozenset[str]:
    with open(path, "rb") as fh:
        lists = tomllib.load(fh)["stopwords"].values()
    return frozenset(w.casefold() for words in lists for w in words)


_STOPWORDS = _load_stopwords(RULES_DIR / "stopwords.toml")

# ------------------------------------------------------------------------------------------
# Segmenting
# ------------------------------------------------------------------------------------------


def segment(text: str) -> list[Block]:
    """One block per non-empty line; lines that are "" are the only ones left uncovered."""
    return [Block(position=pos, line=i, text=line)
            for pos, (i, line) in enumerate((i, ln) for i, ln in enumerate(text.split("\n")) if ln)]


def segment_batch(docs: list[Document]) -> None:
    """Set doc.blocks from doc.text for a batch."""
    for doc in docs:
        doc.blocks = segment(doc.text)


# ------------------------------------------------------------------------------------------
# Corpus evidence
# ------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d")
_ASCII_DIGITS = str.maketrans("123456789", "000000000")  # str.translate is fast on ASCII
_HAS_ASCII_DIGIT = re.compile(r"[1-9]")
# On ASCII bytes, what `_line_hash` does to a line: casefold, digits to 0, and whitespace
# (the separators str.split knows but bytes.split does not, \x1c-\x1f, too) to spaces.
_ASCII_HASH_FOLD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789\x1c\x1d\x1e\x1f\t\n\r\x0b\x0c",
    b"abcdefghijklmnopqrstuvwxyz000000000         ")


@lru_cache(maxsize=1 << 16)
def _line_hash(line: str) -> int:
    """xxh3 of the line casefolded, digits folded to 0, whitespace collapsed; 0 if blank.
    Cached: template lines recur on every page of a site, in pass 1 and in pass 2."""
    if line.isascii():  # most lines: the same normalisation done on bytes, in fewer passes
        norm_bytes = line.encode().translate(_ASCII_HASH_FOLD)
        # its only whitespace is single spaces between words (most lines): split and join
        # would give it back as it is
        if b"  " in norm_bytes or norm_bytes[:1] == b" " or norm_bytes[-1:] == b" ":
            norm_bytes = b" ".join(norm_bytes.split())
        return xxhash.xxh3_64_intdigest(norm_bytes) if norm_bytes else 0
    norm = " ".join(line.casefold().split())
    if not norm:
        return 0
    if not norm.isascii():
        norm = _DIGITS.sub("0", norm)
    elif _HAS_ASCII_DIGIT.search(norm):
        norm = norm.translate(_ASCII_DIGITS)
    return xxhash.xxh3_64_intdigest(norm.encode())


def _line_hashes(text: str) -> list[int]:
    """Per line of `text`: the hash of the normalised line, or 0 for a blank line."""
    return list(map(_line_hash, text.split("\n")))


def line_hashes(doc: Document) -> list[int]:
    """Per line of the document's text: its line hash (0 for a blank line). Pass 1 keeps
    them for labelling, so each line is normalised and hashed once per run."""
    return _line_hashes(doc.text)


def line_keys(doc: Document, hashes: list[int] | None = None) -> set[int]:
    """Hashes of the document's normalised non-blank lines (each counted once per doc)."""
    keys = set(_line_hashes(doc.text) if hashes is None else hashes)
    keys.discard(0)
    return keys


class LineStats:
    """How many documents of a run contain each line key.

    Kept as sorted numpy arrays (12 bytes a key) plus a buffer of recent keys, so millions
    of documents fit and two stats (other batches, other processes) merge by addition.
    """

    __slots__ = ("_buffer", "_buffered", "_counts", "_keys", "n_docs")

    _COMPACT_AT = 1 << 20

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.uint64)
        self._counts = np.empty(0, dtype=np.uint32)
        self._buffer: list[tuple[np.ndarray, np.ndarray | None]] = []  # counts None: 1 each
        self._buffered = 0
        self.n_docs = 0

    def add(self, doc: Document, hashes: list[int] | None = None) -> None:
        """Count each line of the document once (`hashes`: its `line_hashes`, if known)."""
        self.add_keys(line_keys(doc, hashes))

    def add_keys(self, keys: set[int]) -> None:
        """Count one document given its line keys."""
        self.n_docs += 1
        if keys:
            self._buffer.append((np.fromiter(keys, dtype=np.uint64, count=len(keys)), None))
            self._buffered += len(keys)
            self._maybe_compact()

    def merge(self, other: LineStats) -> None:
        """Add another run-part's counts into this one (buffered: merging every batch into
        the run-wide arrays at once would cost time quadratic in the run's size)."""
        other._compact()
        if len(other._keys):
            self._buffer.append((other._keys, other._counts))
            self._buffered += len(other._keys)
            self._maybe_compact()
        self.n_docs += other.n_docs

    def doc_count(self, key: int) -> int:
        """How many documents contain the line with this key."""
        return int(self.doc_counts(np.array([key], dtype=np.uint64))[0])

    def doc_counts(self, keys: np.ndarray) -> np.ndarray:
        """Vectorised doc_count for an array of uint64 keys."""
        self._compact()
        if not len(self._keys):
            return np.zeros(len(keys), dtype=np.uint32)
        idx = np.searchsorted(self._keys, keys)
        idx_clipped = np.minimum(idx, len(self._keys) - 1)
        found = self._keys[idx_clipped] == keys
        return np.where(found, self._counts[idx_clipped], 0).astype(np.uint32)

    def __len__(self) -> int:
        self._compact()
        return len(self._keys)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, counts) sorted by key: what a version keeps so a later run can go on."""
        self._compact()
        return self._keys, self._counts

    def save(self, path: Path) -> None:
        """Write the counts to an .npz file (`load` reads it back)."""
        keys, counts = self.arrays()
        np.savez(path, keys=keys, counts=counts, n_docs=self.n_docs)

    @classmethod
    def load(cls, path: Path) -> LineStats:
        with np.load(path) as z:
            stats = cls()
            stats._keys = z["keys"].astype(np.uint64)
            stats._counts = z["counts"].astype(np.uint32)
            stats.n_docs = int(z["n_docs"])
        return stats

    def prune(self, min_docs: int = 2) -> None:
        """Forget lines seen in fewer than `min_docs` documents: they are no template
        evidence, and dropping them keeps the stats small to ship to worker processes."""
        self._compact()
        keep = self._counts >= min_docs
        self._keys, self._counts = self._keys[keep], self._counts[keep]

    def _maybe_compact(self) -> None:
        """Compact once the buffer holds as many keys as the arrays (and at least
        _COMPACT_AT): each key is re-sorted O(log n) times over a run, not once a batch."""
        if self._buffered >= max(self._COMPACT_AT, len(self._keys)):
            self._compact()

    def _compact(self) -> None:
        """Fold the buffer into the sorted arrays: one stable sort, counts summed per key."""
        if not self._buffer:
            return
        parts = [(self._keys, self._counts), *self._buffer]
        self._buffer, self._buffered = [], 0
        keys = np.concatenate([k for k, _ in parts])
        counts = np.concatenate([np.ones(len(k), dtype=np.uint32) if c is None else c
                                 for k, c in parts])
        order = np.argsort(keys, kind="stable")
        keys, counts = keys[order], counts[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else order
        self._keys = keys[starts]
        self._counts = (np.add.reduceat(counts, starts) if len(keys) else counts
                        ).astype(np.uint32)


# ------------------------------------------------------------------------------------------
# Labelling
# ------------------------------------------------------------------------------------------

# Tunable weights of the density score (per line; the article is the max-sum run).
_PROSE_MIN_WORDS = 10  # a line this long with terminal punctuation is prose
_LONG_LINE_WORDS = 12  # a line this long is prose-like even without terminal punctuation
_SHORT_LINE_COST = 2.5  # what a short non-prose line costs the run it sits in
_ROLE_COST = {"boilerplate": 6.0}  # a widget breaks the run; other roles cost little
_OTHER_ROLE_COST = 3.0
_TEMPLATE_COST = 4.0
_TEMPLATE_MIN_DOCS = 3  # a short line in this many documents is a template line
_TEMPLATE_MAX_WORDS = 12
_HEADING_MAX_WORDS = 15
_HEADER_REACH = 30  # lines above the article searched for title/byline/date
_FOOTER_REACH = 6  # lines below the article where byline/date/credit keep their role
_SENTENCE_MIN_WORDS = 3
_REPEAT_MIN_WORDS = 10  # a line this long printed again in the article run is a repeat
_REPEAT_MIN_RUN = 3  # shorter lines count as a repeat only in a run this long (a page
# printing the article twice), since short lines ("Read our review.") legitimately recur
_SENTENCE_END = frozenset(".!?…")
_TERMINAL = frozenset(".!?\"”’»…'")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_HAS_DIGIT = re.compile(r"\d")
_CODE_CHARS = "{};=<>"  # many of these: program text or markup, not article prose
_NOT_CODE_BYTES = bytes(c for c in range(256) if chr(c) not in _CODE_CHARS)
_CODE_MIN_SHARE = 0.04  # share of code characters that marks a line as code
_CODE_MIN_SHARE_OPEN = 0.02  # ... when it does not end like a sentence (flattened code)
_SCRIPTS = (
    ("cjk", re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")),
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("arabic", re.compile(r"[\u0600-\u06ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("latin", _LATIN := re.compile(r"[A-Za-z\u00c0-\u024f]")),
)
_ASCII_NON_LETTER_BYTES = bytes(c for c in range(256) if not _LATIN.match(chr(c)) or c >= 128)


def _is_code_like(stripped: str) -> bool:
    """Program text or markup flattened onto one line. Prose has about one code character
    in 250; a code block one in 20-40, and it ends on "}" or a closing tag, not a full stop."""
    share = _CODE_MIN_SHARE if stripped[-1] in _TERMINAL else _CODE_MIN_SHARE_OPEN
    # code characters are ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte
    # character: deleting every other byte leaves just them, counted in one C pass
    code = stripped.encode("utf-8", "surrogatepass").translate(None, _NOT_CODE_BYTES)
    return len(code) >= max(4, share * len(stripped))


def _latin_letters(text: str) -> int:
    """How many characters of `text` _LATIN matches: its ASCII letters counted at byte level
    in C, then the regex run on the few non-ASCII characters only (a regex scan of a whole
    paragraph costs ten times more)."""
    ascii_letters = text.encode("ascii", "ignore").translate(None, _ASCII_NON_LETTER_BYTES)
    non_ascii = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    return len(ascii_letters) + len(_LATIN.findall(non_ascii.decode("utf-8", "surrogatepass")))


def _script(text: str) -> str | None:
    """The script most letters of `text` are written in (None if it has no letters)."""
    if text.isascii():
        return "latin" if _HAS_LETTER.search(text) else None
    if _latin_letters(text) * 2 > len(text):  # no other script can outnumber it
        return "latin"
    best, best_n = None, 0
    for name, rx in _SCRIPTS:
        n = len(rx.findall(text))
        if n > best_n:
            best, best_n = name, n
    return best


def _line_rule(stripped: str, n_words: int) -> str | None:
    """The rule that takes this line out of the body whatever document it is in, or None.

    Cached (bounded): page furniture repeats across a site's pages, and the rule tests are
    the labeller's costliest step."""
    rule = _line_role(stripped, n_words)
    if rule is None and not _HAS_LETTER.search(stripped):
        return "no_letters"
    if rule is None and _is_code_like(stripped):
        return "code_like"
    return rule


def _count_words(stripped: str) -> int:
    """len(stripped.split()) for a stripped non-empty line, mostly without building the
    words: the only whitespace a printable string holds is the plain space, so a line with
    single spaces has one word more than it has spaces."""
    if stripped.isprintable() and "  " not in stripped:
        return stripped.count(" ") + 1
    return len(stripped.split())


@lru_cache(maxsize=1 << 16)
def _line_facts(s: str) -> tuple[int, str | None, float, str | None]:
    """What labelling needs from a stripped non-empty line on its own: word count, rule,
    weight in the density score, and the line's script when a script differing from the
    document's would make it `foreign_script` (else None). Cached: template lines recur."""
    w = _count_words(s)
    rule = _line_rule(s, w)
    script = None
    if rule is None and w <= _TEMPLATE_MAX_WORDS and not s.isascii():
        script = _script(s)
    if rule is not None:
        role = _RULE_ROLE.get(rule, "boilerplate")
        weight = -_RULE_COST.get(rule, _ROLE_COST.get(role, _OTHER_ROLE_COST))
    elif w >= _PROSE_MIN_WORDS and s[-1] in _TERMINAL:
        weight = min(w, 80)
    elif w >= _LONG_LINE_WORDS and _is_prose_like(s):
        weight = min(w, 80) * 0.5
    elif w >= _SENTENCE_MIN_WORDS and s[-1] in _SENTENCE_END and s[0].isupper():
        weight = w * 0.5  # a short sentence: terse prose, not a menu item
    else:
        weight = -_SHORT_LINE_COST
    return w, rule, weight, script


def _line_role(stripped: str, n_words: int) -> str | None:
    """Name of the rule that gives this line a non-body role, or None."""
    folded, words = line_words(stripped, _KEYWORDS)
    name = _BOILERPLATE_RULES.match(stripped, n_words, words, folded)
    if name is not None:
        return name
    if n_words <= 12 and _header is not None:
        if _HAS_DIGIT.search(stripped) and _header.parse_date_line(stripped):
            return "date_line"
        if n_words <= 6 and len(stripped) <= 60 and _header.is_credit_line(stripped):
            return "wire_credit"
        if _header.is_byline(stripped):
            return "byline"
    return _ROLE_RULES.match(stripped, n_words, words, folded)


_RULE_ROLE = {**_BOILERPLATE_RULES.roles, **_ROLE_RULES.roles, "byline": "byline",
              "date_line": "date", "wire_credit": "credit"}
_RULE_COST = {**_BOILERPLATE_RULES.costs, **_ROLE_RULES.costs}
_MIN_STOPWORD_SHARE = 0.12  # prose has function words; menus and tag lists do not


def _is_prose_like(stripped: str) -> bool:
    """A long line without sentence punctuation still reads as prose (enough function
    words), unlike a menu, tag cloud or archive list printed on one line."""
    words = _runs(stripped.casefold(), _WORD, _ASCII_NON_WORD_TO_SPACE)  # \w+ runs
    return bool(words) and (sum(map(_STOPWORDS.__contains__, words))
                            >= _MIN_STOPWORD_SHARE * len(words))


def _max_run(weights: list[float]) -> tuple[int, int]:
    """Bounds [lo, hi] of the contiguous run with the largest sum (Kadane); (0, -1) if none
    is positive."""
    best, best_lo, best_hi = 0.0, 0, -1
    run, run_lo = 0.0, 0
    for i, w in enumerate(weights):
        if run <= 0:
            run, run_lo = w, i
        else:
            run += w
        if run > best:
            best, best_lo, best_hi = run, run_lo, i
    return best_lo, best_hi


_ENDS = _BOILERPLATE_RULES.ends | _ROLE_RULES.ends
_END_MARKER_MIN_SHARE = 0.5  # share of the run's prose that must lie above an end marker
_END_MARKER_MIN_PROSE = 50.0  # ... or this much prose (about words) above a comment thread
_COMMENT_SIGNALS = frozenset({"date_line", "relative_time", "comment_header", "share_counter",
                              "form_field", "article_end_marker", "byline"})


def _repeated_runs(stripped: list[str], n_words: list[int], lo: int, hi: int) -> set[int]:
    """Lines of the article run [lo, hi] whose text already appeared earlier in the run:
    long ones alone, short ones in runs of repeats."""
    run_lines = stripped[lo:hi + 1]
    distinct = set(run_lines)
    distinct.discard("")
    if len(distinct) == len(run_lines) - run_lines.count(""):
        return set()  # no line repeats (nearly every article): one C-level set, no loop
    seen: set[str] = set()
    flagged: list[int] = []
    for i in range(lo, hi + 1):
        s = stripped[i]
        if not s:
            continue
        if s in seen:
            flagged.append(i)
        seen.add(s)
    out = {i for i in flagged if n_words[i] >= _REPEAT_MIN_WORDS}
    run: list[int] = []
    for i in [*flagged, -1]:
        if run and (i < 0 or any(stripped[k] for k in range(run[-1] + 1, i))):
            if len(run) >= _REPEAT_MIN_RUN:
                out.update(run)
            run = []
        if i >= 0:
            run.append(i)
    return out


def _cut_at_end_marker(weights: list[float], rules: list[str | None], lo: int, hi: int) -> int:
    """Cut the run [lo, hi] before the first end marker (comments, related lists) that has
    most of the run's prose above it, or a fair amount of prose above it and a comment
    thread below it (comment threads are prose too, so density alone runs on into them)."""
    if _ENDS.isdisjoint(rules[lo:hi + 1]):
        return hi  # most runs hold no marker: spare the sums
    total = sum(w for w in weights[lo:hi + 1] if w > 0)
    above = 0.0
    for k in range(lo, hi + 1):
        if rules[k] in _ENDS and (
            above >= _END_MARKER_MIN_SHARE * total
            or (above >= _END_MARKER_MIN_PROSE
                and sum(r in _COMMENT_SIGNALS for r in rules[k:k + 40]) >= 3)
        ):
            return _max_run(weights[lo:k])[1] + lo if k > lo else hi
        above += max(weights[k], 0.0)
    return hi


def _title_score(distance: int, recurs: bool, shape: float, below_is_meta: bool,
                 overlap: float) -> float:
    """How much a line above the article looks like its headline, from its distance above
    the article, whether it recurs on the page, its `_title_shape`, whether header meta
    (byline, date) sits right below it and its `_overlap` with the article. Increasing in
    `recurs` and `overlap` (at most 1), so fixing them at their best gives upper bounds."""
    score = -0.15 * distance
    if recurs:
        score += 2.0
    return score + shape + 2.0 * below_is_meta + _TITLE_OVERLAP_WEIGHT * overlap


@lru_cache(maxsize=1 << 14)
def _title_shape(text: str, n_words: int) -> float:
    """The part of the headline score that depends on the line alone (cached: the same
    menu and widget lines are weighed on every page of a site)."""
    score = 0.0
    if text[-1] in ".:;,":
        score -= 3.0
    if 4 <= n_words <= 20:
        score += 1.0
    elif n_words < 3:
        score -= 2.0
    if text.isupper():
        score -= 1.0
    words = [w for w in text.split() if w[:1].isalpha()]
    if words and sum(w[0].isupper() for w in words) / len(words) >= 0.6:
        score += 1.5
    return score


def _dateline_split(text: str) -> int:
    """Length of a dateline prefix at the start of a paragraph (0 if none)."""
    if _header is not None:
        n = _header.split_dateline_prefix(text)
        if n:
            return n
    for _name, rx in _ROLE_RULES.prefix:
        m = rx.match(text)
        if m and m.end() < len(text.rstrip()):
            return m.end()
    return 0


_BLANK_FACTS = (0, "blank_line", 0.0, None)  # `_line_facts` of a blank line (never scored)
_FOREIGN_SCRIPT_WEIGHT = -_RULE_COST.get("foreign_script", _ROLE_COST["boilerplate"])


def _mark_foreign_script(longest: str, scripts: list[str | None], rules: list[str | None],
                         weights: list[float]) -> None:
    """Name the lines whose script (`_line_facts`) differs from the document's, i.e. from
    its longest line's, `foreign_script`."""
    doc_script = _script(longest)
    for i, script in enumerate(scripts):
        if script is not None and script != doc_script:
            rules[i], weights[i] = "foreign_script", _FOREIGN_SCRIPT_WEIGHT


def label_blocks(blocks: list[Block], doc_counts: list[int], doc_text: str) -> list[Block]:
    """Label one document's blocks (doc_counts[i]: how many documents share block i's line).

    Returns the blocks, with the first paragraph split when it starts with a dateline.
    """
    n = len(blocks)
    stripped = [b.text.strip() for b in blocks]
    # whole-list passes (comprehensions, zip) rather than one loop of many statements a line
    facts = [_line_facts(s) if s else _BLANK_FACTS for s in stripped]
    n_words, rules, weights, scripts = (
        (list(column) for column in zip(*facts, strict=True)) if n else ([], [], [], []))
    if any(scripts):
        _mark_foreign_script(max(stripped, key=len), scripts, rules, weights)
    weights = [
        min(weight, 0.0) - _TEMPLATE_COST
        if rule is None and count >= _TEMPLATE_MIN_DOCS and w <= _TEMPLATE_MAX_WORDS else weight
        for weight, rule, count, w in zip(weights, rules, doc_counts, n_words, strict=True)]
    scored = [i for i, s in enumerate(stripped) if s]  # block index of each weight
    if len(scored) < n:
        weights = [weights[i] for i in scored]

    lo_s, hi_s = _max_run(weights)
    hi_s = _cut_at_end_marker(weights, [rules[i] for i in scored], lo_s, hi_s)
    if hi_s < lo_s:
        lo, hi = n, -1
    else:
        lo, hi = scored[lo_s], scored[hi_s]

    # roles inside the article run
    repeats = _repeated_runs(stripped, n_words, lo, hi)
    for i in range(lo, hi + 1):
        b, rule = blocks[i], rules[i]
        if rule is not None:
            b.role, b.reason = _RULE_ROLE.get(rule, "boilerplate"), rule
        elif i in repeats:
            b.role, b.reason = "boilerplate", "repeated_in_document"
        elif doc_counts[i] >= _TEMPLATE_MIN_DOCS * 2 and n_words[i] <= _TEMPLATE_MAX_WORDS:
            b.role, b.reason = "boilerplate", "template_line"
        elif n_words[i] <= _HEADING_MAX_WORDS and stripped[i][-1] not in ".,;":
            b.role, b.reason = "heading", "heading_shape"
        else:
            b.role, b.reason = "body", None
    for i in chain(range(lo), range(hi + 1, n)) if lo <= hi else range(n):
        b, rule = blocks[i], rules[i]
        near = lo - _HEADER_REACH <= i < lo or hi < i <= hi + _FOOTER_REACH
        role = _RULE_ROLE.get(rule, "boilerplate") if rule else "boilerplate"
        if near and role != "boilerplate":
            b.role, b.reason = role, rule
        else:
            b.role, b.reason = "boilerplate", rule or "outside_article"

    if hi < lo:
        return blocks

    # header: the lines above the first prose paragraph
    first_prose = next(
        (i for i in range(lo, hi + 1)
         if blocks[i].role == "body" and n_words[i] >= _PROSE_MIN_WORDS
         and stripped[i][-1] in _TERMINAL), lo)
    later_body = "\n".join(stripped[i] for i in range(first_prose, hi + 1)
                           if blocks[i].role == "body")
    title_at = _pick_title(blocks, stripped, n_words, rules, lo, first_prose, later_body,
                           doc_text)
    if title_at >= 0:
        blocks[title_at].role, blocks[title_at].reason = "title", "title_above_article"
        for i in range(title_at + 1, first_prose):
            # header furniture is short; a long lead-in ("... here is how:") and the
            # numbered crosshead after it already belong to the article
            if blocks[i].role in ("heading", "body") and n_words[i] < _PROSE_MIN_WORDS * 2 \
                    and not _LIST_ITEM.match(stripped[i]):
                blocks[i].role, blocks[i].reason = "boilerplate", "header_line"
    title_block = blocks[title_at] if title_at >= 0 else None
    blocks = _split_dateline(blocks, lo, hi)
    if title_block is not None:
        blocks = _split_site_suffix(blocks, title_block, doc_text)
    return blocks


def _split_at(blocks: list[Block], i: int, cut: int, head: tuple[str, str | None],
              tail: tuple[str, str | None]) -> list[Block]:
    """Split block i at `cut` into two blocks of the same line with the given roles."""
    b = blocks[i]
    first = Block(position=0, line=b.line, text=b.text[:cut], role=head[0], reason=head[1])
    second = Block(position=0, line=b.line, text=b.text[cut:], role=tail[0], reason=tail[1])
    out = [*blocks[:i], first, second, *blocks[i + 1:]]
    for pos, blk in enumerate(out):
        blk.position = pos
    return out


def _split_dateline(blocks: list[Block], lo: int, hi: int) -> list[Block]:
    """Split a dateline prefix ("SOCHI, Russia (AFP) - ") off the first paragraph."""
    first_body = next((i for i in range(lo, hi + 1) if blocks[i].role == "body"), -1)
    if first_body < 0:
        return blocks
    cut = _dateline_split(blocks[first_body].text)
    if not cut:
        return blocks
    return _split_at(blocks, first_body, cut, ("dateline", "dateline_prefix"), ("body", None))


_SITE_SUFFIX = re.compile(r"\s+(?:\||[-–—]|::|·|•)\s+([^|–—·•]{2,60})$")
_SITE_SUFFIX_MAX_WORDS = 5


def _split_site_suffix(blocks: list[Block], title: Block, doc_text: str) -> list[Block]:
    """"Headline | Site Name" (a page title): split the site name off the headline when it
    is short and the site name is printed elsewhere on the page, or set off by a bar."""
    m = _SITE_SUFFIX.search(title.text)
    if not m or len(title.text[:m.start()].split()) < 3:
        return blocks
    site = m.group(1).strip()
    if len(site.split()) > _SITE_SUFFIX_MAX_WORDS:
        return blocks
    if "|" not in m.group(0) and doc_text.count(site) < 2:
        return blocks
    i = next(k for k, b in enumerate(blocks) if b is title)
    return _split_at(blocks, i, m.start(), ("title", title.reason),
                     ("boilerplate", "title_site_suffix"))


def _pick_title(blocks: list[Block], stripped: list[str], n_words: list[int],
                rules: list[str | None], lo: int, first_prose: int, later_body: str,
                doc_text: str) -> int:
    """Index of the headline among the lines above the article's first paragraph (or that
    paragraph itself when it is headline-shaped), -1 if none looks like one. Marks a
    standfirst that the body repeats on the way."""
    best_at, best_score = -1, float("-inf")
    distance = 0
    below_is_meta = False
    # the headline's words recur early in the article: its first KB are enough
    body_head = later_body[:_TITLE_BODY_CHARS].casefold()
    for i in range(first_prose, max(-1, lo - _HEADER_REACH - 1), -1):
        s = stripped[i]
        if not s:
            continue
        role = _RULE_ROLE.get(rules[i], "boilerplate") if rules[i] else None
        is_meta = role in ("byline", "date") or _looks_like_meta(s, n_words[i])
        if i == first_prose:
            if s[-1] in ".,;:" or n_words[i] > 25 or first_prose + 1 >= len(blocks):
                below_is_meta = is_meta
                continue
        else:
            distance += 1
        if rules[i] is not None or is_meta:
            below_is_meta = is_meta
            continue
        if i < first_prose and n_words[i] >= 6 and s.rstrip(".") in later_body:
            blocks[i].role, blocks[i].reason = "boilerplate", "standfirst_repeated"
            continue
        if n_words[i] <= 30 and len(s) <= 250 and not _LIST_ITEM.match(s):
            # the scores of the line at best (recurring on the page, then also wholly about
            # the article) bound its score from above: the scans of the article and the page
            # behind the two run only for a line that could still beat the best so far
            shape = _title_shape(s, n_words[i])
            if _title_score(distance, True, shape, below_is_meta, 1.0) > best_score:
                overlap = _overlap(s, body_head)
                if _title_score(distance, True, shape, below_is_meta, overlap) > best_score:
                    recurs = doc_text.count(s) >= 2  # headlines recur in menus, breadcrumbs
                    score = _title_score(distance, recurs, shape, below_is_meta, overlap)
                    if score > best_score:
                        best_at, best_score = i, score
        below_is_meta = False
    return best_at


_TITLE_OVERLAP_WEIGHT = 5.0
# "4. Create Content That Serves Users": a numbered crosshead of a listicle, never its headline
_LIST_ITEM = re.compile(r"\d{1,3}[.)]\s")
_TITLE_BODY_CHARS = 3000


def _overlap(text: str, body_head: str) -> float:
    """Share of a line's content words (4+ letters) found in the article's first KB
    (casefolded): a headline is about the article, a menu item or a sales pitch mostly is
    not. A substring test, not a word match: ten times cheaper than splitting the body
    into words, and a 4-letter word inside a longer one is rare enough not to matter."""
    words = _content_words(text)
    if not words:
        return 0.0
    # one or two shared words prove little: scale down lines with few content words
    return sum(map(body_head.__contains__, words)) / len(words) * min(1.0, len(words) / 3)


@lru_cache(maxsize=1 << 14)
def _content_words(text: str) -> tuple[str, ...]:
    """The casefolded words of 4+ letters of a line (cached like `_title_shape`)."""
    return tuple(w for w in _split_words(text.casefold()) if len(w) >= 4)


_BY_NAME = re.compile(r"\b(?:by|By|BY)\s+[A-Z]")


@lru_cache(maxsize=1 << 14)
def _looks_like_meta(text: str, n_words: int) -> bool:
    """A short line that carries a date or an author ("May 3, 2017 By Erin Spain 4 Comments"):
    header furniture, not a headline."""
    if n_words > 16:
        return False
    if _BY_NAME.search(text):
        return True
    return bool(_header is not None and _HAS_DIGIT.search(text) and _header.find_dates(text))


def _counted_line_hashes(text: str) -> list[int]:
    """`_line_hashes`, except 0 (counted in no document) for lines of more words than a
    template line may have: labelling reads the document count of short lines only, and
    the long ones, nearly all unique, are the costly ones to hash."""
    limit = _TEMPLATE_MAX_WORDS  # split(None, k) stops early: <= k parts iff <= k words
    return [_line_hash(line) if len(line.split(None, limit)) <= limit else 0
            for line in text.split("\n")]


_POSITION, _ROLE, _REASON = attrgetter("position"), attrgetter("role"), attrgetter("reason")


def _is_plain_segmentation(blocks: list[Block]) -> bool:
    """Whether the blocks are as `segment` left them (numbered in order, all body, no
    reason), i.e. not labelled yet. Tested with C-level maps: it runs for every block."""
    return (list(map(_POSITION, blocks)) == list(range(len(blocks)))
            and set(map(_ROLE, blocks)) <= {"body"} and not any(map(_REASON, blocks)))


def label_batch(docs: list[Document], stats: LineStats,
                hashes: list[list[int]] | None = None) -> None:
    """Give every block of every document a role (and the deciding rule as its reason).
    `hashes`: each document's `line_hashes`, when pass 1 kept them."""
    per_doc = hashes if hashes is not None else [_counted_line_hashes(d.text) for d in docs]
    flat = np.fromiter(chain.from_iterable(per_doc), dtype=np.uint64)
    counts = stats.doc_counts(flat).tolist() if len(flat) else []
    offset = 0
    for doc, hashes in zip(docs, per_doc, strict=True):
        line_counts = counts[offset:offset + len(hashes)]
        offset += len(hashes)
        blocks = doc.blocks
        if not _is_plain_segmentation(blocks):
            blocks = segment(doc.text)  # labelling twice starts from the plain lines
        doc.blocks = label_blocks(blocks, [line_counts[b.line] for b in blocks], doc.text)
