"""Metadata extraction from labelled blocks, run-wide propagation, and the seeds end to end
through the real repair and block-labelling stages (no Prefect)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from flows import blocks, metadata, repair
from flows.model import Block, Document
from flows.tables import articles_table, with_meta

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
    """The seeds' metadata as published: extracted per document, then propagated across
    the AFP story's two copies and joined onto the article rows."""
    docs = {d.source_path[:3]: d for d in run_stages(sorted(SEEDS.glob("*.txt")))}
    for d in docs.values():
        d.cluster_id = "001" if d.source_path[:3] in ("001", "003") else d.source_path[:3]
    meta = metadata.propagate(metadata.meta_table(list(docs.values())))
    rows = with_meta(articles_table(list(docs.values())), meta,
                     metadata.PROPAGATED_COLUMNS).to_pylist()
    d0, d1, d2, d3, d4 = (SimpleNamespace(**r) for r in sorted(rows,
                                                                key=lambda r: r["source_path"]))
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


def test_copyright_names_skip_sentences_about_copyright() -> None:
    """Prose about copyright names no rights holder; the footer's © line does."""
    text = "\n".join([
        "Courts still debate who holds copyright over this kind of work.",
        "The Copyright Office's May 2025 report left the question open.",
        "This site is © 1998-2025 Jane Roe, all rights reserved.",
    ])
    assert metadata.copyright_names(text) == ["Jane Roe"]


def test_outlet_from_masthead_over_sign_in_links() -> None:
    """A newsletter platform page: the first line (with its tagline) sits over "Subscribe
    Sign in"; the © line names the writer, not the publication."""
    doc = labelled("nl", [
        ("boilerplate", "Quiet Signals - Notes on Machines and the People Who Use Them"),
        ("boilerplate", "Subscribe Sign in"),
        ("title", "Rebuilding an Old Spelling Corrector"),
        ("body", "I wanted to see how far a tiny probabilistic model could go, so I rebuilt "
                 "the classic corrector from scratch and measured it."),
        ("boilerplate", "© 2025 Jane Roe · Privacy · Terms"),
        ("boilerplate", "Jane Roe"),
    ])
    metadata.extract(doc)
    assert doc.outlet == "Quiet Signals"


def test_outlet_from_owned_blog_name_taken_for_title() -> None:
    """"Jane Roe's blog" heads the page: the site's name even when it was taken for the
    title."""
    doc = labelled("blog", [
        ("title", "Jane Roe's blog"),
        ("date", "Dec 18 2025"),
        ("body", "We announced a public beta of the new repositories recently, and one thing "
                 "I am keen on is making the transition painless."),
    ])
    metadata.extract(doc)
    assert doc.outlet == "Jane Roe's blog"


def test_registered_outlet_with_a_menu_word() -> None:
    """A registered name holding a menu word ("Home") is still the outlet."""
    doc = labelled("toh", [
        ("title", "The Best Book Subscriptions, Tested"),
        ("body", "We tried a dozen book boxes over three months and kept notes on every one "
                 "of them, from the packaging to the picks."),
        ("boilerplate", "Mary Smith is a shopping editor at Taste of Home."),
    ])
    metadata.extract(doc)
    assert doc.outlet == "Taste of Home"


def test_self_named_site_menu_and_social_cues() -> None:
    """"About X" names a site only as a whole menu link ("About Toggle child menu" does
    not); a site's social links list several networks ("Follow Jane Roe on Twitter" is a
    writer's)."""
    menu = "\n".join(["About Toggle child menu", "Follow Jane Roe on Twitter.",
                       "Written by Jane Roe"])
    assert metadata.self_named_site(menu) is None
    site = "\n".join([
        "The product experts at Gadgetry have your shopping needs covered. Follow Gadgetry "
        "on Facebook, Instagram or TikTok for the latest deals.",
    ])
    assert metadata.self_named_site(site) == "Gadgetry"


