"""Metadata extraction from labelled blocks, run-wide propagation, and the seeds end to end
through the real repair and block-labelling stages (no Prefect)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from flows import blocks, metadata, repair
from flows.model import Block, Document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "devset" / "metadata"


def labelled(doc_id: str, lines: list[tuple[str, str]], **kw) -> Document:
    """A document from (role, text) lines, one block per line."""
    blocks_ = [Block(i, i, t, r) for i, (r, t) in enumerate(lines)]
    text = "\n".join(t for _, t in lines)
    return Document(doc_id=doc_id, source_path=f"{doc_id}.txt", raw_text=text, text=text,
                    blocks=blocks_, **kw)


def run_stages(paths: list[Path]) -> list[Document]:
    docs = []
    for p in paths:
        raw = p.read_bytes()
        docs.append(Document(doc_id=hashlib.sha256(raw).hexdigest()[:16], source_path=p.name,
                             raw_text=raw.decode("utf-8")))
    repair.repair_batch(docs)
    blocks.segment_batch(docs)
    stats = blocks.LineStats()
    for d in docs:
        stats.add(d)
    blocks.label_batch(docs, stats)
    metadata.extract_batch(docs)
    return docs


def test_header_fields_from_roles():
    doc = labelled("a", [
        ("boilerplate", "Home | World | Business"),
        ("title", "Putin, Kerry pledge to get ties back on track | Example News"),
        ("date", "Updated: 2015-05-14 07:44"),
        ("byline", "By Jane Doe and John Roe"),
        ("dateline", "WASHINGTON (AP) — "),
        ("body", "The talks lasted eight hours, officials said on Tuesday 12 May 2015."),
        ("caption", "Kerry in Sochi, May 12, 2015. PHOTO: REUTERS"),
        ("credit", "-- Reuters"),
        ("boilerplate", "© 2015 Example News Ltd. All rights reserved."),
    ])
    metadata.extract(doc)
    assert doc.title == "Putin, Kerry pledge to get ties back on track"
    assert doc.outlet == "Example News"
    assert doc.authors == ["Jane Doe", "John Roe"]
    assert doc.agencies == ["AP", "Reuters"]
    assert doc.published_date == date(2015, 5, 14)
    assert (doc.date_text, doc.date_precision, doc.date_source) == ("2015-05-14", "day",
                                                                    "printed")
    assert doc.dateline == "WASHINGTON"


def test_no_values_without_evidence():
    doc = labelled("b", [
        ("title", "A quiet story"),
        ("body", "According to Tass, the meeting on May 12, 2015 was long. PHOTO: REUTERS"),
        ("caption", "Officials meet on May 12, 2015. -- PHOTO: REUTERS"),
    ])
    metadata.extract(doc)
    assert (doc.outlet, doc.agencies, doc.authors, doc.published_date, doc.date_text,
            doc.dateline) == (None, [], [], None, None, None)


def test_given_title_and_url_outlet():
    doc = labelled("c", [("body", "Some story text that is long enough to be a paragraph.")],
                   given_title="Kerry visits Sochi", source_url="https://www.straitstimes.com/x")
    metadata.extract(doc)
    assert doc.title == "Kerry visits Sochi"
    assert doc.outlet == "The Straits Times"


def test_seeds_end_to_end():
    docs = {d.source_path[:3]: d for d in run_stages(sorted(SEEDS.glob("*.txt")))}
    for d in docs.values():
        d.cluster_id = "001" if d.source_path[:3] in ("001", "003") else d.source_path[:3]
    meta = metadata.propagate(metadata.meta_table(list(docs.values())))
    metadata.apply_meta(list(docs.values()), meta)
    d0, d1, d2, d3, d4 = (docs[k] for k in ("000", "001", "002", "003", "004"))
    assert (d0.outlet, d0.agencies, d0.authors) == ("China Daily", ["AFP", "AP"], [])
    assert d0.published_date == date(2015, 5, 14)
    assert d1.authors == ["Jo Biddle", "Anna Smolchenko"]
    assert d1.dateline == "SOCHI, RUSSIA" and d1.published_date == date(2015, 5, 13)
    assert d1.agencies == ["AFP"] and "agencies" in d1.propagated  # from its copy 003
    assert (d2.agencies, d2.dateline, d2.outlet, d2.authors) == (["TASS"], "NEW YORK", None, [])
    assert (d2.published_date, d2.date_source) == (date(2015, 5, 13), "inferred_year")
    assert (d3.outlet, d3.agencies, d3.dateline) == ("The Straits Times", ["AFP"],
                                                     "SOCHI, Russia")
    assert d3.date_source in (None, "propagated")  # the caption's date is not the article's
    assert (d4.outlet, d4.agencies, d4.dateline) == ("TASS", ["TASS"], "MOSCOW")
    assert d4.published_date == date(2015, 5, 13)


def test_propagate_year_from_cluster_before_run():
    rows = [
        # cluster A: a dated copy from 2019 and a year-less copy
        ("a1", "A", [], date(2019, 3, 2), "March 2, 2019", "day", "printed"),
        ("a2", "A", ["Reuters"], None, "March 2", "day", None),
        # elsewhere in the run, 2021 evidence near March
        ("b1", "B", [], date(2021, 3, 1), "1 March 2021", "day", "printed"),
        ("b2", "C", [], date(2021, 3, 5), "5 March 2021", "day", "printed"),
        ("c1", "D", [], None, "March 3", "day", None),
        ("d1", "E", [], None, None, None, None),
    ]
    cols = ("doc_id", "cluster_id", "agencies", "published_date", "date_text",
            "date_precision", "date_source")
    table = metadata.pa.Table.from_pylist(
        [dict(zip(cols, r, strict=True)) | {"propagated": []} for r in rows],
        schema=metadata.META_SCHEMA)
    out = {r["doc_id"]: r for r in metadata.propagate(table).to_pylist()}
    assert out["a2"]["published_date"] == date(2019, 3, 2)
    assert out["a2"]["date_source"] == "inferred_year"
    assert out["a1"]["agencies"] == ["Reuters"] and out["a1"]["propagated"] == ["agencies"]
    assert out["c1"]["published_date"] == date(2021, 3, 3)
    assert out["d1"]["published_date"] is None and out["d1"]["propagated"] == []


@pytest.mark.parametrize("doc_id", ["wcxb0394", "wcxb0434", "wcxb4451"])
def test_devset_fixtures(doc_id):
    gold = {g["id"]: g for g in map(json.loads, (FIXTURE / "gold.jsonl").open())}[doc_id]
    (doc,) = run_stages([FIXTURE / f"{doc_id}.txt"])
    assert doc.authors == gold["authors"]
    assert str(doc.published_date) == gold["published_date"]
    assert doc.outlet == gold["outlet"]


def test_speed_budget():
    """Cheap guard against accidental quadratic work: a page with 2,000 lines."""
    import time

    lines = [("boilerplate", f"Menu item {i}") for i in range(1000)]
    lines += [("body", "A paragraph of story text. " * 5) for _ in range(1000)]
    doc = labelled("big", lines)
    t = time.perf_counter()
    metadata.extract(doc)
    assert time.perf_counter() - t < 0.5


# --- the site naming itself (lines from dev set pages; see fixtures NOTICE.md) -------------


def test_self_named_site_from_about_line_and_domain() -> None:
    """"About X" in the footer plus the site's own e-mail domain: the site, not a nav word."""
    text = "\n".join([
        "Driving-Tests.org",
        "Menu",
        "About Us",
        "Contact info@driving-tests.org",
        "Driving-Tests.org Help Center",
    ])
    assert metadata.self_named_site(text) == "Driving-Tests.org"


