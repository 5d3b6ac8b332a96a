"""Shapes of patterns: what the reader derives, what it declines, and that every match has its pattern's shape."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.strip.shapes import ANY, Shape, fold_exceptions, line_starts, lines_holding, pattern_shape

FLAGS = regex.IGNORECASE | regex.VERSION0


@pytest.mark.parametrize(
    ("source", "least", "most", "needs", "whole", "wide"),
    [
        (r"^(?:abc)$", 3, 3, {"abc"}, True, False),
        (r"^(?:ab?c)$", 2, 3, {"a"}, True, False),  # the optional "b" breaks the run; "a" and "c" tie
        (r"^(?:x{2,5}|y{,3}z)$", 1, 5, {"x", "z"}, True, False),
        (r"^(?:.{0,80}\bcookies?\b.*)$", 6, None, {"cookie"}, True, True),
        (r"^(?:[|•]\s*\w+)$", 2, None, {"|", "•"}, True, False),
        (r"^(?:[^|]{1,9}[a-c])$", 2, 10, None, True, True),
        (r"^(?:(\w{3})\s*\1)$", 3, None, None, True, False),
        (r"(?<=[.!?])\s+photos?:\s*\S+$", 8, None, {"photo"}, False, True),
        (r"^(?:a)", 1, 1, {"a"}, False, False),
        (r"^(?:comments?|kommentare?)\s*\d+$", 8, None, {"comment", "kommentar"}, True, False),
        (r"^(?:\(c\)|©) \d{4}$", 6, 8, {" "}, True, False),  # ties go to fewer strings, however common
        (r"^(?:a++b*?c{2}+)$", 3, None, {"a"}, True, False),
        (r"^(?:(?>ab|a)c)$", 2, 3, {"c"}, True, False),
        (r"^(?:\.com|\-x)$", 2, 4, {".com", "-x"}, True, False),
    ],
)
def test_what_the_reader_derives(source, least, most, needs, whole, wide):
    shape = pattern_shape(source)
    assert (shape.min_len, shape.max_len, shape.whole, shape.wide) == (least, most, whole, wide)
    assert shape.needs == (None if needs is None else frozenset(needs))


@pytest.mark.parametrize(
    "source",
    [r"(?i)abc", r"(?x: a b)", r"(?P<w>a)(?P=w)", r"(?<w>a)", r"(?#c)a", r"(?|(a)|(b))", r"\N{DASH}", r"\x41",
     r"[[:alpha:]]", r"[]a]", r"a{x}", r"a{,}", r"\1(a)", r"(a\1)", r"\g<1>", r"a**", r"[\bx]", r"(a"],
)  # fmt: skip
def test_what_the_reader_declines_has_no_shape(source):
    assert pattern_shape(source) is ANY


def test_flags_other_than_ignorecase_decline():
    assert pattern_shape("^(?:a)$", regex.I | regex.MULTILINE) is ANY
    assert pattern_shape("^(?:a)$", regex.I | regex.FULLCASE) is ANY
    assert pattern_shape("^(?:a)$", regex.I | regex.VERSION0 | regex.UNICODE) is not ANY


def test_any_admits_everything():
    assert ANY.admits("", "")
    assert Shape(3, 3, None, whole=True).admits("abc\n", "abc\n")
    assert not Shape(3, 3, None, whole=True).admits("abcd\n", "abcd\n")


ALPHABET = ["a", "b", "c", "A", "B", " ", "-", "|", ".", "1", "İ", "ı", "ſ", "s", "S", "K", "k", "\n"]


@st.composite
def patterns(draw: st.DrawFn, depth: int = 0) -> str:
    """A random pattern in the syntax the reader knows (and some it declines)."""
    atoms = ["a", "b", "s", "k", "ab", "ſ", "İ", "-", r"\|", ".", r"\s", r"\d", r"\w", r"\b", "[ab]", "[^a]",
             "[a-c]", "[|-]", r"\p{L}", "^", "$", r"(?<=a)", r"(?!b)"]  # fmt: skip
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            inner = "|".join(draw(st.lists(patterns(depth + 1), min_size=1, max_size=3)))
            atom = draw(st.sampled_from(["(?:{})", "({})", "(?>{})"])).format(inner)
        else:
            atom = draw(st.sampled_from(atoms))
        quantifier = draw(st.sampled_from(["", "", "", "?", "*", "+", "{2}", "{1,3}", "{,2}", "{0,4}?", "+"]))
        parts.append(atom + quantifier)
    return "".join(parts)


@settings(max_examples=examples(2000), deadline=None)
@given(patterns(), st.lists(st.sampled_from(ALPHABET), max_size=12).map("".join), st.booleans())
def test_every_match_has_its_patterns_shape(body, text, anchored):
    source = f"^(?:{body})$" if anchored else body
    try:
        pattern = regex.compile(source, FLAGS)
    except regex.error:
        return
    shape = pattern_shape(source, pattern.flags)
    if any(c in text for c in fold_exceptions([shape])):
        return
    for found in (pattern.match(text), pattern.search(text)):
        if found is not None:
            assert shape.admits(text, text.casefold()), (source, text, shape)


LINE_ALPHABET = st.sampled_from(["a", "b", "ab", "ba", "\n", " ", "ß", "İ", "|"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(LINE_ALPHABET, max_size=8).map("".join), max_size=10),
       st.lists(st.lists(LINE_ALPHABET, min_size=1, max_size=3).map("".join), max_size=4))  # fmt: skip
def test_lines_holding_finds_every_line_that_holds_a_string(lines: list[str], needs: list[str]) -> None:
    """Every line holding a string is marked; a line is marked only when it holds one or one starts in it
    and runs across the newline that joins it to the next (the screen may be weak, never wrong)."""
    page = "\n".join(lines)
    starts = line_starts(lines).tolist()
    held = lines_holding(page, line_starts(lines), needs).tolist()
    for i, line in enumerate(lines):
        if any(s in line for s in needs):
            assert held[i]
        elif held[i]:
            assert any(page.startswith(s, p) for s in needs for p in range(starts[i], starts[i] + len(line) + 1))