def test_outlet_drops_legal_form_and_reads_capitals() -> None:
    """"At Harbor Lane LLC, we" is the copyright line's "Harbor Lane"; a one-word name also
    printed in capitals ("Why EXAMPLIA") counts as printed again."""
    doc = labelled("llc", [
        ("title", "Managing Legal Issues in a Growing Industry"),
        ("body", "The industry is booming, and with growth come contracts, licences and "
                 "disputes that every owner should plan for early."),
        ("body", "For legal inquiries, please contact us. At Harbor Lane LLC, we answer within "
                 "a day."),
        ("boilerplate", "© 2025 Harbor Lane LLC. All rights reserved."),
    ])
    metadata.extract(doc)
    assert doc.outlet == "Harbor Lane"
    caps = "\n".join(["Why EXAMPLIA", "Why Examplia", "Train with EXAMPLIA",
                       "© Examplia. All Rights Reserved."])
    assert metadata.self_named_site(caps, {"Examplia": 3.0}) == "Examplia"


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


# --- author lines: roles, other credits, co-authors, author boxes (dev set lines) ----------


@pytest.mark.parametrize(("line", "names"), [
    # a role after the name is cut off; a role alone is no person
    ("Written By: Catherine Boeckmann Executive Digital Editor and Master Gardener",
     ("Catherine Boeckmann",)),
    ("Written By: Celeste Longacre Gardener & Astrologer", ("Celeste Longacre",)),
    # every co-author of a comma list, not a role, an organisation or a date after a name
    ("Written by Dr Marna van der Merwe, Dr Dieter Veldsman, Erik van Vulpen",
     ("Marna van der Merwe", "Dieter Veldsman", "Erik van Vulpen")),
    ("By Jane Doe, Senior Editor", ("Jane Doe",)),
    ("By Shelia R. Cotten, Clemson University", ("Shelia R. Cotten",)),
    ("By Sofia Gonzalez December 2, 2025", ("Sofia Gonzalez",)),
    ("By Kyle Howells 15 min read", ("Kyle Howells",)),
    # an editor's or reviewer's credit names no writer
    ("Reviewed By: Mike Rebold, PhD, CSCS", ()),
    ("Edited by: Kristina Zagame", ()),
    ("reviewed by Jo-ann Caballes", ()),
    # a line labelled byline without "By" is a byline only if it is all names
    ("Social Media & Community Expert", ()),
    ("Key Features and User Experience", ()),
    ("Nutrition Facts with Dr. Greger", ()),
    ("Author: Nirmita Panchal", ("Nirmita Panchal",)),
])
def test_byline_authors(line: str, names: tuple[str, ...]) -> None:
    assert metadata._byline_authors(line) == names


def test_job_title_next_to_date_is_not_the_author() -> None:
    """"Product Analytics Expert" under the author's name is her job title, not a name."""
    doc = labelled("job", [
        ("title", "Mobile UX Design: The Ultimate Guide 2025"),
        ("boilerplate", "PUBLISHED"),
        ("date", "3 January, 2025"),
        ("boilerplate", "Annemarie Bufe"),
        ("boilerplate", "Product Analytics Expert"),
        ("body", "To create a successful app, it's not enough to simply have a brilliant "
                 "concept. The design and functionality of the app matter just as much."),
    ])
    metadata.extract(doc)
    assert doc.authors == ["Annemarie Bufe"]


def test_category_row_with_date_gives_no_author() -> None:
    """"date / section / subsection" is a category row: "Living Healthy" is no person."""
    doc = labelled("cat", [
        ("boilerplate", "November 28, 2025 / Living Healthy / Wellness"),
        ("title", "What Meditation Can Do for You (and How To Get Started)"),
        ("body", "Meditation is a practice that can help you feel calmer, and it takes only a "
                 "few minutes a day to get started with it."),
    ])
    metadata.extract(doc)
    assert doc.authors == []
    assert str(doc.published_date) == "2025-11-28"


def test_author_box_name_over_job_title() -> None:
    """No byline: the author box after the story, a name over a job title line."""
    doc = labelled("box", [
        ("title", "How to Use Marketing Analytics"),
        ("body", "Analytics can identify which content drives the most traffic, engagement, "
                 "and conversions, allowing you to focus on what works."),
        ("body", "Start with the questions your team needs answered, then pick the metrics."),
        ("body", "Review the numbers every month and drop the reports nobody reads."),
        ("heading", "Elena Linker"),
        ("heading", "Marketing Operations Analyst"),
        ("boilerplate", "Take full control of all your marketing data"),
    ])
    metadata.extract(doc)
    assert doc.authors == ["Elena Linker"]
    menu = labelled("menu", [
        ("title", "Gaining Weight After 40 and Nothing Seems to Work?"),
        ("body", "Personalized workouts, nutrition, and coaching built for your changing body. "
                 "Break free from diets and start training with a plan."),
        ("body", "Whether you are working out at home because you want to or because you have "
                 "to, it is a good idea to have the right equipment."),
        ("body", "Here are ten pieces of home gym equipment that we like best this year."),
        ("heading", "Gift Cards"),
        ("heading", "Book Now"),
    ])
    metadata.extract(menu)
    assert menu.authors == []


