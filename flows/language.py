"""Body language: langdetect's model on a bounded sample, with a Unicode-script shortcut.

langdetect's `detect` costs ~6 ms even on a short sample (it runs 7 randomised trials), which
alone would cap the stage at ~150 docs/s. We use langdetect's own text cleaning, n-gram
extraction and language profiles, but score all n-grams of the sample at once (naive Bayes
in numpy, the posterior langdetect's trials approximate): deterministic, no seed or batch
order effects, ~0.2 ms. Scripts that one language owns (Hangul, kana, Thai, Greek...) need no
model at all.
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from langdetect import detector_factory
from langdetect.utils.ngram import NGram

from flows.model import Document

SAMPLE_CHARS = 400  # body characters given to langdetect
PARA_SAMPLE_CHARS = 150  # per paragraph, for the mixed-language check
MIXED_MIN_PARAS = 2  # later paragraphs needed before a document can be called mixed
CHUNK = 16  # samples scored per numpy pass (keeps the gathered rows in cache)

# Unicode script (first word of the character name) -> language, when only one language
# writes that script in news text. Cyrillic, Arabic, Latin and Han are shared: langdetect.
_SCRIPT_LANG = {
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "THAI": "th",
    "GREEK": "el",
    "HEBREW": "he",
    "ARMENIAN": "hy",
    "GEORGIAN": "ka",
    "DEVANAGARI": None,  # hi, mr, ne: needs the model
    "BENGALI": "bn",
    "GURMUKHI": "pa",
    "GUJARATI": "gu",
    "TAMIL": "ta",
    "TELUGU": "te",
    "KANNADA": "kn",
    "MALAYALAM": "ml",
    "SINHALA": "si",
    "KHMER": "km",
    "LAO": "lo",
    "MYANMAR": "my",
    "ETHIOPIC": "am",
    "TIBETAN": "bo",
}


def script_counts(text: str) -> Counter[str]:
    """Letters per Unicode script (first word of the character name)."""
    c: Counter[str] = Counter()
    for ch in text:
        if ch.isalpha():
            if ch < "\u0250":
                c["LATIN"] += 1
                continue
            name = unicodedata.name(ch, "")
            c[name.split(" ", 1)[0] if name else "OTHER"] += 1
    return c


_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u024F]")
_LETTER = re.compile(r"[^\W\d_]")


_ASCII_NON_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _letters(text: str) -> int:
    """How many letters `text` has (str.isalpha). News text is mostly ASCII with a few
    quotes and dashes: bytes.translate counts the ASCII letters in C, and only the other
    characters go through str.isalpha one by one."""
    ascii_letters = len(text.encode("ascii", "ignore").translate(None, _ASCII_NON_LETTERS))
    return ascii_letters + sum(map(str.isalpha, _NON_ASCII.findall(text)))


def script_language(text: str) -> str | None:
    """The language implied by the dominant script alone, when that is unambiguous."""
    if not _NON_LATIN.search(text):
        return None  # only Latin letters, if any (cheaper than counting them)
    if len(_NON_LATIN.findall(text)) < 0.3 * len(_LETTER.findall(text)):
        return None  # mostly Latin letters: the model decides
    counts = script_counts(text)
    total = sum(counts.values())
    if not total:
        return None
    # kana anywhere in CJK text means Japanese, even when Han characters dominate
    if counts["HIRAGANA"] + counts["KATAKANA"] > 0.05 * total:
        return "ja"
    script, n = counts.most_common(1)[0]
    if n < 0.6 * total:
        return None
    return _SCRIPT_LANG.get(script)


def _normalise(code: str) -> str:
    """ISO 639-1: langdetect's zh-cn / zh-tw are both "zh"."""
    return code.split("-")[0].lower()


_SMOOTH = 0.5 / 10000  # langdetect's alpha / BASE_FREQ: floor for n-grams unseen in a language
_SPACE = 32


