"""Block segmenting and labelling (flows/blocks.py) on the seeds, a few dev-set documents and
crafted lines, one test family per rule family. No Prefect; every test runs in milliseconds."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from flows import blocks
from flows.model import BODY_ROLES, ROLES, Document, rebuild_text
from flows.repair import repair_text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "blocks"


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Scorer-style tokens: NFKC, lowercase, punctuation stripped from token edges."""
    text = unicodedata.normalize("NFKC", text).translate(
        str.maketrans("‘’“”–—", "''\"\"--"))
    return [t for t in (re.sub(r"^\W+|\W+$", "", w) for w in text.lower().split()) if t]


def _shingle_pr(gold: str, pred: str, n: int = 4) -> tuple[float, float]:
    """Precision and recall of predicted word 4-gram shingles against the gold ones."""
    def shingles(text: str) -> Counter:
        toks = _tokens(text)
        return Counter(tuple(toks[i:i + n]) for i in range(max(1, len(toks) - n + 1)))

    g, p = shingles(gold), shingles(pred)
    tp = sum((g & p).values())
    return tp / max(1, sum(p.values())), tp / max(1, sum(g.values()))


def _doc(text: str, doc_id: str = "d") -> Document:
    repaired, _ = repair_text(text)
    return Document(doc_id=doc_id, source_path=f"{doc_id}.txt", raw_text=text, text=repaired)


def _label(*docs: Document) -> list[Document]:
    blocks.segment_batch(list(docs))
    stats = blocks.LineStats()
    for d in docs:
        stats.add(d)
    blocks.label_batch(list(docs), stats)
    return list(docs)


def _role_of(doc: Document, needle: str) -> str:
    return next(b.role for b in doc.blocks if needle in b.text)


ARTICLE = [
    "Officials said on Tuesday that the new bridge over the river would open next spring, "
    "two years later than first planned.",
    "The project has been delayed by a shortage of steel and by a legal dispute with the "
    "original contractor, the city council said in a statement.",
    "Residents who live near the site have complained about noise and traffic for months, "
    "and some have asked for compensation.",
    "The mayor told reporters the city would publish a new timetable and a budget before "
    "the end of the year.",
]


def _page(*around: str, before: tuple[str, ...] = ()) -> str:
    """A small page: lines before, a headline, the article, then the given lines."""
    return "\n\n".join([*before, "Bridge opening delayed again", *ARTICLE, *around])


# ------------------------------------------------------------------------------------------
# seeds
# ------------------------------------------------------------------------------------------


def _seed_docs() -> list[tuple[dict, Document]]:
    golds = [json.loads(line) for line in
             (FIXTURES / "seeds_gold.jsonl").read_text(encoding="utf-8").splitlines()]
    docs = [_doc((ROOT / "seeds" / g["source_path"]).read_text(encoding="utf-8"), g["id"])
            for g in golds]
    _label(*docs)
    return list(zip(golds, docs, strict=True))


SEEDS = _seed_docs()


def test_seed_bodies_match_gold():
    scores = [_shingle_pr(gold["body"], doc.body) for gold, doc in SEEDS]
    # per document >= 0.98: repair splits seed 002's glued "added.Ushakov", the gold keeps it
    assert all(p >= 0.98 and r >= 0.98 for p, r in scores), scores
    assert sum(p for p, _ in scores) / len(scores) >= 0.99
    assert sum(r for _, r in scores) / len(scores) >= 0.99


@pytest.mark.parametrize(("gold", "doc"), SEEDS, ids=[g["id"] for g, _ in SEEDS])
def test_seed_title_and_lossless(gold, doc):
    titles = [b.text for b in doc.blocks if b.role == "title"]
    assert titles == [gold["title"]]
    assert rebuild_text(doc.blocks) == doc.text.rstrip("\n")
    assert [b.position for b in doc.blocks] == list(range(len(doc.blocks)))
    for b in doc.blocks:
        assert b.role in ROLES
        assert (b.reason is None) == (b.role == "body")


def test_seed_boilerplate_lines_leave_the_text():
    widgets = ["Print Mail", "分享按钮", "8.03K", "AFP - AP", "New comment:", "At a glance",
               "News | Politics", "No comments :", "Post a Comment", "Telegram channel",
               "All news", "PHOTO: REUTERS", "Updated: 2015", "By Agencies",
               "Wednesday, May 13th 2015", "Jo Biddle with Anna Smolchenko"]
    for _gold, doc in SEEDS:
        for widget in widgets:
            assert widget not in doc.body, (doc.doc_id, widget)