def test_headline_not_a_call_to_action_nor_a_crumb_trail() -> None:
    """"Build Your SEO Strategy Today" near the body loses to the headline; a crumb trail run into
    the headline ("Home Blog Fitness <headline>") gives way to the headline printed alone."""
    cta = labelled("cta", [
        ("boilerplate", "11 SEO Strategies for 2025 to Boost Rankings and Stay Ahead"),
        ("boilerplate", "by Jason Rostar | SEO | 8 min Read"),
        ("boilerplate", "Content"),
        *[("boilerplate", f"{k}. Optimize for Local SEO") for k in [*range(1, 12)] * 2],
        ("title", "Build Your SEO Strategy Today"),
        ("body", "Your strategy should put search intent first in 2025, and the rankings will "
                 "follow ahead of the competition."),
    ])
    metadata.extract(cta)
    assert cta.title == "11 SEO Strategies for 2025 to Boost Rankings and Stay Ahead"
    crumb = labelled("crumb", [
        ("boilerplate", "Fitness"),
        ("boilerplate", "Top Home Gym Must Haves For Every Budget And Fitness Level"),
        ("title", "Home Blog Fitness Top Home Gym Must Haves For Every Budget And Fitness Level"),
        ("body", "A home gym does not need to cost a fortune. These are the must haves for "
                 "every budget and fitness level, from mats to a squat rack."),
    ])
    metadata.extract(crumb)
    assert crumb.title == "Top Home Gym Must Haves For Every Budget And Fitness Level"


def test_registered_in_lines_and_text_agree() -> None:
    """Registered outlets are counted per line (cached); the text and its lines agree."""
    lines = ["Copyright © 2026 iRunFar", "Home | iRunFar", "Reviews"]
    assert metadata.registered_in(lines) == metadata.registered_in("\n".join(lines))
    assert metadata.registered_in(lines)["iRunFar"] == 2


def test_self_cues_load_from_rules_file() -> None:
    """The self-naming cues are the [[self_cue]] tables of rules/outlets.toml, {SITE} filled
    in; the words of a cue pick the lines its pattern is tried on."""
    import tomllib

    with open(metadata.header.RULES_DIR / "outlets.toml", "rb") as fh:
        tables = tomllib.load(fh)["self_cue"]
    cues = metadata.registry().cues
    assert list(cues.weights) == [t["weight"] for t in tables]
    custom = metadata._self_cues([{"words": ["proudly"], "pattern": "^(?i:proudly) {SITE}$",
                                   "weight": 3.0}])
    assert custom.patterns[0].match("Proudly Examplia")["n"] == "Examplia"
    lines = ["Proudly Examplia", "Examplia"]
    assert metadata._line_masks(custom.finder, "\n".join(lines).lower(), lines) == {0: (1, 0)}


def test_line_masks_overlapping_and_opening_words() -> None:
    """Every word a line holds sets its bits, also inside or across another word found
    there; opening words only at a line's start."""
    finder = metadata._word_finder({", we": (1, 0), "welcome to": (2, 0), "team": (4, 0),
                                    "team at": (8, 0), "by": (0, 16)})
    lines = ["x, welcome to the team at y", "by z", "a by", "nothing"]
    masks = metadata._line_masks(finder, "\n".join(lines), lines)
    assert masks[0] == (15, 0)
    assert masks[1] == (0, 16)
    assert masks.get(2, (0, 0)) == (0, 0)
    assert 3 not in masks


