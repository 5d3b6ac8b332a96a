"""The stripper on hostile pages (issue 17): huge pages of short lines, and pages the classifier would empty."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from budget import examples
from dedup.config import StripConfig
from dedup.strip.decision import LineDecision
from dedup.strip.rules import Cut, load_rules, match_line
from dedup.strip.stripper import apply_rules, decide_lines, keep_best


def cpu_seconds(fn, *args):
    start = time.process_time()
    fn(*args)
    return time.process_time() - start


def test_many_tail_openers_take_linear_time():
    """51k lines, half of them comment counters (tail openers): each used to sum the whole page."""
    lines = ["Comment (0)" if i % 2 else "Home" for i in range(51_000)]
    rules = load_rules()
    matches = [match_line(t, rules) for t in lines]
    decisions = [LineDecision(True, t) for t in lines]
    assert cpu_seconds(apply_rules, lines, decisions, [None] * len(lines), matches) < 2.0


def test_a_long_menu_like_line_is_not_matched_against_the_rules():
    """menu_list backtracks quadratically on a long line that almost fits: 40 s at 1 MB before the cap."""
    line = " | ".join(["item one"] * 100_000) + " | " + "x" * 40
    start = time.process_time()
    assert match_line(line, load_rules()) is None
    assert time.process_time() - start < 0.5


# --- the classifier alone never empties a page ---

HEADLINES = [
    "Thủ tướng Phạm Minh Chính tiếp Đại sứ Nhật Bản tại Hà Nội",  # removed as "classifier", 0.34
    "Biden signs sweeping climate bill into law",  # "classifier", 0.25
    "Floods kill dozens in southern Brazil",
    "Earthquake strikes off the coast of Japan",  # "context": scored 0.56, below the page's bias
    "Giá vàng hôm nay tăng mạnh",
    "Home",
]


@pytest.mark.parametrize("line", HEADLINES)
def test_a_one_line_page_keeps_its_line(line):
    text = unicodedata.normalize("NFC", line)
    assert dedup.clean_text(text) == text + "\n"


def test_the_command_keeps_a_one_line_headline(run_cli):
    result = run_cli("clean", "-", stdin=b"Biden signs sweeping climate bill into law\n", strip=True)
    assert (result.code, result.out) == (0, "Biden signs sweeping climate bill into law\n")


def test_an_emptied_page_gets_its_best_line_back():
    lines = ["Home", "Floods kill dozens in southern Brazil", "Contact us", "Share on Facebook"]
    decisions = decide_lines(lines, StripConfig())
    assert [d.keep for d in decisions] == [False, True, False, False]
    assert decisions[3].rule == "chrome:share"


def test_an_emptied_page_gets_its_sentences_back_with_their_trims():
    cut = Cut("photo_credit", "(Photo: VNA)", "The ministers met in Hanoi.")
    gone = [LineDecision(False, "Home", (), "classifier", score=0.4),
            LineDecision(False, cut.text, (), "classifier", score=0.2),
            LineDecision(False, "Thank you very much!", (), "context", score=0.6),
            LineDecision(False, "Comment (0)", (), "chrome:comment_counter", score=0.9),
            LineDecision(False, "We will be back.", (), "chrome:tail", score=0.3)]  # fmt: skip
    out = keep_best(gone, [(), (cut,), (), (), ()])
    assert [d.keep for d in out] == [False, True, True, False, False]
    assert out[1] == LineDecision(True, cut.text, (cut,), score=0.2)
    assert out[3:] == gone[3:]
    assert keep_best(out, [()] * 5) == out  # a page with a kept line is left alone


def test_rules_may_still_empty_a_page():
    assert dedup.clean_text("Share\nComment (0)") == ""  # chrome patterns only
    assert dedup.clean_text("Biden signs sweeping climate bill into law\n\n404: Page Not Found") == ""  # error page


PAGE_RULES = {f"chrome:{r.name}" for r in load_rules() if r.kind == "page"}
POOL = [*HEADLINES, "News", "Contact us", "Share", "Comment (0)", "Same tag", "Photo one", "Read more", "Yes.",
        "Thank you!", "Ảnh minh họa", "Login | Register | Help", "The talks went on.", "by NDO 29/09/2025, 02:00",
        "A caption of the meeting (Photo: VNA)", "404: Page Not Found", "12 comments"]  # fmt: skip


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.sampled_from(POOL), min_size=1, max_size=8))
def test_only_rules_empty_a_page(lines):
    """When nothing is kept, either no line was the classifier's to remove or the page is an error page."""
    decisions = decide_lines(lines, StripConfig())
    if not any(d.keep for d in decisions):
        rules = {d.rule for d in decisions}
        assert not rules & {"classifier", "context"} or rules & PAGE_RULES, [d.rule for d in decisions]
