"""Header line recognisers on the printed forms the seeds and the dev set contain."""

from __future__ import annotations

import re
from datetime import date

import pytest

from flows import header


@pytest.mark.parametrize(
    ("paragraph", "prefix", "place", "agencies"),
    [
        ("SOCHI, Russia (AFP) - US Secretary of State", "SOCHI, Russia (AFP) - ",
         "SOCHI, Russia", ("AFP",)),
        ("NEW YORK, May 13. /TASS/. The meeting between", "NEW YORK, May 13. /TASS/. ",
         "NEW YORK", ("TASS",)),
        ("MOSCOW, May 13. /TASS/. A senior lawmaker", "MOSCOW, May 13. /TASS/. ",
         "MOSCOW", ("TASS",)),
        ("SOCHI, RUSSIA, Jo Biddle in Sochi with Anna Smolchenko in Moscow- Russian President",
         "SOCHI, RUSSIA, Jo Biddle in Sochi with Anna Smolchenko in Moscow- ",
         "SOCHI, RUSSIA", ()),
        ("WASHINGTON (AP) — The Senate voted", "WASHINGTON (AP) — ", "WASHINGTON", ("AP",)),
        ("(Reuters) - Shares fell on Monday", "(Reuters) - ", None, ("Reuters",)),
    ],
)
def test_dateline_prefixes(paragraph, prefix, place, agencies):
    assert paragraph[: header.split_dateline_prefix(paragraph)] == prefix
    d = header.parse_dateline(paragraph)
    assert d.place == place
    assert d.agencies == agencies


def test_dateline_start_admits_every_dateline_shape():
    """The cheap opening test before the patterns: two capitals of a place (accented ones,
    "U.S.", "ST. LOUIS") or an agency tag's "("; a Title-case sentence never opens one."""
    for paragraph in ("ÉVORA, Portugal (AFP) - Text", "U.S. (AP) — Text", "ST. LOUIS — Text",
                      "(AFP) - Text"):
        assert header.parse_dateline(paragraph) is not None
    for pattern in header._DATELINE_RES:  # no pattern can open with what the test refuses
        for opening in ("Th", "a ", " W", "1 ", "W,", "Wa"):
            assert not header._DATELINE_START.match(opening)
            assert not pattern.match(opening + "ASHINGTON (AP) — Text")


def test_dateline_names_and_yearless_date():
    d = header.parse_dateline("SOCHI, RUSSIA, Jo Biddle in Sochi with Anna Smolchenko in Moscow- x")
    assert d.authors == ("Jo Biddle", "Anna Smolchenko")
    d = header.parse_dateline("MOSCOW, May 13. /TASS/. A senior lawmaker")
    assert (d.date.month, d.date.day, d.date.year) == (5, 13, None)


@pytest.mark.parametrize(
    "paragraph",
    [
        "IMPORTANT TO KEEP COMMUNICATING",  # a crosshead in capitals, nothing after it
        "The Kremlin did not qualify talks of President Putin and Kerry as a breakthrough.",
        "NATO members (and others) - said",  # unknown "agency" in parentheses
    ],
)
def test_no_dateline(paragraph):
    assert header.split_dateline_prefix(paragraph) == 0


@pytest.mark.parametrize(
    ("line", "expected", "raw"),
    [
        ("Updated: 2015-05-14 07:44", date(2015, 5, 14), "2015-05-14"),
        ("Wednesday, May 13th 2015", date(2015, 5, 13), "May 13th 2015"),
        ("Published 3 May 2021, 10:00 GMT", date(2021, 5, 3), "3 May 2021"),
        ("13. Mai 2015", date(2015, 5, 13), "13. Mai 2015"),
        ("12 juin 2015", date(2015, 6, 12), "12 juin 2015"),
        ("13 de mayo de 2015", date(2015, 5, 13), "13 de mayo de 2015"),
        ("5 maggio 2020", date(2020, 5, 5), "5 maggio 2020"),
        ("5 de maio de 2020", date(2020, 5, 5), "5 de maio de 2020"),
        ("3 maart 2021", date(2021, 3, 3), "3 maart 2021"),
        ("13 мая 2015", date(2015, 5, 13), "13 мая 2015"),
        ("14.05.2015", date(2015, 5, 14), "14.05.2015"),
        ("12/25/2020", date(2020, 12, 25), "12/25/2020"),
    ],
)
def test_date_lines(line, expected, raw):
    pd = header.parse_date_line(line)
    assert pd.value == expected
    assert pd.text == raw
    assert pd.precision == "day"


def test_yearless_and_month_precision():
    pd = header.parse_date_line("May 13")
    assert pd.value is None and (pd.month, pd.day) == (5, 13)
    assert header.parse_date_line("May 2015").precision == "month"


@pytest.mark.parametrize(
    "line",
    [
        "US Secretary of State John Kerry (left) speaks with Russian President Vladimir Putin "
        "before a bilateral meeting in Sochi, Russia May 12, 2015. -- PHOTO: REUTERS",
        "Kerry and Lavrov met on May 12, 2015 to discuss the crisis in Ukraine at length.",
        "Read more",
    ],
)
def test_not_date_lines(line):
    assert header.parse_date_line(line) is None


@pytest.mark.parametrize(
    ("line", "agencies"),
    [
        ("AFP - AP", ["AFP", "AP"]),
        ("-- Reuters", ["Reuters"]),
        ("(Reuters)", ["Reuters"]),
        ("Associated Press", ["AP"]),
        ("By Agencies", []),
    ],
)
def test_credit_lines(line, agencies):
    assert header.is_credit_line(line)
    assert header.credit_agencies(line) == agencies