def test_folded_page_phrases() -> None:
    """Phrase tests on a page's ASCII-lower-cased bytes agree with the folded text: any case,
    ' or ’, a non-ASCII phrase, and a page printing a letter that lower-cases to ASCII."""
    page = metadata._FoldedPage("Join ST’s TELEGRAM channel\nCafé Olé")
    assert page.prints("join st's telegram channel")
    assert not page.prints("join st's whatsapp channel")
    assert page.prints("café olé")
    kelvin = metadata._FoldedPage("Join ST's \u212aelvin Channel")
    assert kelvin.prints("join st's kelvin channel")
    assert metadata._apostrophe_forms("a'b") == (b"a'b", "a’b".encode())


def test_only_two_characters_lower_case_to_ascii() -> None:
    """_FoldedPage relies on these being the only non-ASCII characters whose lower case
    holds ASCII (and ’ the only one whose lower case holds ’)."""
    found = [c for c in map(chr, range(0x80, 0x110000)) if any(
        ord(x) < 128 or x == "’" for x in c.lower()) and c != "’"]
    assert tuple(found) == tuple(sorted(metadata._LOWER_TO_ASCII))


def test_headline_next_to_date_is_not_a_name() -> None:
    """A related-post headline beside its date: the line is more than a name list, so its
    first words ("Zero-Knowledge Proofs") are no author, however name-like."""
    doc = labelled("rel", [
        ("title", "Getting Ethereum Ready for GigaGas"),
        ("body", "Ethereum needs to process far more gas per second, and this is what it "
                 "will take to get there over the next two years."),
        ("boilerplate", "Latest articles"),
        ("boilerplate", "Zero-Knowledge Proofs in Blockchain Finance: Opportunity vs. Reality"),
        ("date", "December 10, 2025"),
    ])
    metadata.extract(doc)
    assert doc.authors == []
    byline = labelled("name", [
        ("title", "Getting Ethereum Ready for GigaGas"),
        ("boilerplate", "Kamil Chodoła"),
        ("date", "December 10, 2025"),
        ("body", "Ethereum needs to process far more gas per second, and this is what it "
                 "will take to get there over the next two years."),
    ])
    metadata.extract(byline)
    assert byline.authors == ["Kamil Chodoła"]


# --- headline choice: tags, tables of contents, standfirsts, crumbs, suffixes -------------


def test_headline_not_a_tag_row_nor_a_table_of_contents() -> None:
    """A row of tags next to the byline and the entries of a table of contents (printed
    again as the article's section headings) lose to the headline."""
    tags = labelled("tags", [
        ("boilerplate", "Understanding Web Design"),
        ("byline", "by Jeffrey Zeldman November 20, 2007"),
        ("title", "Published in Creativity, Graphic Design, Interaction Design, Layout & Grids"),
        ("body", "Web design is not print design, and understanding web design means letting "
                 "go of the control that print designers are used to."),
    ])
    metadata.extract(tags)
    assert tags.title == "Understanding Web Design"
    toc = labelled("toc", [
        ("boilerplate", "What is a Mobile Application?"),
        ("byline", "By Bhaval Patel Last Updated: December 6, 2024"),
        ("boilerplate", "Table of Contents"),
        ("boilerplate", "What is a Mobile App?"),
        ("title", "Major Types of Mobile Apps"),
        ("boilerplate", "Pros and Cons of Mobile Apps"),
        ("body", "A mobile application is software built to run on a phone or a tablet, and "
                 "mobile apps come in several types with their own pros and cons."),
        ("heading", "What is a Mobile App?"),
        ("body", "A mobile app is a program for a mobile device."),
        ("heading", "Major Types of Mobile Apps"),
        ("body", "Native, web and hybrid apps are the major types."),
        ("heading", "Pros and Cons of Mobile Apps"),
        ("body", "Each type has pros and cons."),
    ])
    metadata.extract(toc)
    assert toc.title == "What is a Mobile Application?"


