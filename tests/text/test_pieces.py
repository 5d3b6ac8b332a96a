"""Huge lines measured a piece at a time (issue 17): the same measures, without a list of every word."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup.text.pieces
from budget import examples
from dedup.config import CleanConfig
from dedup.strip.features import (
    CAPITALISED_RE,
    DIGIT_RE,
    LETTER_RE,
    PUNCT_RE,
    SENTENCE_MARK_RE,
    SEPARATOR_RE,
    UPPER_RE,
    _local_features,
    _stopwords,
    language,
    language_of,
)
from dedup.strip.lexicon import load_lexicon
from dedup.strip.rules import load_rules, trim
from dedup.text.normalize import normalize_paragraph
from dedup.text.pieces import WORD_RE, count, findall_pieces, piece_spans

PATTERNS = [WORD_RE, LETTER_RE, UPPER_RE, CAPITALISED_RE, DIGIT_RE, PUNCT_RE, SENTENCE_MARK_RE, SEPARATOR_RE]

# Words of at most 6 characters, one white space after each: every piece of 8 finds a cut.
TOKEN = st.sampled_from(["the", "Talks", "ĐẠI", "sứ", "ΟΔΟΣ", "a.", "b?", "(c)", "12", "/", ">>", "|", "…", "x»",
                         "said:", "“Hi”", "e\u0301", "İi", "_", "@w"])  # fmt: skip
LINE = st.lists(st.tuples(TOKEN, st.sampled_from([" ", "\t", "\u00a0", "\u3000"])), min_size=1, max_size=60).map(
    lambda ws: "".join(w + s for w, s in ws).rstrip()
)


def whole(fn, *args):
    """``fn(*args)`` with every line measured in one piece, as before pieces existed."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dedup.text.pieces, "LONG_TEXT", 1 << 40)
        return fn(*args)


@settings(max_examples=examples(200), deadline=None)
@given(LINE)
def test_counts_in_pieces_are_exact(text):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dedup.text.pieces, "LONG_TEXT", 16)
        mp.setattr(dedup.text.pieces, "PIECE", 8)
        spans = list(piece_spans(text))
        got = [count(p, text) for p in PATTERNS]
        lowered = [w for words in findall_pieces(WORD_RE, text, lower=True) for w in words]
    assert [start for start, _ in spans] == [0] + [end for _, end in spans[:-1]]  # in order, no gap
    assert spans[-1][1] == len(text)
    assert got == [len(p.findall(text)) for p in PATTERNS]
    assert lowered == WORD_RE.findall(text.lower())


@settings(max_examples=examples(100), deadline=None)
@given(LINE)
def test_line_measures_in_pieces_are_the_same(text):
    stops, lexicon = _stopwords(), load_lexicon()
    expected = whole(_local_features, text, 2, False, stops), whole(lexicon.score, text), whole(language, text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dedup.text.pieces, "LONG_TEXT", 16)
        mp.setattr(dedup.text.pieces, "PIECE", 8)
        got = _local_features(text, 2, False, stops), lexicon.score(text), language(text)
    assert got[0] == expected[0]
    assert got[1] == pytest.approx(expected[1], abs=1e-9)  # the same weights, added in another order
    assert got[2] == expected[2]


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(LINE, max_size=6))
def test_the_language_of_lines_is_that_of_their_join(lines):
    assert language_of(lines) == language(" ".join(lines))


def test_a_long_line_is_measured_without_a_list_of_its_words(monkeypatch):
    """Before: a list of every word, letter and token, about 24 times the line. Now: about a piece."""
    monkeypatch.setattr(dedup.text.pieces, "LONG_TEXT", 4096)  # pieces as if the line were 300 MB
    monkeypatch.setattr(dedup.text.pieces, "PIECE", 1024)
    line = "The Minister said on Monday, 12 May, that the talks in Hà Nội would go on. " * 4000  # 300k chars
    stops, lexicon = _stopwords(), load_lexicon()
    tracemalloc.start()
    try:
        _local_features(line, 1, False, stops)
        lexicon.score(line)
        language(line)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(line) // 4


def test_a_trim_checks_three_words_without_splitting_the_line():
    line = "word " * 200_000 + "(Photo: TASS)"
    tracemalloc.start()
    try:
        cuts = trim(line, load_rules())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [c.removed for c in cuts] == ["(Photo: TASS)"]
    assert peak < 4 * len(line)  # the trimmed copy, not a list of 200,000 words (60 bytes each)


MESSY_PARTS = [*"ab.,;:!?'\")%", " ", "  ", "\t", "\u00a0", "\u3000", "\u00ad", "\u200b", "\n", "é", "»", "\u2028"]
MESSY = st.lists(st.sampled_from(MESSY_PARTS), max_size=60).map("".join)


@settings(max_examples=examples(300), deadline=None)
@given(MESSY)
def test_the_cleaner_in_pieces_gives_the_same_paragraph(text):
    expected = whole(normalize_paragraph, text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dedup.text.pieces, "LONG_TEXT", 8)
        mp.setattr(dedup.text.pieces, "PIECE", 4)
        assert normalize_paragraph(text) == expected


def test_a_long_paragraph_of_no_break_spaces_is_cleaned_in_pieces(monkeypatch):
    """Before: regex's list of every piece between matches, about 15 times the text."""
    monkeypatch.setattr(dedup.text.pieces, "LONG_TEXT", 4096)
    monkeypatch.setattr(dedup.text.pieces, "PIECE", 1024)
    text = "a\u00a0b\u00ad  , c " * 30_000
    tracemalloc.start()
    try:
        out, edits = normalize_paragraph(text, CleanConfig(repair=False))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out == ("a b, c " * 30_000).strip()
    assert [e.step for e in edits] == ["invisible", "punctuation_spacing"]
    assert peak < 4 * len(text)