def test_self_named_site_trust_and_bio_cues() -> None:
    """"Why you should trust X" and an author note "editor at X" agree on the name."""
    text = "\n".join([
        "Why you should trust PCWorld for laptop reviews and buying advice: It's in our name!",
        "Eduard is an Associate Editor at PCWorld. He covers laptops.",
        "The PCWorld team puts each and every Windows laptop through benchmarks.",
    ])
    assert metadata.self_named_site(text) == "PCWorld"


def test_self_named_site_initials_of_domain() -> None:
    """A charity footer: the name spelled by the initials of its domain (bhf.org.uk)."""
    text = "\n".join([
        "British Heart Foundation",
        "British Heart Foundation is a registered charity in England and Wales (225971).",
        "To find out more, or to support British Heart Foundation's work, please visit "
        "www.bhf.org.uk.",
    ])
    assert metadata.self_named_site(text) == "British Heart Foundation"


def test_self_named_site_prefers_none_over_menu_words() -> None:
    """Menu lines ("About Us", "Explore Iceland", "Learn About Brakes") name no site."""
    text = "\n".join(["About Us", "Explore Iceland", "Learn About Brakes", "Search Jobs",
                      "By Category"])
    assert metadata.self_named_site(text) is None


def test_self_named_site_greedy_capture_shrinks_to_repeated_name() -> None:
    """"About Housecall Pro Get tips" (two menu items run together) -> "Housecall Pro"."""
    text = "\n".join([
        "Housecall Pro News Feature releases and updates",
        "More of Housecall Pro",
        "About Housecall Pro Get tips from Pros who know",
        "Businesses using Housecall Pro",
        '"Housecall Pro took my business to a whole other level instantaneously."',
        "See what businesses like yours earn with Housecall Pro in 1 - 2 minutes.",
    ])
    assert metadata.self_named_site(text) == "Housecall Pro"