def test_headline_over_its_standfirst_and_at_the_end_of_a_crumb_trail() -> None:
    """Headline, standfirst, author, date (a newsletter page): the headline, not the longer
    standfirst; a crumb trail ending in a line names that line the headline."""
    dek = labelled("dek", [
        ("boilerplate", "Subscribe Sign in"),
        ("boilerplate", "AI Workflows vs Agents: The Autonomy Slider"),
        ("title", "What only the top 10% AI engineers who ship think about"),
        ("boilerplate", "Paul Iusztin"),
        ("date", "Oct 07, 2025"),
        ("body", "AI engineers who ship think about workflows and agents as two ends of an "
                 "autonomy slider, and the top engineers pick the point on it with care."),
    ])
    metadata.extract(dek)
    assert dek.title == "AI Workflows vs Agents: The Autonomy Slider"
    crumb = labelled("crumbend", [
        ("boilerplate", "Car Talk / Car Reviews / Best EVs of 2026"),
        ("boilerplate", "Best EVs of 2026"),
        ("boilerplate", "Written By"),
        ("boilerplate", "John Goreham"),
        ("title", "View Full Profile"),
        ("date", "2/24/2026"),
        ("body", "The best EVs of 2026 go further on a charge than ever, and our full profile "
                 "of each one tells you which to view first."),
    ])
    metadata.extract(crumb)
    assert crumb.title == "Best EVs of 2026"
    assert crumb.authors == ["John Goreham"]


def test_headline_printed_with_its_site_suffix() -> None:
    """"Headline | Site" in the header is the page title; a "Names | Columnists" line is not."""
    doc = labelled("suffix", [
        ("heading", "A Complete Guide to All the Types of Furniture Styles | SecurityWeek"),
        ("title", "A Guide to the Popular Types of Furniture Styles"),
        ("body", "A complete guide to all the types of furniture styles starts with the "
                 "history of each style and how to recognise it."),
    ])
    metadata.extract(doc)
    assert doc.title == "A Complete Guide to All the Types of Furniture Styles"
    assert not metadata._own_suffix("Manoj Jain and Jagpreet Chhatwal | Guest Columnists")


# --- author lines: more places and shapes ----------------------------------------------


@pytest.mark.parametrize(("line", "names"), [
    ("By Chris McNamara ⋅ Founder and Editor-in-Chief ⋅ Updated May 6, 2025",
     ("Chris McNamara",)),
    ("Published: Mar 8, 2024 · Modified: May 19, 2025 by Jessica Robinson · This post may "
     "contain affiliate links", ("Jessica Robinson",)),
    ("The chain is positioning for growth beyond the U.S. and Canada. By Lisa Jennings on "
     "Dec. 19, 2025", ("Lisa Jennings",)),
    ("Guide by Will Judd Former Deputy Tech Editor", ("Will Judd",)),
    ("About the Author: Tom", ("Tom",)),
    # another credit, or "by" in prose, names no writer
    ("Guests pick their pastries. | Photo by Lisa Jennings", ()),
    ("The tool was built by John Smith and his team over two years.", ()),
])
def test_author_evidence_lines(line: str, names: tuple[str, ...]) -> None:
    assert metadata._author_evidence(line)[1] == names


def test_user_name_is_no_person() -> None:
    """"TurboTaxLisa" is a user name run together; "McNamara" is a surname."""
    from flows import header

    assert not header.looks_like_person("TurboTaxLisa")
    assert header.looks_like_person("Chris McNamara")


def test_non_person_words_are_rules_data(tmp_path, monkeypatch) -> None:
    """A word added to rules/names.toml stops a name; the shipped file stops role words."""
    from flows import header

    assert not header.looks_like_person("Senior Correspondent")
    assert header.looks_like_person("Desmond Tutu")
    (tmp_path / "names.toml").write_text('[non_person]\nwords = ["Tutu"]\n')
    monkeypatch.setattr(header, "RULES_DIR", tmp_path)
    header.non_person_words.cache_clear()
    try:
        assert not header.looks_like_person("Desmond Tutu")
        assert header.looks_like_person("Senior Correspondent")
    finally:
        monkeypatch.undo()
        header.non_person_words.cache_clear()


def test_header_byline_to_no_person_means_no_author() -> None:
    """"written by Our Editors" credits the site: better no author than a menu line."""
    doc = labelled("ed", [
        ("title", "The Best Organic Meal Delivery Services"),
        ("boilerplate", "Index Funds"),
        ("byline", "written by Our Editors"),
        ("date", "February 3, 2026"),
        ("body", "Our team has tested and researched dozens of meal delivery services, and "
                 "these are our top picks for organic and healthy meals."),
    ])
    metadata.extract(doc)
    assert doc.authors == []


