"""The page measures (strip.measure, strip.chars, the measure kernels) against the per-line reference of
strip.features and strip.lexicon: the same feature matrices, bit for bit."""

from __future__ import annotations

import math
import unittest.mock
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.config import Config
from dedup.io.read import Skip, read_file
from dedup.pipeline import prepare_document
from dedup.strip import _kernels, chars, features, stripper
from dedup.strip.features import FEATURE_NAMES, line_features
from dedup.strip.lexicon import Lexicon, line_tokens, load_lexicon
from dedup.strip.rules import load_rules, match_line
from dedup.text.pieces import LONG_TEXT

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EVAL = Path("/work/shared/eval")
EVAL_PAGES = sorted(EVAL.glob("*/*.input.txt"))


def reference(lines: Sequence[str], lexicon: Lexicon | None = None, ruled: Sequence[bool] | None = None):
    """line_features as it was: each line measured on its own by _local_features and Lexicon.score."""
    lexicon = load_lexicon() if lexicon is None else lexicon
    ruled = [match_line(t, load_rules()) is not None for t in lines] if ruled is None else ruled
    counts = Counter(lines)
    stops = features._stopwords()
    rows = zip(lines, ruled, strict=True)
    local = np.array([[*features._local_features(t, counts[t], r, stops), lexicon.score(t)] for t, r in rows])
    return np.hstack([local, features._context_features(local)]).astype(np.float32)


def assert_same(lines: Sequence[str], lexicon: Lexicon | None = None, ruled: Sequence[bool] | None = None) -> None:
    new, old = line_features(lines, lexicon=lexicon, ruled=ruled), reference(lines, lexicon, ruled)
    if not np.array_equal(new, old):
        rows, cols = np.nonzero(new != old)
        cells = zip(rows.tolist(), cols.tolist(), strict=True)
        where = [(r, FEATURE_NAMES[c], float(old[r, c]), float(new[r, c]), lines[r][:80]) for r, c in cells]
        pytest.fail(f"the page measures differ from the reference: {where[:5]}")


FRAGMENTS = [
    "Home", "the", "THE", "News", "said", "and", "de", "la", "Posted on 12 May", "www.", "WWW.Example.COM",
    "http://x.org", "HTTPS://", "a@b", "12/05/2020", "2020-05-12", "10:30", "Sept. 3", "Jan 5", "ſep 3",
    "MAY 12th", "dec. 31", "İstanbul", "ΣΑΣ", "Σ", "ǅ", "Ǆungla", "ǆ", "K", ".com", ".HTML", " / ", " >> ",
    " /x ", "•", "- ", "— ", "* ", "“", "”", "«", "»", "„", '"', "'", "’", ")", "]", "…", "。", "！", "？",
    "!", "?", ":", ".", "|", "·", "›", "‹", "\t", "\u00a0", "\u2028", "٣", "١٢", "१२", "Ⅻ", "½", "e\u0301",
    "ß", "ﬁ", "ÉCOLE", "ª", "ᾈ", "\ud800", "\udfff", "Page 3 of 9", "0", "00", "12", " ", "  ",
]  # fmt: skip
line_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=12).map("".join)
pages = st.lists(line_text, min_size=1, max_size=8)


@settings(max_examples=examples(400), deadline=None)
@given(pages)
def test_random_lines_measure_as_the_reference(lines):
    assert_same(lines)


@settings(max_examples=examples(300), deadline=None)
@given(pages)
def test_page_word_counts_are_word_re_s(lines):
    """The stripper weighs lines by these counts (page_bias): they must be the regex's, line by line."""
    page = features.page_features(lines, ruled=[False] * len(lines))
    assert page.words.tolist() == [len(regex.findall(r"\w+", t)) for t in lines]
    assert np.array_equal(page.matrix, line_features(lines, ruled=[False] * len(lines)))


@settings(max_examples=examples(200), deadline=None)
@given(pages, st.lists(st.booleans(), min_size=8, max_size=8))
def test_random_lines_with_newlines_measure_as_the_reference(lines, ends):
    lines = [t + "\n" if end else t.replace(" ", "\n") for t, end in zip(lines, ends, strict=False)]
    assert_same(lines, ruled=[False] * len(lines))


@settings(max_examples=examples(200), deadline=None)
@given(pages, st.data())
def test_a_random_lexicon_scores_as_lexicon_score(lines, data):
    tokens = sorted({t for line in lines for t in line_tokens(line)} | {"home", "^the", "news$", "the news"})
    chosen = data.draw(st.lists(st.sampled_from(tokens), unique=True))
    size = len(chosen)
    weights = data.draw(st.lists(st.floats(-1e6, 1e6, allow_subnormal=True), min_size=size, max_size=size))
    lexicon = Lexicon(dict(zip(chosen, weights, strict=True)), bias=data.draw(st.floats(-10, 10)))
    assert_same(lines, lexicon)


finite = st.floats(allow_nan=False, allow_infinity=False)
mixed = st.one_of(finite, st.floats(-1e-300, 1e-300), st.floats(-1e300, 1e300), st.sampled_from([0.0, -0.0, 1.0, -1.0]))


@settings(max_examples=examples(2000), deadline=None)
@given(st.lists(mixed, max_size=40))
def test_exact_sum_is_math_fsum(values):
    array, partials = np.array(values, dtype=np.float64), np.empty(len(values) + 1)
    got = _kernels.exact_sum(array, len(values), partials)
    try:
        want = math.fsum(values)
    except OverflowError:
        assert math.isnan(got)
        return
    assert math.copysign(1, got) == math.copysign(1, want)
    assert got == want


