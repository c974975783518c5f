"""Encoding repair and text hygiene: decoded text in, clean line-preserving text out.

Every step is a pure function on a string and is recorded by name in `Document.fixes` only
when it changed something. Lines stay lines (the block stage cuts blocks from lines): no
step merges or reorders lines; only runs of blank lines are collapsed.

Speed: ftfy's own `fix_text` / `badness.is_bad` cost about 1-2 ms on a 3 KB article, far too
much for millions of documents. Mojibake of UTF-8 read as a single-byte code page always
leaves a "lead byte" character followed by a "continuation byte" character of that code
page, so cheap regexes built from ftfy's own code page list find the lines that could be
mojibake (first on the document's few non-ASCII characters, then per line); ftfy's encoding
fixer runs on those lines only. ftfy fixes line by line anyway, so this gives the same
result as running it on the whole document (see tests). Other steps are gated by `in` tests.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import ftfy
import ftfy.bad_codecs  # registers the "sloppy-windows-*" codecs used below
from ftfy import chardata
from ftfy import fixes as ftfy_fixes

from flows.model import Document

# Every fix name that can appear in Document.fixes, with its meaning (docs are built from it).
REPAIR_FIXES: dict[str, str] = {
    "html_entities": "HTML entities left by the scraper decoded (&amp; &#8217; &nbsp; ...)",
    "mojibake": "text garbled by a wrong decode (UTF-8 read as cp1252/latin-1 ...) repaired",
    "line_endings": "CRLF, CR and other line separators turned into LF",
    "surrogates": "lone or paired UTF-16 surrogates (from JSON escapes) fixed",
    "control_chars": "control characters, terminal escapes and stray NULs removed",
    "ligatures": "Latin typographic ligatures (ﬁ, ﬂ ...) spelled out",
    "nfc": "Unicode normalised to NFC",
    "whitespace": "NBSP, tabs and odd spaces made plain spaces; trailing spaces, blank-line "
    "runs and leading/trailing blank lines removed",
    "glued_sentences": "sentences glued by the scraper split ('added.Ushakov' -> 'added. Ushakov')",
}

# Only the encoding part of ftfy: we do the other fixes ourselves so each is recorded and
# cheap. No quote uncurling and no fullwidth-CJK folding (they change correct text).
_MOJIBAKE_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)


def _char_class(byte_values: range | bytes, encodings: list[str]) -> str:
    """A regex class of the characters these bytes become in the given code pages."""
    chars = {bytes([b]).decode(enc, errors="ignore") for enc in encodings for b in byte_values}
    chars.discard("")
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


# What UTF-8-read-as-a-code-page mojibake must contain, for one of the code pages ftfy can
# undo: a UTF-8 lead byte (C2-F4) shown as a character of that code page followed by a
# continuation byte (80-BF) shown in the same code page; or ftfy's `restore_byte_a0` case,
# where the NBSP continuation byte became a plain space (ftfy's own ALTERED_UTF8_RE: a
# two-byte lead + space, or a three/four-byte lead + space + continuation; macroman is
# skipped there as ftfy does, its D0 being the en dash); or a C1 control (latin-1 read where
# cp1252 was meant).
_LEAD_BYTES = range(0xC2, 0xF5)
_CONTINUATION_BYTES = range(0x80, 0xC0)
_NOT_MACROMAN = [e for e in chardata.CHARMAP_ENCODINGS if e != "macroman"]
_SPACED_LEAD2 = _char_class(bytes([0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9]), _NOT_MACROMAN)
_SPACED_LEAD34 = _char_class(bytes([0xE0, 0xE1, 0xE2, 0xE3, 0xF0]), _NOT_MACROMAN)
_ANY_CONTINUATION = _char_class(_CONTINUATION_BYTES, chardata.CHARMAP_ENCODINGS)
# Coarse and cheap (code pages mixed): run first.
_ANY_LEAD_THEN_CONTINUATION = re.compile(
    _char_class(_LEAD_BYTES, chardata.CHARMAP_ENCODINGS) + _ANY_CONTINUATION
)
# Exact, one code page at a time, so legitimate neighbours such as "’”" (a macroman lead
# and a cp1252 continuation) are not taken for mojibake.
_LEAD_THEN_CONTINUATION_BY_CODE_PAGE = tuple(
    re.compile(_char_class(_LEAD_BYTES, [enc]) + _char_class(_CONTINUATION_BYTES, [enc]))
    for enc in chardata.CHARMAP_ENCODINGS
)
_SPACED_LEAD2_CHAR = re.compile(_SPACED_LEAD2)
_LEAD_THEN_SPACE = re.compile(f"{_SPACED_LEAD2} |{_SPACED_LEAD34} {_ANY_CONTINUATION}")
_C1 = re.compile("[\x80-\x9f]")
_ASCII_BYTES = bytes(range(128))
# Every byte except the ASCII controls we remove (\t and \n are kept): deleting these from
# the UTF-8 bytes leaves something only when there is a control character to remove.
_NOT_ASCII_CONTROL_BYTES = bytes(
    b for b in range(256) if not (b < 0x20 or b == 0x7F) or b in (9, 10)
)

_HTML_ENTITY = re.compile(r"&#?[0-9A-Za-z]{1,24};")
_OTHER_LINE_BREAKS = ("\x0b", "\x0c", "\x85", "\u2028", "\u2029")
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls except \t and \n (\r and friends are gone by then), DEL, C1, BOM, and the
# invisible format characters ftfy removes (deprecated Arabic controls, annotations, U+FFFC).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\u206a-\u206f\ufff9-\ufffc]")
_LIGATURE = re.compile("[" + "".join(re.escape(chr(c)) for c in chardata.LIGATURES) + "]")
# NBSP and the other fixed-width spaces; U+3000 (ideographic space) is left to CJK text.
_ODD_SPACES = frozenset("\xa0\u1680\u202f\u205f" + "".join(map(chr, range(0x2000, 0x200B))))
_BLANK_RUN = re.compile(r"\n{4,}")  # 3+ blank lines

# Glued sentences: letters + [.!?] + letters, no space. The callback decides (Unicode case).
_WORD_BEFORE = re.compile(r"[^\W\d_]+$")
_WORD_AT = re.compile(r"[^\W\d_]+")
# Right after "module.Name" in code, not after the first word of a sentence.
_CODE_FOLLOWERS = frozenset("([{)]}_=<>:")
# Tokens that are web addresses, e-mails or paths: never split inside them.
_ADDRESS_HINT = re.compile(r"://|www\.|@|/|\\")
# "example.Com", "report.Pdf": a capitalised extension or top-level domain, not a sentence.
_EXTENSIONS_AND_DOMAINS = (
    "com net org edu gov mil int info biz io co uk us de fr ru cn jp eu html htm php asp aspx "
    "jsp pdf doc docx xls xlsx ppt pptx txt csv json xml jpg jpeg png gif svg mp3 mp4 zip exe "
    "js css py"
)
_NOT_SENTENCE_START = frozenset(_EXTENSIONS_AND_DOMAINS.split())


def repair_text(text: str) -> tuple[str, list[str]]:
    """Repair one decoded text; return it with the names of the fixes that changed it.

    Order follows ftfy's: entities before mojibake ("&Atilde;&copy;" is mojibake too),
    mojibake before line and control-character work (C1 bytes are mojibake clues).
    """
    fixes: list[str] = []

    def step(name: str, fix: Callable[[str], str]) -> None:
        nonlocal text
        fixed = fix(text)
        if fixed != text:
            fixes.append(name)
            text = fixed

    step("html_entities", unescape_entities)
    step("mojibake", fix_mojibake)
    step("line_endings", normalise_line_endings)
    step("surrogates", fix_surrogates)
    step("control_chars", remove_control_chars)
    step("ligatures", fix_ligatures)
    step("nfc", normalise_nfc)
    step("whitespace", normalise_whitespace)
    step("glued_sentences", split_glued_sentences)
    return text, fixes


def repair_batch(docs: list[Document]) -> None:
    """Fill `doc.text` and `doc.fixes` from `doc.raw_text` for every document."""
    for doc in docs:
        doc.text, doc.fixes = repair_text(doc.raw_text)


def unescape_entities(text: str) -> str:
    """Decode HTML entities with ftfy's unambiguous (semicolon-terminated) decoder.

    Repeated (at most 3 passes) because scrapers often escape twice ("&amp;nbsp;").
    ftfy's decoder is used over `html.unescape` so that informal text such as
    "this&not that" or "a=1&copy=2" is not mangled.
    """
    for _ in range(3):
        if "&" not in text or not _HTML_ENTITY.search(text):
            break
        decoded = ftfy_fixes.unescape_html(text)
        if decoded == text:
            break
        text = decoded
    return text


def fix_mojibake(text: str) -> str:
    """Run ftfy's encoding fixer on the lines that carry a mojibake clue, and only those.

    Per line because some documents have only a few garbled lines, and because ftfy itself
    decides per line; skipping clean lines (nearly all of them) is what makes this cheap.
    """
    if text.isascii() or not _may_have_mojibake(_non_ascii_chars(text)):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.isascii() and _has_mojibake_clue(line):
            lines[i] = ftfy.fix_text(line, _MOJIBAKE_CONFIG)
    return "\n".join(lines)


def normalise_line_endings(text: str) -> str:
    """CRLF, lone CR, VT, FF, NEL and U+2028/2029 -> LF, so lines split one way only."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for separator in _OTHER_LINE_BREAKS:
        if separator in text:
            text = text.replace(separator, "\n")
    return text