def test_seed_header_roles():
    by_id = {g["id"][:3]: d for g, d in SEEDS}
    assert _role_of(by_id["000"], "Updated: 2015-05-14") == "date"
    assert _role_of(by_id["000"], "By Agencies") == "byline"
    assert _role_of(by_id["000"], "AFP - AP") == "credit"
    assert _role_of(by_id["001"], "Wednesday, May 13th 2015") == "date"
    assert _role_of(by_id["001"], "Jo Biddle with Anna Smolchenko") == "byline"
    assert _role_of(by_id["003"], "-- PHOTO: REUTERS") == "caption"
    assert sum(b.role == "caption" for b in by_id["003"].blocks) == 2  # printed twice
    assert _role_of(by_id["004"], "All news") == "boilerplate"
    dek = next(b for b in by_id["004"].blocks if b.text.startswith("On Tuesday") and
               b.line < 6)
    assert dek.role == "boilerplate"  # a standfirst that the body repeats


def test_seed_crossheads_are_headings_kept_in_text():
    by_id = {g["id"][:3]: d for g, d in SEEDS}
    for seed, crosshead in [("001", "-'Urgent need for cooperation'-"),
                            ("001", "-'First signs of understanding'-"),
                            ("003", "IMPORTANT TO KEEP COMMUNICATING")]:
        assert _role_of(by_id[seed], crosshead) == "heading"
        assert crosshead in by_id[seed].body


@pytest.mark.parametrize(("seed", "prefix"), [
    ("001", "SOCHI, RUSSIA, Jo Biddle in Sochi with Anna Smolchenko in Moscow- "),
    ("002", "NEW YORK, May 13. /TASS/. "),
    ("003", "SOCHI, Russia (AFP) - "),
    ("004", "MOSCOW, May 13. /TASS/. "),
])
def test_seed_dateline_prefix_is_split_losslessly(seed, prefix):
    doc = next(d for g, d in SEEDS if g["id"].startswith(seed))
    i = next(k for k, b in enumerate(doc.blocks) if b.role == "dateline")
    head, rest = doc.blocks[i], doc.blocks[i + 1]
    assert head.text == prefix
    assert head.line == rest.line and rest.role == "body"
    assert head.text + rest.text == doc.text.split("\n")[head.line]
    assert not doc.body.startswith(prefix.strip())


# ------------------------------------------------------------------------------------------
# dev-set fixtures
# ------------------------------------------------------------------------------------------


def test_devset_fixtures_match_gold():
    golds = [json.loads(line) for line in
             (FIXTURES / "devset_gold.jsonl").read_text(encoding="utf-8").splitlines()]
    docs = [_doc((FIXTURES / "docs" / f"{g['id']}.txt").read_text(encoding="utf-8"), g["id"])
            for g in golds]
    _label(*docs)
    for gold, doc in zip(golds, docs, strict=True):
        precision, recall = _shingle_pr(gold["body"], doc.body)
        assert precision >= 0.9 and recall >= 0.9, (gold["id"], precision, recall)
        assert rebuild_text(doc.blocks) == doc.text.rstrip("\n")
        if gold["track"] != "synd":
            title = next(b.text for b in doc.blocks if b.role == "title")
            assert title.strip() == gold["title"]


# ------------------------------------------------------------------------------------------
# segment
# ------------------------------------------------------------------------------------------


def test_segment_one_block_per_non_empty_line():
    text = "Headline\n\n  indented line\nlast"
    got = blocks.segment(text)
    assert [(b.position, b.line, b.text) for b in got] == [
        (0, 0, "Headline"), (1, 2, "  indented line"), (2, 3, "last")]
    assert rebuild_text(got) == text
    assert blocks.segment("") == []