def test_exact_sum_rounds_ties_to_even_across_partials():
    values = [1.0, 1e-16, 1e-16 * 2**-60, -1e-16 * 2**-60]
    assert _kernels.exact_sum(np.array(values), 4, np.empty(5)) == math.fsum(values)
    assert math.isnan(_kernels.exact_sum(np.array([math.inf, 1.0]), 2, np.empty(3)))


def test_weights_that_are_not_finite_are_left_to_math_fsum():
    lexicon = Lexicon({"home": math.inf, "news": 1.0})
    assert line_features(["Home", "News"], lexicon=lexicon)[:, FEATURE_NAMES.index("lexicon")].tolist() == [math.inf, 1]
    overflowing = Lexicon({"news": 1e308, "top": 1e308})
    with pytest.raises(OverflowError):
        overflowing.score("News top")  # the reference raises, and so do the page measures
    with pytest.raises(OverflowError):
        line_features(["News top"], lexicon=overflowing)


def test_lines_whose_lower_case_is_not_one_character_keep_the_reference():
    lines = ["İSTANBUL HABER", "ΟΔΟΣ ΣΤΑ ΝΕΑ", "Home"]
    page = features.measure_page(lines, features._stopword_table(), load_lexicon())
    assert page.needs_reference.tolist() == [True, True, False]
    assert_same(lines)


@pytest.mark.slow
def test_a_huge_line_measures_as_the_reference():
    huge = ("The talks in Hanoi went on, said www.example.com on 12/05/2020. " * (LONG_TEXT // 60 + 10)).strip()
    assert_same(["Home", huge, "Share"])


def test_the_char_table_is_what_regex_and_str_say_of_every_code_point():
    table = chars.char_table()
    text = chars._every_code_point()
    assert len(text) == chars.CODE_POINTS
    assert np.array_equal(chars.code_points(text), np.arange(chars.CODE_POINTS))
    for flag, pattern in chars.UNICODE_CLASSES + chars.LITERAL_SETS:
        marked = chars.code_points(regex.sub(pattern, "\x00", text)) == 0
        marked[0] = False
        assert np.array_equal(marked, table.classes & flag != 0), pattern
    blocks = lambda c: not (c + "A").isupper()  # noqa: E731
    case = [(chars.PY_UPPER, str.isupper), (chars.PY_LOWER, str.islower), (chars.PY_BLOCK, blocks)]
    for flag, method in case:
        assert np.array_equal(np.fromiter(map(method, text), bool, len(text)), table.classes & flag != 0)
    lower = [ord(c.lower()) if len(c.lower()) == 1 and c != "Σ" else _kernels.NO_LOWER for c in text]
    assert np.array_equal(np.array(lower, dtype=np.uint32), table.lower)


def test_the_feature_patterns_use_the_sets_of_the_char_table():
    sets = dict(chars.LITERAL_SETS)
    assert features.SENTENCE_END_RE.pattern == sets[_kernels.MARK] + sets[_kernels.CLOSER][:-1] + "]*$"
    assert features.SENTENCE_MARK_RE.pattern == sets[_kernels.MARK] + r"(?=\s|$)"
    assert features.SEPARATOR_RE.pattern == sets[_kernels.SEPARATOR] + r"|(?<=\s)" + sets[_kernels.SLASH] + r"+(?=\s)"
    assert features.QUOTE_RE.pattern == sets[_kernels.QUOTE]
    assert features.BULLET_RE.pattern == "^" + sets[_kernels.BULLET] + r"\s"
    assert features.URL_RE.pattern == r"https?://|www\.|\w@\w|\.(?:com|org|net|html?)\b"
    assert features.DATE_RE.pattern == (r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b"
                                        r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b")


def test_the_hints_hold_for_every_character_that_matches_ignoring_case():
    """The kernel's URL and month hints spell letters in ASCII (lower-cased) and "ſ": no other character
    matches them under regex.IGNORECASE."""
    text, lower = chars._every_code_point(), chars.char_table().lower
    for letter in "conhwjanfebmrpyulgsoctvd":
        variants = {m.group() for m in regex.finditer(letter, text, regex.IGNORECASE)}
        assert variants - {letter, letter.upper()} <= ({"ſ"} if letter == "s" else set()), letter
        assert all(lower[ord(v)] == ord(letter) for v in variants - {"ſ"})
    assert ord("ſ") == _kernels.LONG_S


def feature_calls(path: Path) -> list[tuple[list[str], list[bool]]]:
    """The (lines, ruled) that the pipeline's stripper passes to page_features for one input file."""
    calls: list[tuple[list[str], list[bool]]] = []

    def spy(lines, rules=None, lexicon=None, ruled=None):
        calls.append((list(lines), list(ruled)))
        return features.page_features(lines, rules, lexicon, ruled)

    doc = read_file(path, path.stem)
    if isinstance(doc, Skip):  # the pipeline skips it too
        return calls
    with unittest.mock.patch.object(stripper, "page_features", spy):
        prepare_document(doc, Config())
    return calls


def assert_same_pages(path: Path) -> None:
    for lines, ruled in feature_calls(path):
        assert_same(lines, ruled=ruled)


@pytest.mark.parametrize("path", sorted((FIXTURES / "seeds").glob("*.txt")), ids=lambda p: p.name)
def test_the_fixture_pages_measure_as_the_reference(path):
    assert_same_pages(path)


@pytest.mark.slow
@pytest.mark.skipif(not EVAL_PAGES, reason=f"no evaluation pages in {EVAL}")
def test_every_evaluation_page_measures_as_the_reference():
    for path in EVAL_PAGES:
        assert_same_pages(path)
