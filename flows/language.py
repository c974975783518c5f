"""Body language: langdetect on a bounded sample, with a Unicode-script shortcut.

langdetect costs ~20 ms on a whole article; the first ~800 characters of body decide the
language just as well, and scripts used by one language only (Hangul, kana, Thai, Greek...)
need no model at all. Detection is re-seeded per call so a document's language never depends
on which batch it was in or what was detected before it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from langdetect import DetectorFactory, LangDetectException, detect_langs

from flows.model import Document

SAMPLE_CHARS = 800  # body characters given to langdetect
PARA_SAMPLE_CHARS = 300  # per paragraph, for the mixed-language check
MIXED_MIN_PARAS = 3
MIXED_SHARE = 0.3  # paragraphs in another language (of those checked) that make a doc mixed

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


def script_language(text: str) -> str | None:
    """The language implied by the dominant script alone, when that is unambiguous."""
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


def detect(text: str) -> str | None:
    """Language of a text sample (ISO 639-1), or None when there is nothing to go on."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    by_script = script_language(sample)
    if by_script:
        return by_script
    DetectorFactory.seed = 0
    try:
        langs = detect_langs(sample)
    except LangDetectException:
        return None
    return _normalise(langs[0].lang) if langs else None


def _paragraph_sample(body: str, k: int = 5) -> list[str]:
    """Up to k substantial paragraphs spread over the body."""
    paras = [p for p in body.split("\n\n") if sum(ch.isalpha() for ch in p) >= 80]
    if len(paras) <= k:
        return paras
    step = len(paras) / k
    return [paras[int(i * step)] for i in range(k)]


def is_mixed(body: str, main: str | None) -> bool:
    """True when a good share of sampled paragraphs is in another language than `main`."""
    paras = _paragraph_sample(body)
    if main is None or len(paras) < MIXED_MIN_PARAS:
        return False
    other = sum(1 for p in paras if (detect(p[:PARA_SAMPLE_CHARS]) or main) != main)
    return other / len(paras) >= MIXED_SHARE


def detect_batch(docs: list[Document]) -> None:
    """Fill `language` and `language_mixed` from each document's body text."""
    for doc in docs:
        body = doc.body
        text = body if sum(ch.isalpha() for ch in body[:SAMPLE_CHARS]) >= 20 else (
            doc.title or "") + "\n" + body
        doc.language = detect(text)
        doc.language_mixed = is_mixed(body, doc.language)
