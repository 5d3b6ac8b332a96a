"""``drop_repeated_alt`` finds the page's language only when it compares a line's with it: the same
decisions as the former version, which found it first, on random pages of repeated lines."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.strip.decision import LineDecision
from dedup.strip.features import SENTENCE_END_RE, language, language_of
from dedup.strip.heuristics import ALT_MAX_WORDS, drop_repeated_alt
from dedup.text import WORD_RE, count


def reference_drop_repeated_alt(
    decisions: list[LineDecision], min_repeats: int, captions: Sequence[bool]
) -> list[LineDecision]:
    """The former ``drop_repeated_alt``."""
    where: dict[str, list[int]] = {}
    for i, d in enumerate(decisions):
        where.setdefault(d.text, []).append(i)
    repeated = {text: at for text, at in where.items() if len(at) >= min_repeats}
    out = list(decisions)
    if not repeated:
        return out
    page_lang = language_of(d.text for d in decisions if d.keep)
    for text, at in repeated.items():
        repeats = len(at)
        if count(WORD_RE, text) > ALT_MAX_WORDS or SENTENCE_END_RE.search(text):
            continue
        before_caption = sum(i + 1 < len(decisions) and captions[i + 1] for i in at)
        lang = language(text)
        foreign = lang is not None and page_lang is not None and lang != page_lang
        if before_caption * 2 < repeats and not foreign:
            continue
        why = "before captions" if before_caption * 2 >= repeats else f"in {lang}, the page is in {page_lang}"
        for i in at:
            if out[i].keep or not out[i].rule.startswith("chrome:"):
                out[i] = LineDecision(False, text, (), "chrome:repeated_alt", f"repeated {repeats} times, {why}",
                                      out[i].score)  # fmt: skip
    return out


TEXTS = ["Ảnh minh họa", "Photo of the day", "Bild der Woche", "la photo du jour", "Home", "và", "the", "der",
         "The talks went well.", "A caption", "Tin mới nhất trong ngày", "Share", "", "ok ok"]  # fmt: skip
RULES = ["", "", "chrome:menu_list", "classifier"]


@st.composite
def pages(draw: st.DrawFn) -> tuple[list[LineDecision], list[bool], int]:
    n = draw(st.integers(0, 24))
    lines = [LineDecision(draw(st.booleans()), draw(st.sampled_from(TEXTS)), (), draw(st.sampled_from(RULES)),
                          "", draw(st.sampled_from([None, 0.5]))) for _ in range(n)]  # fmt: skip
    return lines, [draw(st.booleans()) for _ in range(n)], draw(st.integers(1, 4))


@settings(max_examples=400, deadline=None)
@given(pages())
def test_the_same_decisions_as_the_reference(page: tuple[list[LineDecision], list[bool], int]) -> None:
    decisions, captions, repeats = page
    assert drop_repeated_alt(decisions, repeats, captions) == reference_drop_repeated_alt(decisions, repeats, captions)