def test_outlet_from_we_paragraph_and_copyright() -> None:
    """A company blog: "At X, we ..." in the closing paragraph and "© 2025 X" agree."""
    doc = labelled("cr", [
        ("title", "Cleaning Industry Trends for 2024"),
        ("body", "Technology is transforming the cleaning industry, enhancing both "
                 "efficiency and effectiveness across homes and offices of every size."),
        ("body", "At CR Maids, we offer customizable cleaning plans for every home, and we "
                 "train our teams continuously to keep the highest standards."),
        ("boilerplate", "© 2024 CR Maids. All rights reserved."),
    ])
    metadata.extract(doc)
    assert doc.outlet == "CR Maids"


def test_author_from_author_note_under_story() -> None:
    """No byline in the header: the author note after the story names the writer."""
    doc = labelled("bio", [
        ("title", "Cybersecurity M&A Roundup: 45 Deals Announced in October 2025"),
        ("body", "Forty-five cybersecurity-related merger and acquisition deals were "
                 "announced in October 2025, according to the SecurityWeek tally."),
        ("boilerplate", "Eduard Kovacs (@EduardKovacs) is the managing editor at SecurityWeek. "
                        "He worked as a high school IT teacher before starting a career in "
                        "journalism."),
    ])
    metadata.extract(doc)
    assert doc.authors == ["Eduard Kovacs"]


def test_menu_phrase_next_to_date_is_not_a_name() -> None:
    """"All Posts" beside the date is a menu item: the page prints "all" and "posts" in
    lower case too. Better no author than a wrong one."""
    doc = labelled("menu", [
        ("boilerplate", "All Posts"),
        ("date", "September 4, 2025"),
        ("title", "Top Nutrition Trends for Fall 2025"),
        ("body", "Fall is a time when nutrition trends take center stage, and all our posts "
                 "this month look at what fitness experts are eating."),
    ])
    metadata.extract(doc)
    assert doc.authors == []


def test_headline_chosen_over_section_label_above_date() -> None:
    """The labeller took the section label next to the date for the title; the headline
    above it shares the story's words and is printed again as "Headline | Site"."""
    doc = labelled("hl", [
        ("boilerplate", "Home"),
        ("boilerplate", "How To Design A Room Like An Interior Designer"),
        ("title", "DIY Home Decor"),
        ("date", "Apr 12, 2024"),
        ("byline", "Written By Tina Flint"),
        ("body", "Does the thought of how to design a room like an interior designer leave you "
                 "paralysed? Here is the step by step process I use for every room."),
        ("boilerplate", "How To Design A Room Like An Interior Designer | Greenhouse Studio"),
    ])
    metadata.extract(doc)
    assert doc.title == "How To Design A Room Like An Interior Designer"
    roles = [b.role for b in doc.blocks]
    assert roles[1] == "title" and roles[2] == "boilerplate" and roles.count("title") == 1
    assert doc.blocks[2].reason == "not_the_headline"
    assert doc.authors == ["Tina Flint"]


def test_byline_split_over_two_header_lines() -> None:
    """"By" on one line and the name on the next, both labelled boilerplate."""
    doc = labelled("by2", [
        ("title", "Cybersecurity M&A Roundup: 45 Deals Announced in October 2025"),
        ("boilerplate", "By"),
        ("boilerplate", "Eduard Kovacs"),
        ("date", "November 3, 2025"),
        ("body", "Forty-five cybersecurity merger and acquisition deals were announced in "
                 "October 2025, according to the tally."),
    ])
    metadata.extract(doc)
    assert doc.authors == ["Eduard Kovacs"]


def test_registered_outlet_in_furniture_not_in_story() -> None:
    """A registered outlet in the page furniture is the outlet; one the story cites is not."""
    furniture = labelled("reg", [
        ("title", "Best Trail Running Shoes of 2026"),
        ("body", "We tested dozens of trail shoes over thousands of miles this year, and "
                 "these are the ones we liked best."),
        ("boilerplate", "Copyright © 2026 iRunFar"),
    ])
    metadata.extract(furniture)
    assert furniture.outlet == "iRunFar"
    cited = labelled("cite", [
        ("title", "Talks in Sochi"),
        ("body", "The tone of the negotiations was softer, The Wall Street Journal reported."),
        ("body", "Kerry and Lavrov announced no major progress after a whole day of talks."),
        ("body", "Both sides said they would keep talking over the coming months."),
        ("body", "The next meeting has not been scheduled yet, officials said."),
    ])
    metadata.extract(cited)
    assert cited.outlet is None