# 2/3-grams are found in an open-addressing hash table (linear probing): one or two probes
# a key, where a binary search over the sorted keys took 17 dependent steps and was a
# third of the stage. 2**18 slots for ~85k keys keep it a third full, so misses (one
# n-gram in eight) soon reach an empty slot.
_HASH_BITS = 18
_HASH_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads neighbouring keys
_EMPTY = np.uint64(2**64 - 1)  # no key: keys use at most 63 bits
_CHAR_BITS = np.uint64(21)  # per character in a key: any code point fits


def _home_slots(keys: np.ndarray) -> np.ndarray:
    """Each key's first slot: the top bits of key * golden ratio (wrapping mod 2**64)."""
    return ((keys * _HASH_MULT) >> np.uint64(64 - _HASH_BITS)).astype(np.intp)


@dataclass(frozen=True, slots=True)
class _KeyTable:
    """Integer n-gram keys -> rows of logp, as a linear-probing hash table."""

    slot_keys: np.ndarray  # uint64 [2**_HASH_BITS]: the key in each slot, or _EMPTY
    slot_rows: np.ndarray  # int32 [2**_HASH_BITS]: the row of that key


def _key_table(keys: np.ndarray, rows: np.ndarray) -> _KeyTable:
    """Linear-probing table of `keys` -> `rows`, built in rounds: every key not yet placed
    tries its next slot, and of several keys wanting one free slot the first wins."""
    mask = (1 << _HASH_BITS) - 1
    slot_keys = np.full(mask + 1, _EMPTY, dtype=np.uint64)
    slot_rows = np.full(mask + 1, -1, dtype=np.int32)
    home = _home_slots(keys)
    pending = np.arange(len(keys))
    probe = 0
    while len(pending):
        slots = (home[pending] + probe) & mask
        free = np.flatnonzero(slot_keys[slots] == _EMPTY)
        won_slots, first = np.unique(slots[free], return_index=True)
        winners = pending[free[first]]
        slot_keys[won_slots] = keys[winners]
        slot_rows[won_slots] = rows[winners]
        placed = np.zeros(len(pending), dtype=bool)
        placed[free[first]] = True
        pending = pending[~placed]
        probe += 1
    return _KeyTable(slot_keys, slot_rows)


def _lookup(keys: np.ndarray, table: _KeyTable) -> np.ndarray:
    """The row of each key, -1 for keys not in the table."""
    slots = _home_slots(keys)
    found = table.slot_keys[slots]
    rows = np.where(found == keys, table.slot_rows[slots], -1)
    # keys whose first slot holds another key probe on, until theirs or an empty slot
    todo = np.flatnonzero((rows < 0) & (found != _EMPTY))
    slots = slots[todo]
    while len(todo):
        slots = (slots + 1) & ((1 << _HASH_BITS) - 1)
        found = table.slot_keys[slots]
        match = found == keys[todo]
        rows[todo[match]] = table.slot_rows[slots[match]]
        go_on = ~match & (found != _EMPTY)
        todo, slots = todo[go_on], slots[go_on]
    return rows


@dataclass(frozen=True, slots=True)
class _Model:
    """langdetect's profiles, indexed for vectorised lookup: n-gram -> row of logp."""

    char_rows: np.ndarray  # int32 [0x10000]: row of each 1-gram (BMP character), or -1
    longer: _KeyTable  # 2- and 3-grams
    logp: np.ndarray  # float32 [n_keys, n_langs]
    langs: list[str]
    norm: np.ndarray  # uint32 [0x10000]: langdetect's NGram.normalize per BMP code point


def _gram_rows(cps: np.ndarray, m: _Model) -> np.ndarray:
    """The row of the 1-, 2- and 3-gram ending at each position of a normalised code point
    array, -1 where the model has none: [len(cps), 3]. Raveled, the n-grams of one text
    stay together in text order, so no sort is needed to sum them per text."""
    c = cps.astype(np.uint64)
    rows = np.full((len(cps), 3), -1, dtype=np.intp)
    rows[:, 0] = m.char_rows[cps]
    pairs = (c[:-1] << _CHAR_BITS) | c[1:]
    found = _lookup(np.concatenate([pairs, (pairs[:-1] << _CHAR_BITS) | c[2:]]), m.longer)
    rows[1:, 1] = found[: len(pairs)]
    rows[2:, 2] = found[len(pairs) :]
    return rows


