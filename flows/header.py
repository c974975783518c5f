"""Pure recognisers for article header lines: bylines, date lines, dateline prefixes, credits.

The block labeller calls the `is_*` / `split_*` functions to decide roles; metadata.py calls
the `parse_*` functions on the blocks that got those roles. Both must agree, so the patterns
live here once. Agency names come from rules/agencies.toml so users can add wire services.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

RULES_DIR = Path(__file__).parent / "rules"
_CACHE = 1 << 14  # recognisers are cached by line text: page furniture repeats across pages

# ------------------------------------------------------------------------------------------
# Agencies (rules/agencies.toml)
# ------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def agency_aliases() -> dict[str, str]:
    """Printed form -> canonical agency name, from rules/agencies.toml."""
    with open(RULES_DIR / "agencies.toml", "rb") as fh:
        data = tomllib.load(fh)
    out: dict[str, str] = {}
    for entry in data.get("agency", []):
        name = entry["name"]
        out[name] = name
        for alias in entry.get("aliases", []):
            out[alias] = name
    return out


def literal_alternation(words: Iterable[str]) -> str:
    """A regex matching any of `words`, the longest first, as a prefix tree ("sep", "sept",
    "september" -> "sep(?:t(?:ember)?)?"): the regex engine tries the words sharing a prefix
    once, not each word at every position (three times faster on the month names), and
    matches the same text as the plain longest-first alternation of the words would."""
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _tree_regex(tree)


def _tree_regex(node: dict[str, dict]) -> str:
    """The regex of a prefix-tree node; the word ending at it, if any, is tried last (a
    greedy "?"), so longer words win as in a longest-first alternation."""
    branches = [re.escape(char) + _tree_regex(child) for char, child in node.items() if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" not in node:
        return body
    return f"(?:{body})?" if len(body) > 1 else body + "?"


@lru_cache(maxsize=1)
def _agency_re() -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(" + literal_alternation(agency_aliases()) + r")(?![\w-])")


def canonical_agency(name: str) -> str | None:
    """The canonical agency for a printed name, or None if it is not a known agency."""
    return agency_aliases().get(name.strip(" .()/-"))


def find_agencies(text: str) -> list[str]:
    """Canonical agencies named in `text`, in order, without repeats."""
    out: list[str] = []
    for m in _agency_re().finditer(text):
        name = agency_aliases()[m.group(1)]
        if name not in out:
            out.append(name)
    return out


# ------------------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------------------

# month names and abbreviations: en, de, fr, es, it, pt, nl, ru (genitive and nominative)
_MONTH_WORDS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio",
        "gen", "janeiro", "januari", "января", "январь", "янв"),
    2: ("february", "feb", "februar", "février", "fevrier", "févr", "fevr", "febrero",
        "febbraio", "fevereiro", "fev", "februari", "февраля", "февраль", "фев"),
    3: ("march", "mar", "märz", "maerz", "mars", "marzo", "março", "marco", "maart", "mrt",
        "марта", "март"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile", "апреля", "апрель", "апр"),
    5: ("may", "mai", "mayo", "maggio", "mag", "maio", "mei", "мая", "май"),
    6: ("june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho", "июня", "июнь"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho", "июля",
        "июль"),
    8: ("august", "aug", "août", "aout", "agosto", "ago", "augustus", "августа", "август",
        "авг"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "settembre",
        "set", "setembro", "сентября", "сентябрь", "сен"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott",
         "outubro", "out", "октября", "октябрь", "окт"),
    11: ("november", "nov", "novembre", "noviembre", "novembro", "ноября", "ноябрь", "ноя"),
    12: ("december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "diciembre",
         "dic", "dicembre", "dezembro", "дек", "декабря", "декабрь"),
}
MONTHS: dict[str, int] = {w: m for m, words in _MONTH_WORDS.items() for w in words}
_MON = "(?:" + literal_alternation(MONTHS) + ")"
_WEEKDAYS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|"
    "thurs|fri|sat|sun|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|"
    "mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles|jueves|viernes|"
    "sábado|domingo|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|segunda-feira|"
    "terça-feira|quarta-feira|quinta-feira|sexta-feira|maandag|dinsdag|woensdag|donderdag|"
    "vrijdag|zaterdag|zondag|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье"
)
_ORD = r"(?:st|nd|rd|th|er|e|º|°|\.)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # 2015-05-14, 2015/05/14, 2015.05.14 (optionally followed by a time)
    ("ymd", re.compile(r"(?<![\d.])" + _YEAR + r"(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"
                       r"(?![\d])")),
    # 14.05.2015 / 05/14/2015 / 14-05-2015
    ("dmy_num", re.compile(r"(?<![\d./-])(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)"
                           + _YEAR + r"(?![\d])")),
    # May 13th, 2015 / May 13 / Sept. 13 2015
    ("mdy", re.compile(r"(?<![\w])(?P<mon>" + _MON + r")\.?\s+(?P<d>\d{1,2})"
                       r"(?:st|nd|rd|th)?(?![\d:])(?:,?\s+" + _YEAR + r"(?!\d))?", re.I)),
    # 13 May 2015 / 13. Mai 2015 / 13 de mayo de 2015 / 13 мая 2015 г.
    ("dmy", re.compile(r"(?<![\w.])(?P<d>\d{1,2})" + _ORD + r"\s*(?:de\s+|of\s+)?(?P<mon>"
                       + _MON + r")\.?(?![\w])(?:,?\s*(?:de\s+|del\s+)?" + _YEAR
                       + r"(?!\d))?", re.I)),
    # May 2015 / mai 2015 (month precision)
    ("my", re.compile(r"(?<![\w])(?P<mon>" + _MON + r")\.?,?\s+(?:de\s+)?" + _YEAR + r"(?!\d)",
                      re.I)),
)


_DIGIT = re.compile(r"\d")
# What every date pattern needs besides a digit: a whole month word, or digits separated
# twice ("14.05.2015", "2015-05-14"). Two cheap tests that spare the five patterns (and
# their long month alternations) on most lines that merely hold a number.
_MONTH_SET = frozenset(MONTHS)
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_NUMERIC_DATE = re.compile(r"\d[-/.]\d{1,2}[-/.]\d")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date as printed. `year` is None when only day and month are printed ("May 13")."""

    text: str
    year: int | None
    month: int
    day: int | None
    start: int = 0
    end: int = 0

    @property
    def precision(self) -> str:
        return "day" if self.day else "month"

    @property
    def value(self) -> date | None:
        """The calendar date (first of month for month precision); None without a year."""
        if self.year is None:
            return None
        try:
            return date(self.year, self.month, self.day or 1)
        except ValueError:
            return None