@pytest.mark.parametrize(
    "line", ["PHOTO: REUTERS", "according to Tass", "Reuters reported that shares fell"]
)
def test_not_credit_lines(line):
    assert not header.is_credit_line(line)


def test_photo_credit():
    assert header.is_photo_credit("-- PHOTO: REUTERS")


@pytest.mark.parametrize(
    ("line", "authors", "outlet"),
    [
        ("By Jane Doe and John Roe", ("Jane Doe", "John Roe"), None),
        ("By Agencies in Sochi, Russia and Antalya, Turkey(China Daily)", (), "China Daily"),
        ("Written by Jorge Jimenez", ("Jorge Jimenez",), None),
        ("by Daniel Burstein, Senior Director, Content & Marketing", ("Daniel Burstein",), None),
        ("Jo Biddle with Anna Smolchenko", ("Jo Biddle", "Anna Smolchenko"), None),
        ("By Staff", (), None),
    ],
)
def test_bylines(line, authors, outlet):
    assert header.is_byline(line)
    by = header.parse_byline(line)
    assert by.authors == authors
    assert by.outlet == outlet


@pytest.mark.parametrize(
    "line",
    ["Kerry and Lavrov", "Planning Shots and Camera Angles", "Bylines are nice",
     "Video Editing & Motion Graphics Certificate"],
)
def test_not_bylines(line):
    assert not header.is_byline(line)


def test_split_names_drops_places_roles_and_credentials():
    assert header.split_names("Jo Biddle in Sochi with Anna Smolchenko in Moscow") == [
        "Jo Biddle", "Anna Smolchenko"]
    assert header.split_names("Dylan Bailey, MS, RD, FAND") == ["Dylan Bailey"]
    assert header.split_names("Senior Editor") == []


@pytest.mark.parametrize(
    ("line", "day", "authors"),
    [
        ("Charlotte Gannon • November 4th, 2025", date(2025, 11, 4), ("Charlotte Gannon",)),
        ("Published: Mar 8, 2024 · Modified: May 19, 2025 by Jessica Robinson",
         date(2024, 3, 8), ("Jessica Robinson",)),
        ("Updated November 11, 2022 8:23 PM ET Originally published November 9, 2022",
         date(2022, 11, 9), ()),
        ("May 3, 2017 By Erin Spain 4 Comments", date(2017, 5, 3), ("Erin Spain",)),
    ],
)
def test_meta_lines(line, day, authors):
    ml = header.parse_meta_line(line)
    assert ml.date.value == day
    assert ml.authors == authors


@pytest.mark.parametrize(("line", "label"), [
    ("By", True), ("Written by", True), ("Author:", True),
    ("By Jane Doe", False), ("Bylines", False), ("Learn about our editorial policies", False),
])
def test_byline_label(line, label):
    """A byline split over two lines: the label alone, the name on the next line."""
    assert header.is_byline_label(line) is label


@pytest.mark.parametrize(("line", "names"), [
    ("Manoj Jain and Jagpreet Chhatwal | Guest Columnists", ["Manoj Jain", "Jagpreet Chhatwal"]),
    ("Shelia R. Cotten, Clemson University", ["Shelia R. Cotten"]),
    ("Andrei Zakhareuski", ["Andrei Zakhareuski"]),
    ("Read more about our editors", []),
    ("Staff and Agencies", []),
])
def test_name_line(line, names):
    """A bare name list with a role after a separator; any non-name part rejects it."""
    assert header.name_line(line) == names


def test_literal_alternation_matches_as_the_longest_first_alternation():
    """The prefix-tree regex behind the month and agency patterns finds the same text, group
    and span, as the plain alternation of the words sorted longest first."""
    words = ["sep", "sept", "september", "septembre", "se", "mar", "march", "mars", "a.m",
             "AP", "AFP", "AFP-JIJI", "Agence France-Presse", "Agence France Presse"]
    tree = re.compile(r"(?<![\w-])(" + header.literal_alternation(words) + r")(?![\w-])", re.I)
    plain = re.compile(r"(?<![\w-])(" + "|".join(
        re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?![\w-])", re.I)
    for text in ("Sept 3, Septembre 4, SEPTEMBERx, se sep", "AFP-JIJI / AFP-JIJIx AP",
                 "Agence France Presse, Agence France-Presse", "10 a.m, marchs mars", ""):
        assert [m.span(1) for m in tree.finditer(text)] == [
            m.span(1) for m in plain.finditer(text)]


def test_credit_hint_needs_an_agency_name_or_credit_word():
    """Lines without an agency name or "agency"/"wire"/"Agentur" skip the credit parse."""
    assert header.is_credit_line("AFP - AP") and header.is_credit_line("By Agencies")
    assert header.is_credit_line("-- Reuters")
    assert not header.is_credit_line("Share this story")


def test_month_look_alikes_read_or_skipped_never_crash():
    """Case-insensitive patterns admit letters that lower() keeps apart from ASCII (the long
    s of "ſep"): such a month is read through casefold(); a match naming no month is no
    date (it used to raise KeyError and stop the run)."""
    assert [(d.year, d.month, d.day) for d in header.find_dates("ſep 3, 2015")] == [(2015, 9, 3)]
    assert header.parse_date_line("Updated: ſeptember 3, 2015 07:44").month == 9