def fix_surrogates(text: str) -> str:
    """Join UTF-16 surrogate pairs and replace lone ones (JSON "\\ud83d" escapes) by U+FFFD.

    A lone surrogate cannot be written as UTF-8, so it would break the Parquet output.
    """
    if text.isascii() or not _SURROGATE.search(_non_ascii_chars(text)):
        return text
    return ftfy_fixes.fix_surrogates(text)


def remove_control_chars(text: str) -> str:
    """Drop terminal escape sequences, then control characters (NULs too); keep \\t, \\n."""
    if "\x1b" in text:
        text = ftfy_fixes.remove_terminal_escapes(text)
    if not _has_control_chars(text):
        return text
    return _CONTROL.sub("", text)


def fix_ligatures(text: str) -> str:
    """Spell out Latin typographic ligatures ("ﬁ" -> "fi") left by PDF or web fonts."""
    if text.isascii() or not _LIGATURE.search(_non_ascii_chars(text)):
        return text
    return ftfy_fixes.fix_latin_ligatures(text)


def normalise_nfc(text: str) -> str:
    """Unicode NFC, so the same word is the same code points (dedup, search, tokenisers)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def normalise_whitespace(text: str) -> str:
    """Plain spaces, no trailing spaces, blank-line runs of 3+ cut to one, no outer blank lines.

    Leading spaces of a line are kept (they may mean something to the block stage).
    """
    if "\t" in text:
        text = text.replace("\t", " ")
    if not text.isascii():
        for odd_space in _ODD_SPACES.intersection(_non_ascii_chars(text)):
            text = text.replace(odd_space, " ")
    if " \n" in text or "\u3000\n" in text or text[-1:].isspace():
        text = "\n".join([line.rstrip() for line in text.split("\n")])
    if "\n\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    return text.strip("\n")


def split_glued_sentences(text: str) -> str:
    """Insert the missing space in "lowercase-word.Capitalised-word" glued by scraping.

    Only a lowercase word (2+ letters) then . ! or ? then a capitalised word (2+ letters) is
    split, and never inside URLs, e-mails, paths, domains/file extensions ("example.Com"),
    initials and abbreviations ("U.S.", "Ph.D": not lowercase) or numbers (not letters).
    Candidates come from a cheap scan; each is then checked by looking around it.
    """
    pieces: list[str] = []
    done = 0
    for mark in _glue_candidates(text):
        if _is_glued_sentence(text, mark):
            pieces.append(text[done : mark + 1])
            done = mark + 1
    if not pieces:
        return text
    pieces.append(text[done:])
    return " ".join(pieces)


def _glue_candidates(text: str) -> list[int]:
    """Positions of . ! ? directly followed by a letter, in order (str.find beats a regex)."""
    found: list[int] = []
    for mark in ".!?":
        at = text.find(mark)
        while at != -1:
            if text[at + 1 : at + 2].isalpha():
                found.append(at)
            at = text.find(mark, at + 1)
    return sorted(found)


def _is_glued_sentence(text: str, mark: int) -> bool:
    """Is the punctuation at `mark` the end of a sentence glued to the next one?"""
    left = _WORD_BEFORE.search(text, max(0, mark - 64), mark)
    right = _WORD_AT.match(text, mark + 1)
    if left is None or right is None:
        return False
    left_word, right_word = left.group(), right.group()
    if len(left_word) < 2 or len(right_word) < 2 or not left_word.islower():
        return False
    if not (right_word[0].isupper() and right_word[1:].islower()):
        return False
    if right_word.lower() in _NOT_SENTENCE_START:
        return False
    start, end = left.start(), right.end()
    if start > 0 and (text[start - 1] in ".-_" or text[start - 1].isdigit()):
        return False  # "www.site.Com", "my-file.Txt", "3d.Model"
    after = text[end : end + 2]
    if after[:1] in _CODE_FOLLOWERS or (after[:1] == "." and after[1:].isalnum()):
        return False  # code: "subprocess.Popen(", "std.Build)", "os.Path.join"
    token_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    ends = [i for i in (text.find(" ", end), text.find("\n", end)) if i != -1]
    token_end = min(ends, default=len(text))
    return not _ADDRESS_HINT.search(text, token_start, token_end)


@lru_cache(maxsize=4)
def _non_ascii_chars(text: str) -> str:
    """Only the non-ASCII characters of `text`, in order: a tiny string to run checks on.

    Deleting ASCII bytes from the UTF-8 encoding runs in C and is far cheaper than scanning
    the whole text with a regex; most articles have just a few curly quotes and dashes.
    Cached because several steps ask about the same (unchanged) text in a row.
    """
    data = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    return data.decode("utf-8", "surrogatepass")


def _may_have_mojibake(non_ascii: str) -> bool:
    """Cheap necessary condition, checked on the non-ASCII characters only.

    Dropping the ASCII characters can only make more characters adjacent, never fewer, so
    no mojibake is missed; a space after a two-byte lead is covered by the lead alone, a
    longer lead + space + continuation by the lead + continuation pair.
    """
    if _C1.search(non_ascii) or _SPACED_LEAD2_CHAR.search(non_ascii):
        return True
    return _has_lead_then_continuation(non_ascii)


def _has_mojibake_clue(line: str) -> bool:
    """Could ftfy's encoding fixer change this line? (the necessary condition, exactly)"""
    if _C1.search(line) or _LEAD_THEN_SPACE.search(line):
        return True
    return _has_lead_then_continuation(line)


def _has_lead_then_continuation(text: str) -> bool:
    if not _ANY_LEAD_THEN_CONTINUATION.search(text):
        return False
    return any(pattern.search(text) for pattern in _LEAD_THEN_CONTINUATION_BY_CODE_PAGE)


def _has_control_chars(text: str) -> bool:
    if text.encode("utf-8", "surrogatepass").translate(None, _NOT_ASCII_CONTROL_BYTES):
        return True
    return not text.isascii() and bool(_CONTROL.search(_non_ascii_chars(text)))