def _valid(y: int | None, m: int, d: int | None) -> bool:
    if not 1 <= m <= 12:
        return False
    if d is None:
        return True
    try:
        date(y or 2000, m, d)  # 2000 is a leap year: Feb 29 without a year is allowed
    except ValueError:
        return False
    return True


def _from_match(kind: str, m: re.Match[str]) -> ParsedDate | None:
    g = m.groupdict()
    year = int(g["year"]) if g.get("year") else None
    if kind == "ymd":
        month, day = int(g["m"]), int(g["d"])
    elif kind == "dmy_num":
        a, b = int(g["a"]), int(g["b"])
        # "." and "-" are day-first everywhere; "/" is month-first unless that is impossible
        if g["s"] == "/" and a <= 12 and b <= 31:
            month, day = (a, b) if b > 12 or a <= 12 else (b, a)
        else:
            day, month = a, b
        if month > 12 and day <= 12:
            day, month = month, day
    else:
        # the patterns match case-insensitively, which admits look-alikes that lower() keeps
        # apart ("ſep", with a long s): casefold() maps them; anything else is no month
        month = MONTHS.get(g["mon"].lower()) or MONTHS.get(g["mon"].casefold())
        if month is None:
            return None
        day = int(g["d"]) if g.get("d") else None
    if not _valid(year, month, day):
        return None
    return ParsedDate(m.group(0), year, month, day, m.start(), m.end())


def find_dates(text: str) -> list[ParsedDate]:
    """Every date expression in `text`, left to right, without overlaps."""
    if not _DIGIT.search(text):
        return []  # every pattern needs a digit: most lines are skipped here cheaply
    return list(_find_dates(text))


