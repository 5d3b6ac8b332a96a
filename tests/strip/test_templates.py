"""Site templates: the bounded word count that decides which lines can be templates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.strip.templates import _more_words
from dedup.text import WORD_RE

PIECES = st.sampled_from(["a", "Bầu", "東京", "_", "-", " ", "  ", "12", ",", "e\u0301", "\u00a0", "x1", "'", "—"])


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join), st.integers(0, 14))
def test_more_words_agrees_with_counting_every_word(text: str, limit: int) -> None:
    assert bool(_more_words(limit).match(text)) == (len(WORD_RE.findall(text)) > limit)


def test_more_words_reads_only_the_first_words_of_a_long_paragraph() -> None:
    assert _more_words(12).match("word " * 1_000_000).end() < 100