# ------------------------------------------------------------------------------------------
# rule families
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "reason"), [
    ("Print Mail Large Medium Small 分享按钮 0", "share_bar"),
    ("Facebook Twitter LinkedIn WhatsApp", "share_bar"),
    ("Drucken Teilen", "share_bar"),
    ("Partager Imprimer", "share_bar"),
    ("Поделиться", "share_bar"),
    ("8.03K", "share_counter"),
    ("No comments :", "comments_widget"),
    ("Post a Comment", "article_end_marker"),
    ("New comment:", "comments_widget"),
    ("Join ST's Telegram channel and get the latest breaking news delivered to you.",
     "newsletter_pitch"),
    ("Sign up for our daily newsletter to get the best stories in your inbox.",
     "newsletter_pitch"),
    ("Melden Sie sich für unseren Newsletter an: Newsletter abonnieren", "newsletter_pitch"),
    ("We use cookies to improve your experience. By continuing to use the site you agree.",
     "cookie_notice"),
    ("Read more: Bridge costs rise again", "read_more_link"),
    ("Lire aussi : Le pont de la discorde", "read_more_link"),
    ("Читайте также: новости дня", "read_more_link"),
    ("Related: City council votes on budget", "read_more_link"),
    ("© 2025 Example Media. All rights reserved.", "copyright_line"),
    ("All news", "site_navigation"),
    ("Skip to content", "site_navigation"),
    ("Todas las noticias", "site_navigation"),
    ("全部新闻", "site_navigation"),
    ("Home | World | Business | Sport | Culture", "nav_row"),
    ("Jane Doe is a staff reporter who covers city hall for the paper.", "author_bio"),
    # product boxes of reviews and buying guides (devset wcxb0098, wcxb1657)
    ("Starting at $94.00", "call_to_action"),
    ("Active Deal", "call_to_action"),
    ("Use Coupon Code MSA10 or MSAUNLIMITED50", "call_to_action"),
    ("Get a Quote Links to Travelinsurance.com", "call_to_action"),
    ("Shop now", "call_to_action"),
    ("Try Stitch Fix", "call_to_action_try"),
    ("Try Rent the Runway", "call_to_action_try"),
    ("You Might Also Enjoy Some of My Other Posts", "article_end_marker"),
    ("Get a Quote (212) 203-0280", "call_to_action"),
    # affiliate disclosures above or inside reviews (devset wcxb0098, wcxb0268)
    ("We may earn commission from links on this page, but we only recommend products we back.",
     "affiliate_disclosure"),
    ("Business.com earns commissions from some listed providers. Editorial Guidelines.",
     "affiliate_disclosure"),
    ("This podcast may contain affiliate links, please read our disclosure policy.",
     "affiliate_disclosure"),
])
def test_widget_rules_name_the_line(line, reason):
    doc = _label(_doc(_page(line)))[0]
    block = next(b for b in doc.blocks if b.text == line)
    assert (block.role, block.reason) == ("boilerplate", reason)
    assert line not in doc.body


@pytest.mark.parametrize(("line", "role"), [
    ("Updated: 2015-05-14 07:44", "date"),
    ("September 4, 2025", "date"),
    ("By Jane Doe", "byline"),
    ("Jo Biddle with Anna Smolchenko", "byline"),
    ("-- Reuters", "credit"),
    ("The bridge under construction in March. -- PHOTO: REUTERS", "caption"),
    ("Workers on the site. Photo: John Smith/AFP", "caption"),
    ("Image from Mary's April 2024 review.", "caption"),
    ("Image provided by Adore Me.", "caption"),
])
def test_header_and_footer_role_rules(line, role):
    doc = _label(_doc(_page(line)))[0]
    assert _role_of(doc, line) == role
    assert line not in doc.body


def test_short_sentence_lines_stay_body_but_menus_do_not():
    text = _page("Sport", "Weather", "Contact", before=("Menu", "World", "Business"))
    doc = _label(_doc(text))[0]
    for menu in ("World", "Business", "Sport", "Weather", "Contact"):
        assert _role_of(doc, menu) == "boilerplate"
    assert all(p in doc.body for p in ARTICLE)
    assert _role_of(doc, "Bridge opening delayed again") == "title"


def test_crosshead_inside_article_is_heading():
    text = "\n\n".join(["Bridge opening delayed again", *ARTICLE[:2],
                        "What happens next", *ARTICLE[2:]])
    doc = _label(_doc(text))[0]
    assert _role_of(doc, "What happens next") == "heading"
    assert "What happens next" in doc.body


def test_tag_cloud_line_is_not_prose():
    cloud = " ".join(["Bridges Transport City Council Budget Steel Traffic Noise"] * 4)
    doc = _label(_doc(_page("Tags", cloud)))[0]
    assert cloud not in doc.body


def test_comment_thread_after_article_is_cut():
    comment = ("I live next to the site and honestly the noise has been unbearable for the "
               "whole summer, nobody from the council ever answered my letters about it.")
    thread = ["3 Comments"]
    for name in ("Alice", "Bob", "Carol"):
        thread += [f"{name} says", "March 3, 2024 at 9:15 am", comment, "Reply"]
    doc = _label(_doc(_page(*thread)))[0]
    assert comment not in doc.body
    assert all(p in doc.body for p in ARTICLE)