_MODEL_LOCK = threading.Lock()


def _model() -> _Model:
    """The indexed profiles; the lock keeps two threads from loading them at once."""
    with _MODEL_LOCK:
        return _load_model()


def _read_profiles(directory: str) -> tuple[list[str], list[str], np.ndarray]:
    """langdetect's profiles as (languages, n-grams, probabilities [n-gram, language]):
    the values `DetectorFactory.load_profile` computes, in its order (files as listed,
    n-grams as first seen), without its dict of per-n-gram Python lists (most of the
    model's load time)."""
    langs: list[str] = []
    row_of: dict[str, int] = {}
    columns: list[tuple[np.ndarray, np.ndarray]] = []  # per language: rows, probabilities
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fh:
            profile = json.load(fh)
        langs.append(profile["name"])
        freq: dict[str, int] = profile["freq"]
        rows = np.fromiter((row_of.setdefault(g, len(row_of)) for g in freq), np.intp,
                           len(freq))
        # n-grams of 1 to 3 characters: count / n-grams of that length; others 0.0
        per_length = np.array([np.inf, *profile["n_words"][:3]], dtype=np.float64)
        lengths = np.fromiter(map(len, freq), np.intp, len(freq))
        counts = np.fromiter(freq.values(), np.float64, len(freq))
        columns.append((rows, counts / per_length[np.where(lengths <= 3, lengths, 0)]))
    probs = np.zeros((len(row_of), len(langs)), dtype=np.float64)
    for j, (rows, p) in enumerate(columns):
        probs[rows, j] = p
    return langs, list(row_of), probs.astype(np.float32)


def _gram_keys(grams: list[str]) -> np.ndarray:
    """Each n-gram's code points packed into one integer, _CHAR_BITS each, first
    character highest (what `_gram_rows` looks up); n-grams have 1 to 3 characters."""
    lengths = np.fromiter(map(len, grams), np.intp, len(grams))
    codes = np.frombuffer("".join(grams).encode("utf-32-le", "surrogatepass"),
                          dtype=np.uint32).astype(np.uint64)
    starts = np.cumsum(lengths) - lengths
    # the character's place counted from the n-gram's end: 0 for its last character
    from_end = np.repeat(starts + lengths, lengths) - 1 - np.arange(len(codes))
    return np.add.reduceat(codes << (from_end.astype(np.uint64) * _CHAR_BITS), starts)


@lru_cache(maxsize=1)
def _load_model() -> _Model:
    """Load langdetect's profiles once and index them for vectorised lookup."""
    langs, grams, probs = _read_profiles(detector_factory.PROFILES_DIRECTORY)
    keys = _gram_keys(grams)
    rows = np.arange(len(grams), dtype=np.int32)
    single = np.fromiter(map(len, grams), np.intp, len(grams)) == 1
    char_rows = np.full(0x10000, -1, dtype=np.int32)
    char_rows[keys[single].astype(np.intp)] = rows[single]
    char_rows[_SPACE] = -1  # langdetect skips the 1-gram " "
    norm = np.array([ord(NGram.normalize(chr(cp))) if not 0xD800 <= cp <= 0xDFFF else _SPACE
                     for cp in range(0x10000)], dtype=np.uint32)
    return _Model(char_rows, _key_table(keys[~single], rows[~single]),
                  np.log(probs + np.float32(_SMOOTH)), langs, norm)


