"""The stripper on whole pages: the seeds, short body lines, reasons, invariants, templates."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.config import StripConfig
from dedup.records import Paragraph, Removal
from dedup.strip.classifier import LineModelFormatError, line_model_from_json, load_line_model
from dedup.strip.features import FEATURE_NAMES, line_features
from dedup.strip.rules import load_rules, trim
from dedup.strip.stripper import decide_lines, strip_paragraphs
from dedup.strip.templates import mark_templates

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))


def canon(text: str) -> str:
    """Compare texts as the expected files are written: NFC, single spaces, no space before , . ; : ! ?"""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s+", " ", text)).strip()


def grams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + 4]) for i in range(max(1, len(words) - 3))}


def paragraphs(path: Path) -> list[Paragraph]:
    lines = path.read_text(encoding="utf-8").splitlines()
    texts = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
    return [Paragraph(path.stem, i, n, unicodedata.normalize("NFC", t)) for i, (n, t) in enumerate(texts)]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_keeps_the_body_and_drops_the_chrome(seed):
    expected = (FIXTURES / "expected" / seed.name).read_text(encoding="utf-8")
    wanted = [canon(p) for p in expected.split("\n\n") if p.strip()]
    out = strip_paragraphs(paragraphs(seed), StripConfig())
    kept = [canon(p.text) for p in out if p.kept]
    lost = [w for w in wanted if w not in kept]
    assert not lost, f"body paragraphs lost: {lost}"
    text = "\n".join(wanted)
    whole = grams(text)
    # a repeat or a paragraph contained in a longer one is the duplicate finder's to remove
    leaked = [k for k in kept if k not in text and len(grams(k) - whole) > 0.2 * len(grams(k))]
    assert not leaked, f"chrome kept: {leaked}"


def test_seed_002_reports_the_tail_and_the_alt_text():
    out = strip_paragraphs(paragraphs(FIXTURES / "seeds" / "002_69fd38b8e611b786.txt"), StripConfig())
    rules = {p.text: p.removed.rule for p in out if p.removed}
    assert rules["Comment (0)"] == "chrome:comment_counter"
    alt = [p.removed.rule for p in out if p.text == "Bầu không khí mới trong quan hệ Việt Nam-Nga"]
    assert alt == ["chrome:repeated_alt"] * 4
    assert rules["Lost in cloud hunting in Ta Xua"] == "chrome:tail"
    assert rules["Vietnam.vn - Nền tảng quảng bá Việt Nam"] == "chrome:site_header"


def test_trims_are_recorded_as_edits():
    out = strip_paragraphs(paragraphs(FIXTURES / "seeds" / "003_08cc82ff5d1a07b3.txt"), StripConfig())
    first, caption = out[0], out[2]
    assert first.kept
    assert not first.text.startswith("date")
    assert [(e.step, e.removed) for e in first.edits] == [("strip:metadata_prefix", "date 2025-09-30")]
    assert caption.edits[-1].removed == "(Photo: VNA)"
    assert out[-1].removed == Removal("strip", "chrome:agency_credit", "matches the agency_credit pattern",
                                      out[-1].removed.score)  # fmt: skip


def test_every_removal_names_its_reason():
    for seed in SEEDS:
        for p in strip_paragraphs(paragraphs(seed), StripConfig()):
            if p.removed is not None:
                assert p.removed.stage == "strip"
                assert p.removed.rule
                assert p.removed.detail
                if p.removed.rule in ("classifier", "context"):
                    assert p.removed.score is not None


BODY = [
    "The two delegations met in Hanoi on Monday to review trade, energy and education projects agreed last year.",
    "Officials said the first results were encouraging and that more agreements would be signed before the end.",
    "It was.",
    "Both sides also discussed visas, direct flights and student exchanges, which have grown quickly since 2022.",
    "Therefore, the visit is of great significance.",
    "The next session of the committee is scheduled to take place in Moscow in the autumn of next year.",
    "Thank you very much, Ambassador!",
]


SHORT = ["It was.", "Therefore, the visit is of great significance.", "Thank you very much, Ambassador!"]


@pytest.mark.parametrize("short", SHORT)
def test_short_body_paragraphs_are_kept(short):
    page = ["Home", "World", "Business", *BODY, "Comment (0)", "Same tag", "Lost in cloud hunting"]
    decisions = dict(zip(page, decide_lines(page, StripConfig()), strict=True))
    assert decisions[short].keep


def test_disabled_returns_the_input():
    ps = paragraphs(SEEDS[2])
    assert strip_paragraphs(ps, StripConfig(enabled=False)) == ps


def test_rules_only_and_classifier_only():
    ps = paragraphs(SEEDS[2])
    rules_only = strip_paragraphs(ps, StripConfig(classifier=False))
    assert all(p.removed is None or p.removed.rule.startswith("chrome:") for p in rules_only)
    model_only = strip_paragraphs(ps, StripConfig(rules=False, repeated_alt=0))
    assert all(p.removed is None or p.removed.rule in ("classifier", "context") for p in model_only)


def test_already_removed_paragraphs_pass_through():
    ps = paragraphs(SEEDS[3])
    gone = ps[1].remove(Removal("exact", "exact_repeat"))
    out = strip_paragraphs([ps[0], gone, *ps[2:]], StripConfig())
    assert out[1] is gone


def test_shipped_model_matches_the_features():
    model = load_line_model()
    assert model.feature_names == FEATURE_NAMES
    assert "heldout" in " ".join(model.meta["scores"])
    again = line_model_from_json(model.to_json())
    x = np.random.default_rng(0).normal(size=(7, len(FEATURE_NAMES))).astype(np.float32)
    assert np.allclose(again.predict(x), model.predict(x), atol=1e-4)


def test_reused_rule_matches_give_the_features_computed_afresh():
    """decide_lines reuses its whole-line rule matches for the features; trimmed lines are matched again."""
    rules = load_rules()
    chrome_rule = FEATURE_NAMES.index("chrome_rule")
    ruled = trimmed = 0
    for seed in SEEDS:
        lines = [p.text for p in paragraphs(seed)]
        cuts = [trim(t, rules) for t in lines]
        texts = [c[-1].text if c else t for t, c in zip(lines, cuts, strict=True)]
        fresh = line_features(texts, rules)
        assert decide_lines(lines, StripConfig(), features=fresh) == decide_lines(lines, StripConfig()), seed.name
        ruled += int(fresh[:, chrome_rule].sum())
        trimmed += sum(map(bool, cuts))
        told = line_features(texts, rules, ruled=[False] * len(texts))
        assert not told[:, chrome_rule].any()
    assert ruled, "no seed line matched a rule: the reused matches went untested"
    assert trimmed, "no seed line was trimmed: matching again after a trim went untested"


def test_rule_matches_must_cover_every_line():
    with pytest.raises(ValueError, match="ruled has 1 entries for 2 lines"):
        line_features(["Home", "News"], ruled=[True])


def test_model_files_that_do_not_fit_are_refused():
    data = load_line_model().to_json()
    with pytest.raises(LineModelFormatError, match="other features"):
        line_model_from_json({**data, "feature_names": data["feature_names"][:-1]})
    with pytest.raises(LineModelFormatError, match="no members"):
        line_model_from_json({**data, "members": []})
    member = data["members"][0]
    cut_state = {**member, "forward": {**member["forward"], "b_ih": member["forward"]["b_ih"][:-1]}}
    with pytest.raises(LineModelFormatError, match=r"member 0 of the line model is malformed: .*forward\.b_ih"):
        line_model_from_json({**data, "members": [cut_state]})
    narrow = {**member, "mean": member["mean"][:-1], "scale": member["scale"][:-1],
              "embed_w": [row[:-1] for row in member["embed_w"]]}  # fmt: skip
    with pytest.raises(LineModelFormatError, match=f"member 1 takes {len(FEATURE_NAMES) - 1} features"):
        line_model_from_json({**data, "members": [member, narrow]})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("switch_cost", -1.0),
        ("bias", 99.0),
        ("page_cut", -0.5),
        ("template_min_docs", 1),
        ("template_share", 1.5),
        ("repeated_alt", -2),
    ],
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=f"StripConfig.{field} must be between"):
        dataclasses.replace(StripConfig(), **{field: value})


LINE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=80)


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(LINE.map(str.strip).filter(bool), max_size=30))
def test_same_paragraphs_in_the_same_order(texts):
    ps = [Paragraph("d", i, i + 1, t) for i, t in enumerate(texts)]
    out = strip_paragraphs(ps, StripConfig())
    assert [(p.index, p.line) for p in out] == [(p.index, p.line) for p in ps]
    for before, after in zip(ps, out, strict=True):
        assert after.removed is not None or set(after.text.split()) <= set(before.text.split()) | {""}


def page(doc: str, lines: list[str]) -> list[Paragraph]:
    return [Paragraph(doc, i, i + 1, t) for i, t in enumerate(lines)]


def test_templates_mark_lines_repeated_across_a_site():
    docs = [page(f"d{i}", ["Subscribe to Example Daily", f"Story {i} is about the harbour.", "© 2024 Example"])
            for i in range(5)]  # fmt: skip
    docs.append(page("other", ["Subscribe to Example Daily", "Something else entirely."]))
    out = mark_templates(docs, ["ex.com"] * 5 + ["other.org"], StripConfig())
    assert [p.kept for p in out[0]] == [False, True, False]
    assert out[0][0].removed == Removal("template", "template", "in 5 of 5 pages of site 'ex.com'")
    assert all(p.kept for p in out[5])


def test_templates_need_enough_pages_and_share():
    docs = [page(f"d{i}", ["Menu", f"Story {i}."]) for i in range(2)]
    assert all(p.kept for d in mark_templates(docs, ["a.com", "a.com"], StripConfig()) for p in d)
    docs = [page(f"d{i}", ["Menu" if i < 2 else f"Other {i}", f"Story {i}."]) for i in range(10)]
    assert all(p.kept for d in mark_templates(docs, ["a.com"] * 10, StripConfig()) for p in d)
    with pytest.raises(ValueError, match="3 documents but 2 sites"):
        mark_templates(docs[:3], ["a", "b"], StripConfig())


def test_templates_leave_unknown_sites_and_long_lines():
    long = " ".join(["word"] * 40)
    docs = [page(f"d{i}", [long, "Menu"]) for i in range(4)]
    out = mark_templates(docs, [None, None, "s", "s"], StripConfig(template_min_docs=2))
    assert all(p.kept for p in out[0])
    assert out[2][0].kept
    assert not out[2][1].kept


PAGES = sorted((Path(__file__).resolve().parents[1] / "cases" / "strip" / "pages").glob("*.txt"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_hand_written_pages(path):
    """Each case page marks its article lines "+ " and its chrome "- "; titles and standfirsts included."""
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:2] in ("+ ", "- ")]
    decisions = decide_lines([row[2:] for row in rows], StripConfig())
    wrong = [(row, d.rule, d.score) for row, d in zip(rows, decisions, strict=True) if (row[0] == "+") != d.keep]
    assert not wrong


def test_templates_count_pages_where_the_stripper_already_removed_the_line():
    docs = [page(f"d{i}", ["Newsletter sign-up form", f"Story {i}."]) for i in range(4)]
    docs = [[d[0].remove(Removal("strip", "classifier", score=0.1)), d[1]] if i else d for i, d in enumerate(docs)]
    out = mark_templates(docs, ["ex.com"] * 4, StripConfig())
    assert out[0][0].removed == Removal("template", "template", "in 4 of 4 pages of site 'ex.com'")
    assert out[1][0].removed.rule == "classifier"


def test_a_lone_article_paragraph_among_menus_is_kept():
    menus = [f"Section {name}" for name in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"] * 2
    lone = (
        "The municipal health team reported this morning that two of its five vehicles had been broken into;"
        " patients booked for the morning are being rescheduled and service should be normal by the afternoon."
    )
    page = [*menus[:30], lone, *menus[30:]]
    decisions = decide_lines(page, StripConfig())
    kept = [i for i, d in enumerate(decisions) if d.keep]
    assert kept in ([30], [29, 30])  # the menu goes; the line right before may be taken for the heading

    class Unsure:  # scores the paragraph barely above even: the context pass alone would drop it
        def predict(self, x):
            return np.where(np.arange(len(x)) == 30, 0.6, 0.05).astype(np.float32)

    decisions = decide_lines(page, StripConfig(), model=Unsure())
    assert [i for i, d in enumerate(decisions) if d.keep] == [30]
    # Settings that would empty the page still keep its sentences: the classifier alone never empties a page.
    kept = decide_lines(page, StripConfig(switch_cost=50.0, bias=-5.0), model=Unsure())
    assert [i for i, d in enumerate(kept) if d.keep] == [30]


def test_a_one_sentence_document_is_not_emptied_by_the_classifier():
    decisions = decide_lines(["Firstly, the visit shows that the two countries value their friendship."], StripConfig())
    assert decisions[0].keep
    menu = decide_lines(["Home", "News", "Contact"], StripConfig())  # nor a bare menu: its best line stays
    best = max(range(3), key=lambda i: menu[i].score)
    assert [d.keep for d in menu] == [i == best for i in range(3)]


class KeepAll:
    """A classifier that scores every line as article: what is removed, the rules removed."""

    def predict(self, x):
        return np.full(len(x), 0.9, dtype=np.float32)


def test_an_error_page_is_emptied_but_an_article_with_the_same_line_is_not():
    error_page = ["Example Archery Club", "Home", "Events", "This page deleted.", "Contact the webmaster"]
    decisions = decide_lines(error_page, StripConfig(), model=KeepAll())
    assert not any(d.keep for d in decisions)
    assert {d.rule for d in decisions} == {"chrome:error_page"}
    assert all("'This page deleted.' (paragraph 3)" in d.detail for d in decisions if d.text != "This page deleted.")
    article = [
        "Club moves its archive online",
        "The archery club said on Tuesday that its old results pages would move to a new address next month.",
        "This page deleted.",
        "Members who kept printed copies of the old pages were asked to send them to the secretary by post.",
    ]
    kept = [d.text for d in decide_lines(article, StripConfig(), model=KeepAll()) if d.keep]
    assert kept == [article[0], article[1], article[3]]
    assert [d.text for d in decide_lines(article, StripConfig()) if d.keep] == kept


class Doubtful:
    """Scores a page's four body lines 0.45, just under even, and its menu 0.05."""

    def predict(self, x):
        return np.array([0.05, 0.05, 0.45, 0.45, 0.45, 0.45, 0.05], dtype=np.float32)


def test_a_page_of_doubtful_lines_keeps_more_with_its_own_cut():
    page = ["Home", "Archive", "Course content", "Contract fundamentals", "Drafting the contract",
            "Key schedules: price and service levels", "Contact"]  # fmt: skip
    flat = decide_lines(page, StripConfig(switch_cost=0.0, bias=0.05, page_cut=0.0), model=Doubtful())
    assert [d.keep for d in flat] == [False, False, True, False, False, False, False]  # only the best line
    own = decide_lines(page, StripConfig(switch_cost=0.0, bias=0.05, page_cut=1.0), model=Doubtful())
    assert [d.keep for d in own] == [False, False, True, True, True, True, False]