@lru_cache(maxsize=8192)
def _find_dates(text: str) -> tuple[ParsedDate, ...]:
    """find_dates, cached: header lines are parsed by several recognisers in a row."""
    if not _NUMERIC_DATE.search(text) and _MONTH_SET.isdisjoint(
            _LETTER_RUN.findall(text.casefold())):
        return ()
    found: list[ParsedDate] = []
    taken: list[tuple[int, int]] = []
    for kind, pat in _DATE_PATTERNS:
        for m in pat.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            pd = _from_match(kind, m)
            if pd is not None:
                found.append(pd)
                taken.append((m.start(), m.end()))
    return tuple(sorted(found, key=lambda p: p.start))


# words that may surround a date on a line that is "just a date"
_DATE_LINE_FILLER = re.compile(
    r"(?i)\b(?:" + _WEEKDAYS + r"|updated|last\s+updated|published|posted|posted\s+on|"
    r"published\s+on|updated\s+on|first\s+published|modified|last\s+modified|date|dated|on|at|"
    r"am|pm|a\.m|p\.m|gmt|utc|[ecmp][sd]t|bst|cet|cest|ist|jst|sgt|hkt|aest|"
    r"aktualisiert|veröffentlicht|stand|am|um|uhr|publié|publie|mis\s+à\s+jour|le|à|"
    r"publicado|actualizado|el|a\s+las|pubblicato|aggiornato|alle|il|atualizado|em|"
    r"gepubliceerd|bijgewerkt|op|om|опубликовано|обновлено|в|г|года|de|del|"
    r"read|min|minute|minutes|mins|reading|time|ago|hours?|days?|edt|est)\b|"
    r"\d{1,2}:\d{2}(?::\d{2})?|[+-]\d{2}:?\d{2}|[\s,.;:|/•·\-–—()\[\]]"
)


@lru_cache(maxsize=_CACHE)
def parse_date_line(text: str) -> ParsedDate | None:
    """The date of a line that is essentially a date ("Updated: 2015-05-14 07:44",
    "Wednesday, May 13th 2015", "Published 3 May 2021, 10:00 GMT"); None otherwise.

    Lines with prose around the date (a caption, a sentence) are not date lines, so a date in
    a story is never taken for the publication date.
    """
    s = text.strip()
    if not s or len(s) > 90:
        return None
    dates = find_dates(s)
    if not dates:
        return None
    rest = s
    for d in reversed(dates):
        rest = rest[: d.start] + " " + rest[d.end :]
    rest = _DATE_LINE_FILLER.sub("", rest)
    if len(rest) > 3:
        return None
    # several dates on one line ("Published May 1, 2020 Updated May 3, 2020"): the first
    best = [d for d in dates if d.year is not None] or dates
    return best[0]


# ------------------------------------------------------------------------------------------
# Bylines and names
# ------------------------------------------------------------------------------------------

_BYLINE_LEAD = re.compile(
    r"^\s*(?:(?:written|words|story|text|reporting|report|posted|published|edited|reviewed|"
    r"compiled|interview)\s+)?(?:by|von|par|por|di|door|av|af|от)\s*:?\s+(?=\S)"
    r"|^\s*(?:author|authors|autor|auteur|autore|auteurs|writer|text|texto|texte|"
    r"автор)\s*:\s*(?=\S)",
    re.I,
)
_NAME_WORD = r"(?:[A-ZÀ-ÖØ-ÞА-Я][\w'’.-]*|(?:de|van|von|der|den|da|di|del|la|le|bin|al|el)(?=\s))"
_PERSON = re.compile(r"^" + _NAME_WORD + r"(?:\s+" + _NAME_WORD + r"){0,4}$")
_NAME_JOIN = re.compile(r"\s*(?:,|&|\band\b|\bwith\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b|\bи\b)\s*")


@lru_cache(maxsize=1)
def non_person_words() -> frozenset[str]:
    """Lower-case words that are never part of a person's name, from rules/names.toml."""
    with open(RULES_DIR / "names.toml", "rb") as fh:
        return frozenset(w.lower() for w in tomllib.load(fh)["non_person"]["words"])