def test_author_notes_and_boxes() -> None:
    """A byline closing the article; an author note over the headline; a name over a note
    that speaks of the person by first name; a byline run into its section, cut to the name
    the author box prints."""
    closing = labelled("close", [
        ("title", "Complete Japan Itinerary and Travel Guide"),
        ("body", "Japan is a place that rewards planning, and this guide walks through ten "
                 "days in Japan for first timers."),
        ("body", "And finally, we have reached the end of this long post about Japan."),
        ("byline", "Written by Melissa"),
        ("body", "Hi there! I love eating, traveling and sharing my travel experiences."),
    ])
    metadata.extract(closing)
    assert closing.authors == ["Melissa"]
    note = labelled("note", [
        ("boilerplate", "Meghan Holmes is a writer and documentarian specializing in "
                        "scientific topics such as the environment."),
        ("title", "Why Invasive Species Matter"),
        ("body", "Invasive species change the places they arrive in, and they are among the "
                 "hardest environmental problems to reverse."),
    ])
    metadata.extract(note)
    assert note.authors == ["Meghan Holmes"]
    card = labelled("card", [
        ("title", "Moving to New York: A Guide"),
        ("body", "Moving to New York takes planning, and this guide covers the costs, the "
                 "neighbourhoods and the movers."),
        ("heading", "Mike Marshall"),
        ("body", "With over seven years at FreightWaves, Mike has played a pivotal role in "
                 "expanding the company's reach."),
    ])
    metadata.extract(card)
    assert card.authors == ["Mike Marshall"]
    box = labelled("box2", [
        ("title", "Paying for Climate Adaptation"),
        ("byline", "by Harsh Vaibhav Global Commons May 2nd 2025 11 mins"),
        ("body", "Climate adaptation needs money that poor countries do not have, and the "
                 "gap is growing every year."),
        ("boilerplate", "Harsh Vaibhav"),
    ])
    metadata.extract(box)
    assert box.authors == ["Harsh Vaibhav"]


def test_honorific_surname_under_the_headline() -> None:
    """"Dr. Allen" under the headline, next to the date: one word, but a person."""
    doc = labelled("dr", [
        ("title", "New Year, New Smile: Top Dental Resolutions for 2025"),
        ("boilerplate", "Dr. Allen"),
        ("date", "Jan 4, 2025"),
        ("body", "As we welcome 2025, it is the perfect time to set goals for a healthier "
                 "smile, and these dental resolutions are a good start."),
    ])
    metadata.extract(doc)
    assert doc.authors == ["Allen"]


# --- author lines: separators, job tags, labels, reading times, personal sites ------------


@pytest.mark.parametrize(("line", "names"), [
    # a bullet or a mis-decoded one (UTF-8 read as cp1252) ends the name
    ("by Meaghan Weeden ● December 23, 2025 ● 6 min read", ("Meaghan Weeden",)),
    ("By Chris McNamara â‹… Founder and Editor-in-Chief â‹… Updated May 6, 2025",
     ("Chris McNamara",)),
    ("Jane Doe â€¢ May 3, 2021", ("Jane Doe",)),
    # names tagged with their job: an author line; an affiliation or a section is not one
    ("Manoj Jain and Jagpreet Chhatwal | Guest Columnists", ("Manoj Jain", "Jagpreet Chhatwal")),
    ("Jane Doe, Senior Editor", ("Jane Doe",)),
    ("Shelia R. Cotten, Clemson University", ()),
    ("Higher Ed, Marketing", ()),
])
def test_author_line_separators_and_job_tags(line: str, names: tuple[str, ...]) -> None:
    assert metadata._author_evidence(line)[1] == names


def test_name_next_to_reading_time() -> None:
    """"Sérgio Schüler" / "7 min read" / date: the reading time is a meta line too."""
    doc = labelled("read", [
        ("boilerplate", "Follow publication"),
        ("boilerplate", "Sérgio Schüler"),
        ("boilerplate", "7 min read"),
        ("boilerplate", "·"),
        ("boilerplate", "Share"),
        ("date", "Dec 30, 2013"),
        ("title", "Startup lessons learned from my failed startup"),
        ("body", "Here are the startup lessons learned from a startup with two years and "
                 "about three hundred users."),
    ])
    metadata.extract(doc)
    assert doc.authors == ["Sérgio Schüler"]
    assert metadata._READING_TIME.match("Lesezeit: 4 Min.")