def _scores(texts: list[str], m: _Model) -> tuple[np.ndarray, np.ndarray]:
    """Naive-Bayes log-likelihood of each language for each text over all its n-grams, in
    one vectorised pass: (scores [n_texts, n_langs], n-gram hits per text)."""
    joined = " " + " ".join(texts) + " "
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    seg = np.repeat(np.arange(len(texts) + 1), [1] + [len(t) + 1 for t in texts])
    seg = np.maximum(seg - 1, 0)  # the leading space belongs to the first text
    cps = np.where(cps < 0x10000, m.norm[np.minimum(cps, 0xFFFF)], _SPACE)
    space = cps == _SPACE
    keep = ~(space & np.concatenate([[False], space[:-1]]))  # collapse runs of spaces
    cps, seg = cps[keep], seg[keep]
    # each n-gram belongs to the text of its last character (separators are spaces), so
    # the hits of one text are one run
    grams = _gram_rows(cps, m).ravel()
    hit = grams >= 0
    rows, hseg = grams[hit], np.repeat(seg, 3)[hit]
    counts = np.bincount(hseg, minlength=len(texts))
    out = np.zeros((len(texts), len(m.langs)), dtype=np.float64)
    if len(rows):
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        nz = counts > 0
        # reduceat's summation order (pairwise, in hit order) is part of the scores: a
        # different sum moves near-ties between languages
        out[nz] = np.add.reduceat(np.take(m.logp, rows, axis=0), starts[nz], axis=0)
    return out, counts


def detect_many(texts: list[str]) -> list[str | None]:
    """Language of each text sample (ISO 639-1), None when there is nothing to go on."""
    out: list[str | None] = [None] * len(texts)
    todo: list[int] = []
    for i, t in enumerate(texts):
        sample = t[:SAMPLE_CHARS]
        if _letters(sample) < 20:
            continue
        out[i] = script_language(sample)
        if out[i] is None:
            todo.append(i)
    if todo:
        m = _model()
        for lo in range(0, len(todo), CHUNK):
            part = todo[lo : lo + CHUNK]
            scores, counts = _scores([texts[i][:SAMPLE_CHARS] for i in part], m)
            best = scores.argmax(axis=1)
            for j, i in enumerate(part):
                if counts[j]:
                    out[i] = _normalise(m.langs[int(best[j])])
    return out


def detect(text: str) -> str | None:
    """Language of one text sample (ISO 639-1), or None when there is nothing to go on."""
    return detect_many([text])[0]


def _paragraph_sample(body: str, k: int = 2) -> list[str]:
    """Up to k substantial paragraphs spread over the body, past the main sample."""
    rest = body[SAMPLE_CHARS:]
    paras = [p for p in rest.split("\n\n") if len(p) >= 120]
    if len(paras) <= k:
        return paras
    step = len(paras) / k
    return [paras[int(i * step)] for i in range(k)]


def detect_batch(docs: list[Document]) -> None:
    """Fill `language` and `language_mixed` from each document's body text.

    Each document contributes its first SAMPLE_CHARS of body and one later paragraph; only
    when that paragraph disagrees is a second one checked (mixed = both disagree). All
    samples of the batch are scored together (one numpy pass per round)."""
    mains: list[str] = []
    paras: list[list[str]] = []
    for doc in docs:
        body = doc.body
        main = body if _letters(body[:SAMPLE_CHARS]) >= 20 else (
            doc.title or "") + "\n" + body
        mains.append(main)
        paras.append([p[:PARA_SAMPLE_CHARS] for p in _paragraph_sample(body)])
    firsts = [p[0] if len(p) >= MIXED_MIN_PARAS else "" for p in paras]
    langs = detect_many(mains + firsts)
    main_langs, first_langs = langs[: len(docs)], langs[len(docs) :]
    suspect = [i for i, (m, f) in enumerate(zip(main_langs, first_langs, strict=True))
               if m is not None and f is not None and f != m]
    seconds = detect_many([paras[i][1] for i in suspect])
    mixed = {i for i, lang in zip(suspect, seconds, strict=True)
             if lang is not None and lang != main_langs[i]}
    for i, doc in enumerate(docs):
        doc.language = main_langs[i]
        doc.language_mixed = i in mixed