# a user name run together from words ("TurboTaxLisa"): two humps inside one word, where
# a name has at most one ("McNamara", "DeSiato")
_HANDLE = re.compile(r"[a-z][A-Z].*[a-z][A-Z]")


def looks_like_person(name: str) -> bool:
    """A capitalised 1-5 word name that is not a role word ("Staff", "Senior Editor")."""
    n = name.strip()
    if not n or len(n) > 60 or not _PERSON.match(n):
        return False
    words = [w.lower().strip(".") for w in n.split()]
    non_person = non_person_words()
    if any(w in non_person for w in words) or any(_HANDLE.search(w) for w in n.split()):
        return False
    if canonical_agency(n):
        return False
    return not n.isupper() or len(words) >= 2


@lru_cache(maxsize=_CACHE)
def is_byline(text: str) -> bool:
    """A line that credits the writer: "By Jane Doe", "Von Max Muster", "Author: X",
    "By Agencies", or a bare list of two or more names ("Jo Biddle with Anna Smolchenko")."""
    s = text.strip()
    if not s or len(s) > 160:
        return False
    m = _BYLINE_LEAD.match(s)
    if m:
        rest = s[m.end() :]
        return bool(rest) and (rest[0].isupper() or rest[0] == "@" or rest.startswith("the "))
    # a bare name list only with "with" (wire style "Jo Biddle with Anna Smolchenko"): "and"
    # and "&" join too many capitalised phrases ("Video Editing & Motion Graphics")
    parts = s.split(" with ")
    return len(parts) == 2 and all(
        looks_like_person(p) and 2 <= len(p.split()) <= 3 for p in parts
    )


@dataclass(frozen=True, slots=True)
class Byline:
    """What a byline says: person names, a trailing outlet "(China Daily)", agencies."""

    authors: tuple[str, ...]
    outlet: str | None
    agencies: tuple[str, ...]


_BY_LATER = re.compile(r"\b(?:by|By|BY)\s*:?\s+(?=[A-ZÀ-Ö])")
_PLACE_TAIL = re.compile(r"\s+(?:in|from|at|en|aus|em|a|à|в)\s+[A-ZÀ-Ö].*$")
_LABEL_TAIL = re.compile(
    r"\s+(?:published|updated|last\s+updated|posted|reviewed|fact[- ]checked|edited|on|"
    r"veröffentlicht|aktualisiert|publié|publicado)\b.*$",
    re.I,
)
_CREDENTIALS = re.compile(r"(?:,\s*(?:[A-Z][A-Za-z.]{0,5}[A-Z.]|Ph\.?D\.?|Jr\.?|Sr\.?))+$")
_TRAILING_PAREN = re.compile(r"\s*\(([^()]{2,60})\)\s*$")
# the bullets that separate the fields of a byline or meta line; "â‹…", "â€¢", "Â·": one
# mis-decoded (its UTF-8 bytes read as cp1252) where the text was not repaired
BULLETS = "|•·⋅∙‧●◦▪■"
MISDECODED_SEP = r"\s[âÂ][^\w\s]{1,2}(?=\s)"
_ROLE_TAIL = re.compile(rf"(?:\s*(?:[,;–—{BULLETS}]| - )|{MISDECODED_SEP}).*$")


