"""Encoding repair and text hygiene: decoded text in, clean line-preserving text out.

Every step is a pure function on a string and is recorded by name in `Document.fixes` only
when it changed something. Lines stay lines (the block stage cuts blocks from lines): no
step merges or reorders lines; only runs of blank lines are collapsed.

Speed: ftfy's own `fix_text` / `badness.is_bad` cost about 1-2 ms on a 3 KB article, far too
much for millions of documents. Mojibake of UTF-8 read as a single-byte code page always
leaves a "lead byte" character followed by a "continuation byte" character, so a single
cheap regex built from ftfy's own code page list finds the lines that could be mojibake;
ftfy's encoding fixer then runs on those lines only. ftfy works line by line anyway, so this
gives the same result as running it on the whole document (see tests).
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-*" codecs used below)
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


def _mojibake_clue_pattern() -> re.Pattern[str]:
    """A regex matching what any UTF-8-read-as-a-code-page mojibake must contain.

    Built from ftfy's list of code pages: a UTF-8 lead byte (C2-F4) decoded in that code page
    followed by a continuation byte (80-BF) decoded in it; a lead followed by a plain space
    (ftfy's `restore_byte_a0` case: the NBSP byte turned into a space); or a C1 control.
    """
    leads: set[str] = set()
    continuations: set[str] = set()
    space_leads: set[str] = set()
    space_lead_bytes = bytes([0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9, 0xE0, 0xE1, 0xE2, 0xE3, 0xF0])
    for encoding in chardata.CHARMAP_ENCODINGS:
        for byte in range(0xC2, 0xF5):
            leads.add(bytes([byte]).decode(encoding, errors="ignore"))
        for byte in range(0x80, 0xC0):
            continuations.add(bytes([byte]).decode(encoding, errors="ignore"))
        space_leads.update(space_lead_bytes.decode(encoding, errors="ignore"))
    leads.discard("")
    continuations.discard("")

    def char_class(chars: set[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    return re.compile(
        f"{char_class(leads)}{char_class(continuations)}|{char_class(space_leads)} |[\x80-\x9f]"
    )


_MOJIBAKE_CLUE = _mojibake_clue_pattern()
_HTML_ENTITY = re.compile(r"&#?[0-9A-Za-z]{1,24};")
_LINE_BREAK_CHARS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls except \t and \n (\r and friends are gone by then), DEL, C1, BOM, and the
# invisible format characters ftfy removes (deprecated Arabic controls, annotations, U+FFFC).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\u206a-\u206f\ufff9-\ufffc]")
_LIGATURE = re.compile("[" + "".join(re.escape(chr(c)) for c in chardata.LIGATURES) + "]")
# NBSP and the other fixed-width spaces; U+3000 (ideographic space) is left to CJK text.
_ODD_SPACE = re.compile("[\t\xa0\u1680\u2000-\u200a\u202f\u205f]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)
_BLANK_RUN = re.compile(r"\n{4,}")  # 3+ blank lines

# Glued sentences: letters + [.!?] + letters, no space. The callback decides (Unicode case).
_GLUED = re.compile(r"(?<![^\W\d_])([^\W\d_]{2,})([.!?])([^\W\d_]{2,})")
# Tokens that are web addresses, e-mails or paths: never split inside them.
_ADDRESS_HINT = re.compile(r"://|www\.|@|/|\\")
# "example.Com", "report.Pdf": a capitalised extension or top-level domain, not a sentence.
_NOT_SENTENCE_START = frozenset(
    "com net org edu gov mil int info biz io co uk us de fr ru cn jp eu html htm php asp aspx "
    "jsp pdf doc docx xls xlsx ppt pptx txt csv json xml jpg jpeg png gif svg mp3 mp4 zip "
    "exe js css py".split()
)


def repair_text(text: str) -> tuple[str, list[str]]:
    """Repair one decoded text; return it with the names of the fixes that changed it."""
    fixes: list[str] = []
    is_ascii = text.isascii()

    def record(name: str, before: str, after: str) -> str:
        if after != before:
            fixes.append(name)
        return after

    if "&" in text:
        text = record("html_entities", text, unescape_entities(text))
    if not is_ascii:
        text = record("mojibake", text, fix_mojibake(text))
    text = record("line_endings", text, normalise_line_endings(text))
    if not is_ascii and _SURROGATE.search(text):
        text = record("surrogates", text, ftfy_fixes.fix_surrogates(text))
    text = record("control_chars", text, remove_control_chars(text))
    is_ascii = text.isascii()  # entity decoding or mojibake repair may have added non-ASCII
    if not is_ascii:
        if _LIGATURE.search(text):
            text = record("ligatures", text, ftfy_fixes.fix_latin_ligatures(text))
        if not unicodedata.is_normalized("NFC", text):
            text = record("nfc", text, unicodedata.normalize("NFC", text))
    text = record("whitespace", text, normalise_whitespace(text))
    text = record("glued_sentences", text, split_glued_sentences(text))
    return text, fixes


def repair_batch(docs: list[Document]) -> None:
    """Fill `doc.text` and `doc.fixes` from `doc.raw_text` for every document."""
    for doc in docs:
        doc.text, doc.fixes = repair_text(doc.raw_text)


def unescape_entities(text: str) -> str:
    """Decode HTML entities with ftfy's unambiguous (semicolon-terminated) decoder.

    Repeated (at most 3 passes) because scrapers often escape twice ("&amp;nbsp;").
    ftfy's version is used over `html.unescape` so that "AT&T;" style text and
    "this&not that" are not mangled.
    """
    for _ in range(3):
        if not _HTML_ENTITY.search(text):
            break
        decoded = ftfy_fixes.unescape_html(text)
        if decoded == text:
            break
        text = decoded
    return text


def fix_mojibake(text: str) -> str:
    """Run ftfy's encoding fixer on the lines that carry a mojibake clue, and only those.

    Per line because some documents have only a few garbled lines, and because ftfy
    itself decides per line; skipping clean lines is what makes this cheap.
    """
    if not _MOJIBAKE_CLUE.search(text):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _MOJIBAKE_CLUE.search(line):
            lines[i] = ftfy.fix_text(line, _MOJIBAKE_CONFIG)
    return "\n".join(lines)


def normalise_line_endings(text: str) -> str:
    """CRLF, lone CR, VT, FF, NEL and U+2028/2029 -> LF, so lines are split in one way only."""
    return _LINE_BREAK_CHARS.sub("\n", text)


def remove_control_chars(text: str) -> str:
    """Drop terminal escape sequences, then control characters (NULs included); keep \\t, \\n."""
    if "\x1b" in text:
        text = ftfy_fixes.remove_terminal_escapes(text)
    return _CONTROL.sub("", text)


def normalise_whitespace(text: str) -> str:
    """Plain spaces, no trailing spaces, blank-line runs of 3+ cut to one, no outer blank lines.

    Leading spaces of a line are kept (they may mean something to the block stage).
    """
    text = _ODD_SPACE.sub(" ", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _BLANK_RUN.sub("\n\n", text)
    return text.strip("\n")


def split_glued_sentences(text: str) -> str:
    """Insert the missing space in "lowercase-word.Capitalised-word" glued by scraping.

    Only a lowercase word (2+ letters) then . ! or ? then a capitalised word (2+ letters) is
    split, and never inside URLs, e-mails, paths, domains/file extensions ("example.Com"),
    initials and abbreviations ("U.S.", "Ph.D": not lowercase) or numbers (not letters).
    """
    if not any(mark in text for mark in ".!?"):
        return text
    return _GLUED.sub(_split_if_sentence, text)


def _split_if_sentence(match: re.Match[str]) -> str:
    left, mark, right = match.group(1), match.group(2), match.group(3)
    if not (left.islower() and right[0].isupper() and right[1:].islower()):
        return match.group(0)
    if right.lower() in _NOT_SENTENCE_START:
        return match.group(0)
    text, start, end = match.string, match.start(), match.end()
    if start > 0 and text[start - 1] in ".-_":  # "www.site.Com", "my-file.Txt"
        return match.group(0)
    token_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    token_end = min(
        (i for i in (text.find(" ", end), text.find("\n", end)) if i != -1), default=len(text)
    )
    if _ADDRESS_HINT.search(text, token_start, token_end):
        return match.group(0)
    return f"{left}{mark} {right}"