def test_foreign_script_short_line_is_boilerplate():
    doc = _label(_doc(_page("Новости партнёров")))[0]
    block = next(b for b in doc.blocks if b.text == "Новости партнёров")
    assert (block.role, block.reason) == ("boilerplate", "foreign_script")


def test_repeated_article_copy_is_dropped():
    text = _page(*ARTICLE)  # the page prints the article twice
    doc = _label(_doc(text))[0]
    precision, recall = _shingle_pr("\n\n".join(ARTICLE), doc.body)
    assert precision == 1.0 and recall == 1.0


def test_title_site_suffix_is_split_off():
    text = _page("© 2025 Riverside Gazette", before=("Bridge opening delayed again | "
                                                       "Riverside Gazette",))
    doc = _label(_doc(text.replace("Bridge opening delayed again\n\n", "", 1)))[0]
    title = next(b for b in doc.blocks if b.role == "title")
    suffix = next(b for b in doc.blocks if b.reason == "title_site_suffix")
    assert title.text == "Bridge opening delayed again" and title.line == suffix.line
    assert title.text + suffix.text == "Bridge opening delayed again | Riverside Gazette"


# ------------------------------------------------------------------------------------------
# corpus evidence
# ------------------------------------------------------------------------------------------


def test_line_keys_fold_case_digits_and_spaces():
    a = _doc("Share  THIS 12 times\nBody")
    b = _doc("share this 99 times\nOther")
    assert blocks.line_keys(a) & blocks.line_keys(b)
    assert len(blocks.line_keys(a)) == 2


def test_line_stats_count_documents_and_merge():
    docs = [_doc(f"Subscribe to the Gazette\nStory number {k} is about something else {k}x")
            for k in range(4)]
    left, right = blocks.LineStats(), blocks.LineStats()
    for d in docs[:3]:
        left.add(d)
    right.add(docs[3])
    left.merge(right)
    key = next(iter(blocks.line_keys(_doc("subscribe to the gazette"))))
    assert left.n_docs == 4 and left.doc_count(key) == 4
    assert left.doc_count(12345) == 0


def test_template_line_across_documents_is_boilerplate_but_syndicated_body_is_not():
    template = "Gazette Morning Briefing"
    docs = [_doc(_page(template)) for _ in range(8)]  # 8 copies of the same story
    _label(*docs)
    for doc in docs:
        assert _role_of(doc, template) == "boilerplate"
        assert all(p in doc.body for p in ARTICLE)


def test_labelling_twice_gives_the_same_blocks():
    doc = _label(_doc((ROOT / "seeds" / sorted(p.name for p in (ROOT / "seeds").glob("*.txt"))[3]
                       ).read_text(encoding="utf-8")))[0]
    first = [(b.line, b.text, b.role, b.reason) for b in doc.blocks]
    stats = blocks.LineStats()
    stats.add(doc)
    blocks.label_batch([doc], stats)
    assert [(b.line, b.text, b.role, b.reason) for b in doc.blocks] == first
    assert {b.role for b in doc.blocks} <= set(ROLES)
    assert any(b.role in BODY_ROLES for b in doc.blocks)


def test_call_to_action_rules_leave_prose_alone():
    """The CTA rules name whole short lines; sentences that mention a deal or a trial stay."""
    for line in ("Try this at home, and tell us how it went.",
                 "Prices are starting at $94.00 for the basic plan, the company said.",
                 "Shoppers who use a coupon code at checkout saved an average of 12 percent."):
        assert blocks._line_rule(line, len(line.split())) is None, line


@pytest.mark.parametrize("text", [
    "plain ascii, words: and-punctuation!", "Ünïcode — «quoted» words… and ‘more’",
    "a\\b[c]{d}|e", "日本語のテキスト、句読点。", "", "x".join(map(chr, range(128))),
])
def test_split_words_splits_at_whitespace_and_punctuation(text):
    """The one-regex word split equals the plain definition: punctuation to spaces, then
    str.split."""
    table = str.maketrans({c: " " for c in blocks._PUNCTUATION})
    assert blocks._split_words(text) == text.translate(table).split()


_FAST_PATH_TEXTS = [
    "x".join(map(chr, range(128))), " ".join(map(chr, range(128))),
    "Share  THIS 12 times\x1c\tnow", "  \x1f ", "", "Ünïcode ſ K (Kelvin) Straße 12 ٣",
    "{a: 1}; <b> = c", "“Quoted” — dash… {x}", "ÀÿĀɏ ɐ Привет 日本",
]