def split_names(text: str) -> list[str]:
    """Person names from a name list: "Jo Biddle in Sochi with Anna Smolchenko in Moscow"
    -> ["Jo Biddle", "Anna Smolchenko"]. Non-names (roles, places, agencies) are dropped."""
    out: list[str] = []
    for part in _NAME_JOIN.split(_CREDENTIALS.sub("", text.strip())):
        name = _LABEL_TAIL.sub("", _PLACE_TAIL.sub("", part.strip())).strip(" .:;-–—")
        words = name.split()
        if len(words) >= 4 and len(words) % 2 == 0 and words[: len(words) // 2] == words[
                len(words) // 2 :]:
            name = " ".join(words[: len(words) // 2])  # "Colin Gray Colin Gray"
        name = re.sub(r"\s+(?:In|On|At)$", "", name)
        name = re.sub(r"^(?:dr|mr|mrs|ms|prof)\.?\s+", "", name, flags=re.I)
        if looks_like_person(name) and name not in out:
            out.append(name)
    return out


_BYLINE_LABEL = re.compile(
    r"(?i)^(?:(?:written|words|story|text|posted|published|reviewed|edited)\s+)?by:?$"
    r"|^(?:author|authors|autor|auteur|autore|writer|written\s+by)\s*:?$|^(?:von|par|por):?$"
)


def is_byline_label(text: str) -> bool:
    """A byline split over two lines: "By" or "Written by" alone, the name on the next."""
    s = text.strip()
    return len(s) <= 14 and bool(_BYLINE_LABEL.match(s))


def name_line(text: str) -> list[str]:
    """The names of a line that is only a name list, perhaps with a role or affiliation
    after a separator ("Manoj Jain and Jagpreet Chhatwal | Guest Columnists",
    "Shelia R. Cotten, Clemson University"); [] when any part is not a person name."""
    s = _ROLE_TAIL.sub("", text.strip())
    if not s or len(s) > 80:
        return []
    parts = [p for p in _NAME_JOIN.split(s) if p.strip()]
    names = split_names(s)
    return names if names and len(names) == len(parts) else []


@lru_cache(maxsize=_CACHE)
def parse_byline(text: str) -> Byline:
    """Authors, outlet and agencies of a byline line (see `is_byline`)."""
    s = text.strip()
    m = _BYLINE_LEAD.match(s)
    if m:
        s = s[m.end() :]
    else:  # "Published on December 2nd, 2025 by Chen Zhao and Daryl Fairweather"
        later = _BY_LATER.search(s)
        if later:
            s = s[later.end() :]
    outlet = None
    paren = _TRAILING_PAREN.search(s)
    if paren:
        inner = paren.group(1).strip()
        if not canonical_agency(inner):
            outlet = inner
        s = s[: paren.start()]
    agencies = tuple(find_agencies(s))
    # a byline often goes on with a role, a date or a separator: keep the names part
    s = _ROLE_TAIL.sub("", s)
    for d in find_dates(s):
        s = s[: d.start]
        break
    return Byline(tuple(split_names(s)), outlet, agencies)


# ------------------------------------------------------------------------------------------
# Dateline prefixes ("WASHINGTON (AP) — ", "MOSCOW, May 13. /TASS/. ")
# ------------------------------------------------------------------------------------------

_DASH = r"(?:-{1,2}|–|—|:)"
_CAPS_PLACE = r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ.'’\- ]*[A-ZÀ-ÖØ-Þ.]"
_REGION = r"[A-ZÀ-ÖØ-Þ][\w.'’\- ]{1,30}"
_AGENCY_TAG = r"\((?P<agency>[A-Za-z][\w .&-]{1,30})\)"
_DATELINE_RES: tuple[re.Pattern[str], ...] = (
    # MOSCOW, May 13. /TASS/.   (place, date, slash-wrapped agency)
    re.compile(r"^(?P<place>" + _CAPS_PLACE + r"(?:,\s*" + _REGION + r")?),\s*"
               r"(?P<date>[^/\n]{3,30}?)\.?\s*/(?P<agency>[A-Za-zА-Яа-я-]{2,20})/\.?\s*"),
    # SOCHI, Russia (AFP) -   /  WASHINGTON (AP) —   / (AFP) -
    re.compile(r"^(?:(?P<place>" + _CAPS_PLACE + r"(?:,\s*" + _REGION + r")?)"
               r"(?:,\s*(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2}))?\s*)?" + _AGENCY_TAG
               + r"\s*" + _DASH + r"\s*"),
    # SOCHI, RUSSIA, Jo Biddle in Sochi with Anna Smolchenko in Moscow-
    re.compile(r"^(?P<place>" + _CAPS_PLACE + r"(?:,\s*" + _CAPS_PLACE + r")?),\s+"
               r"(?P<names>[A-Z][\w'’.-]+(?:\s+[\w'’.-]+){1,12}?)\s*" + _DASH + r"\s+"),
    # WASHINGTON —   /  NEW YORK, May 13 —
    re.compile(r"^(?P<place>" + _CAPS_PLACE + r"(?:,\s*" + _REGION + r")?)"
               r"(?:,\s*(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2}))?\s+(?:—|–|--)\s*"),
)


# how every dateline opens: two capitals of a place name ("WASHINGTON", "U.S.") or the "("
# of an agency tag; a cheap test that spares the patterns most paragraphs
_DATELINE_START = re.compile(r"\(|[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ.'’\- ]")


@dataclass(frozen=True, slots=True)
class Dateline:
    """A parsed dateline prefix."""

    place: str | None
    agencies: tuple[str, ...]
    date: ParsedDate | None
    authors: tuple[str, ...]
    length: int
    marks: str = ""  # the prefix as printed, for outlet marks like "/TASS/"


def _caps_ok(place: str) -> bool:
    head = place.split(",")[0].strip()
    letters = [c for c in head if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


@lru_cache(maxsize=_CACHE)
def parse_dateline(paragraph: str) -> Dateline | None:
    """The dateline prefix at the start of a paragraph, or None."""
    if not _DATELINE_START.match(paragraph):
        return None
    for pat in _DATELINE_RES:
        m = pat.match(paragraph)
        if not m:
            continue
        g = m.groupdict()
        place = (g.get("place") or "").strip() or None
        if place and not _caps_ok(place):
            continue
        agency = g.get("agency")
        agencies: tuple[str, ...] = ()
        if agency is not None:
            canon = canonical_agency(agency)
            if canon is None:
                continue
            agencies = (canon,)
        authors: tuple[str, ...] = ()
        if g.get("names") is not None:
            names = split_names(g["names"])
            if not names:
                continue
            authors = tuple(names)
        if place is None and not agencies:
            continue
        if m.end() >= len(paragraph.rstrip()):
            continue  # nothing after it: a heading in capitals, not a dateline
        when = None
        if g.get("date"):
            ds = find_dates(g["date"])
            when = ds[0] if ds else None
            if when is None:
                continue
        return Dateline(place, agencies, when, authors, m.end(), m.group(0))
    return None


def split_dateline_prefix(paragraph: str) -> int:
    """Length of a leading dateline prefix including its trailing separator and whitespace
    ("SOCHI, Russia (AFP) - "); 0 if the paragraph does not start with one."""
    d = parse_dateline(paragraph)
    return d.length if d else 0


# ------------------------------------------------------------------------------------------
# Credit lines ("AFP - AP", "-- Reuters", "(Reuters)", "By Agencies")
# ------------------------------------------------------------------------------------------

_CREDIT_GENERIC = re.compile(
    r"^(?:by\s+)?(?:agencies|agency|wires|wire\s+services|news\s+agencies|agences|agenturen)$",
    re.I,
)
_CREDIT_LEAD = re.compile(
    r"^(?:source|sources|quelle|quellen|fuente|fonte|bron|источник|with|additional\s+reporting"
    r"\s+by|reporting\s+by|via)\s*:?\s*",
    re.I,
)
_CREDIT_SEP = re.compile(r"\s*(?:[-–—/,;|+&]|\band\b|\bund\b|\bet\b|\by\b)\s*")
_PHOTO = re.compile(r"(?i)\b(?:photo|photos|picture|image|foto|bild|credit|getty|file)\b")


@lru_cache(maxsize=_CACHE)
def is_photo_credit(text: str) -> bool:
    """"PHOTO: REUTERS", "Photo by X/AFP": a credit for an image, not for the story."""
    return bool(_PHOTO.search(text)) and len(text) < 200 and bool(find_agencies(text) or
                                                                   ":" in text)


def credit_agencies(text: str) -> list[str] | None:
    """Agencies credited by a line that is only a credit ("AFP - AP" -> ["AFP", "AP"],
    "By Agencies" -> []); None when the line is not a credit line."""
    found = _credit_agencies(text)
    return None if found is None else list(found)


@lru_cache(maxsize=1)
def _agency_name_re() -> re.Pattern[str]:
    return re.compile(literal_alternation(agency_aliases()))


_GENERIC_CREDIT_HINT = re.compile(r"(?i)agenc|wire|agentur")


def _has_credit_hint(text: str) -> bool:
    """Any agency name or generic credit word anywhere in a line: every credit line has
    one, so lines without it skip the parse below (most short lines of a page). Two
    searches, not one of both alternations: each regex then starts with a literal
    character set the engine scans for in C, a quarter faster on short lines."""
    return bool(_agency_name_re().search(text) or _GENERIC_CREDIT_HINT.search(text))


@lru_cache(maxsize=_CACHE)
def _credit_agencies(text: str) -> tuple[str, ...] | None:
    if len(text) > 100 or not _has_credit_hint(text):
        return None
    s = text.strip().strip("()[]").strip()
    s = re.sub(r"^[-–—\s]+|[-–—\s.]+$", "", s).strip("()[] ")
    if not s or len(s) > 80 or _PHOTO.search(s):
        return None
    if _CREDIT_GENERIC.match(s):
        return ()
    s = _CREDIT_LEAD.sub("", s)
    parts = [p.strip(" ()[].") for p in _CREDIT_SEP.split(s)]
    parts = [p for p in parts if p]
    if not parts:
        return None
    out: list[str] = []
    for p in parts:
        canon = canonical_agency(p)
        if canon is None and not _CREDIT_GENERIC.match(p):
            return None
        if canon and canon not in out:
            out.append(canon)
    return tuple(out)


def is_credit_line(text: str) -> bool:
    """A line that only credits wire agencies ("AFP - AP", "-- Reuters", "(Reuters)",
    "By Agencies"); photo credits ("PHOTO: REUTERS") are not story credits."""
    return _credit_agencies(text) is not None


# ------------------------------------------------------------------------------------------
# Meta lines ("Jane Doe • May 3, 2021 • 5 min read", "Published: Mar 8, 2024 · Modified: ...")
# ------------------------------------------------------------------------------------------

_PUBLISHED = re.compile(r"(?i)\b(?:published|posted|originally|erschienen|publié|publicado|"
                        r"pubblicato|gepubliceerd|опубликовано)\b")
_UPDATED = re.compile(r"(?i)\b(?:updated?|modified|last\s+update|aktualisiert|mis\s+à\s+jour|"
                      r"actualizado|aggiornato|atualizado|bijgewerkt|обновлено)\b")
_META_SPLIT = re.compile(
    rf"\s*(?:[{BULLETS}/,;:()\[\]]|\s[-–—]+\s|{MISDECODED_SEP}|\b(?:by|von|par|por|di|door|"
    r"published|posted|updated|modified|on|at|am|um|le|el|il)\b)\s*",
    re.I,
)


@dataclass(frozen=True, slots=True)
class MetaLine:
    """A short header line that carries the publication date and often the author."""

    date: ParsedDate
    authors: tuple[str, ...]


def _pick_published(text: str, dates: list[ParsedDate]) -> ParsedDate:
    """Of several dates on one line, the published one (not "Updated ...")."""
    labelled = []
    for d in dates:
        before = text[max(0, d.start - 30) : d.start]
        pub = [m.end() for m in _PUBLISHED.finditer(before)]
        upd = [m.end() for m in _UPDATED.finditer(before)]
        if pub and (not upd or pub[-1] > upd[-1]):
            return d
        labelled.append(bool(upd) and (not pub or upd[-1] > pub[-1]))
    unlabelled = [d for d, u in zip(dates, labelled, strict=True) if not u]
    return (unlabelled or dates)[0]


@lru_cache(maxsize=_CACHE)
def parse_meta_line(text: str) -> MetaLine | None:
    """A short line holding a full date plus names, labels or counts ("Susan December 9,
    2024 0 Comments", "By: X | December 16, 2025 | Categories"); None for prose."""
    s = " ".join(text.split())
    if not s or len(s) > 140:
        return None
    dates = [d for d in find_dates(s) if d.day and d.year]
    if not dates:
        return None
    rest = s
    for d in reversed(dates):
        rest = rest[: d.start] + " | " + rest[d.end :]
    # prose has sentence punctuation and many lower-case words; meta lines do not
    words = rest.split()
    lower = sum(1 for w in words if w[:1].islower())
    if re.search(r"[.!?]\s+[A-Z]", rest) or lower > 4:
        return None
    names: list[str] = []
    for chunk in _META_SPLIT.split(rest):
        chunk = re.sub(r"\b\d+\b.*$", "", chunk).strip(" .-–—")
        names += [n for n in split_names(chunk) if " " in n and n not in names]
    return MetaLine(_pick_published(s, dates), tuple(names))