def test_by_label_over_categories_and_over_a_group() -> None:
    """"By" / the post's categories / the name; "By:" over "Editorial Team" credits no
    person, so the category line under it is no name."""
    doc = labelled("lab", [
        ("title", "Wedding Planning Checklist: A Guide & Timeline"),
        ("body", "A step-by-step wedding planning timeline of all the main things you need "
                 "to do to pull off a fabulous wedding day."),
        ("boilerplate", "By"),
        ("heading", "Wedding Checklists Just Engaged Wedding Planning"),
        ("heading", "Naoise McNally"),
    ])
    metadata.extract(doc)
    assert doc.authors == ["Naoise McNally"]
    team = labelled("team", [
        ("title", "2025 Renovation Trends & Why They're Smart"),
        ("boilerplate", "By:"),
        ("boilerplate", "Great Day Editorial Team"),
        ("boilerplate", "Design Style"),
        ("date", "8/1/2025"),
        ("body", "From flocked wallpaper in the seventies to mirrored surfaces in the "
                 "eighties, every decade has its design style."),
    ])
    metadata.extract(team)
    assert team.authors == []
    assert metadata._labelled_name(team.blocks, 1) == []


def test_author_box_label_and_closing_byline() -> None:
    """"Written by:" over "Emma Ryan Writer" and a note; "Posted By:" closing the story
    though a related-posts list follows it."""
    box = labelled("wb", [
        ("title", "Best Website Builders for 2026"),
        ("body", "Wix is our top-rated website builder, offering a drag-and-drop editor and "
                 "quality built-in features."),
        ("heading", "Written by:"),
        ("heading", "Emma Ryan Writer"),
        ("body", "Emma is Lead Writer at the site, having first joined the team in 2022. She "
                 "manages the topics and tests the builders herself."),
    ])
    metadata.extract(box)
    assert box.authors == ["Emma Ryan"]
    assert metadata._job_cut("Great Day Editorial Team") == ""
    closing = labelled("posted", [
        ("title", "Sourdough Cornbread"),
        ("body", "This cornbread uses sourdough discard, and it bakes in under an hour."),
        ("body", "Let it sit for an hour before slicing."),
        ("body", "You can freeze slices to toast up later."),
        ("byline", "Posted By: Kiersten · In: Sides, Sourdough"),
        ("heading", "You'll Also Love"),
        ("heading", "5 Reasons I Bake Sourdough Bread"),
        ("heading", "Jalapeño Cheddar Cornbread"),
        ("body", "I'm Kiersten, a journalist and sommelier with ten years of writing behind me."),
    ])
    metadata.extract(closing)
    assert closing.authors == ["Kiersten"]


_FIRST_PERSON_POST = ("I turned an old box into a home server, and my family uses it every "
                      "day. I wanted it to be private, so I run it myself, and I keep my "
                      "notes here for me.")


def test_personal_site_owner() -> None:
    """A personal site's masthead names its writer: a possessive one on its own, a plain
    name (or an "About <name>" menu item) over a first-person post; not a menu phrase."""
    own = labelled("own", [
        ("title", "Colin Watson's blog"),
        ("boilerplate", "Dec 18 2025 Preparing a transition in Debusine"),
        ("body", "We announced a public beta of the repositories recently, and one thing "
                 "that came up is how to test large changes."),
    ])
    metadata.extract(own)
    assert own.authors == ["Colin Watson"]
    lines = [("boilerplate", "Owain Brennan"), ("boilerplate", "Home Blog"),
             ("title", "Turning a Box into a Private AI Home Server"),
             ("date", "15 Dec, 2025"), ("body", _FIRST_PERSON_POST)]
    plain = labelled("plain", lines)
    metadata.extract(plain)
    assert plain.authors == ["Owain Brennan"]
    menu = labelled("menu", [("boilerplate", "Shop All"), ("boilerplate", "About Melissa Neill"),
                             *lines[2:]])
    metadata.extract(menu)
    assert menu.authors == ["Melissa Neill"]
    told = labelled("told", [*lines[:4], ("body", "The server runs quietly in a cupboard and "
                                                  "serves media to the house.")])
    metadata.extract(told)
    assert told.authors == []  # not in the first person: the name may be anyone's
    shop = labelled("shop", [("boilerplate", "Shop Websites"), *lines[1:]])
    metadata.extract(shop)
    assert shop.authors == []