@pytest.mark.parametrize("text", _FAST_PATH_TEXTS)
def test_ascii_fast_paths_agree_with_the_plain_definitions(text):
    """The byte-level shortcuts taken for ASCII text give what the plain string and regex
    code gives on any text: words, Latin letter counts, code characters, line hashes."""
    assert blocks._split_words(text) == blocks._WORD_RUN.findall(text)
    assert blocks._latin_letters(text) == len(blocks._LATIN.findall(text))
    code = sum(map(text.count, blocks._CODE_CHARS))
    assert len(text.encode().translate(None, blocks._NOT_CODE_BYTES)) == code
    norm = re.sub(r"\d", "0", " ".join(text.casefold().split()))
    expected = blocks.xxhash.xxh3_64_intdigest(norm.encode()) if norm else 0
    assert blocks._line_hash.__wrapped__(text) == expected


def test_labelling_without_hashes_equals_labelling_with_them():
    """Without pass-1 hashes, label_batch hashes only the lines whose document count it
    reads (short ones); the labels must be the same as with every line's hash."""
    long = ("This long paragraph has far more words than any template line could have, so "
            "its document count is never read by the labeller.")
    texts = [f"Menu\nStory {k}\n{long}\nGazette weekly edition\n{long} {k}" for k in range(7)]
    labelled = []
    for with_hashes in (False, True):
        docs = [_doc(t, f"d{k}") for k, t in enumerate(texts)]
        blocks.segment_batch(docs)
        hashes = [blocks.line_hashes(d) for d in docs]
        stats = blocks.LineStats()
        for d, h in zip(docs, hashes, strict=True):
            stats.add(d, h)
        blocks.label_batch(docs, stats, hashes if with_hashes else None)
        labelled.append([[(b.text, b.role, b.reason) for b in d.blocks] for d in docs])
    assert labelled[0] == labelled[1]
    assert all(("Gazette weekly edition", "boilerplate", "template_line") in d
               for d in labelled[0])


def test_phrase_grouping_keeps_rule_order():
    """Grouping phrases by first letter must not change which rule names a line."""
    rules = blocks.load_rules([blocks.RULES_DIR / "boilerplate.toml"])
    assert rules.match("Skip to content", 3) == "site_navigation"
    assert rules.match("Facebook Twitter LinkedIn WhatsApp", 4) == "share_bar"
    assert rules.match("Post a Comment", 3) == "article_end_marker"


def test_affiliate_rule_leaves_reporting_on_commissions_alone():
    """Sentences about other people's commissions are article text, not a disclosure."""
    for line in ("Travel agents recommend insurance because they get a commission when you buy it.",
                 "Disclosure: This article was written by a human, with an edit by a colleague.",
                 "Streamers can run ads and earn money through brand deals and affiliate links."):
        assert blocks._line_rule(line, len(line.split())) is None, line


def test_flattened_code_block_is_code_like_but_prose_with_braces_is_not():
    """A code block flattened onto one line (no sentence end) leaves the text; a sentence
    that quotes a few braces or tags stays (devset wcxb0476, wcxb0196)."""
    code = ('<cfscript> user = { prefix: "Mrs.", firstName: "Laura", lastName: "Badonka" }; '
            '// build the name name = ""; if ( user.prefix.len() ) { name = user.prefix; } '
            'writeOutput( name ); </cfscript>')
    prose = ("So my mind focuses on the count {in-breath}, then the count {out-breath}, and "
             "the numbers keep going up until I lose track, which is the point of the practice.")
    assert blocks._line_rule(code, len(code.split())) == "code_like"
    assert blocks._line_rule(prose, len(prose.split())) is None


def test_long_lead_in_and_numbered_crosshead_under_the_title_stay_in_the_text():
    """A listicle's lead-in ends on a colon, so it is not the first prose paragraph; it and
    the "1. ..." crosshead after it are article text, not header furniture (wcxb1781)."""
    lead = ("As we welcome the new year, it is the perfect time to focus on self-improvement "
            "and set goals for a healthier smile, so here are our top resolutions:")
    text = "\n\n".join([
        "Menu", "New Year, New Smile: Top Dental Resolutions", lead,
        "1. Commit to Consistent Oral Hygiene",
        "Brushing twice a day and flossing daily are the basics of a healthy mouth, and "
        "they take only a few minutes of your time each morning and evening.",
        "Regular checkups let your dentist spot small problems before they become large and "
        "expensive ones, so book your next visit before the month is out.",
    ])
    doc = _label(_doc(text))[0]
    assert _role_of(doc, "New Year, New Smile") == "title"
    assert lead in doc.body
    assert "1. Commit to Consistent Oral Hygiene" in doc.body
