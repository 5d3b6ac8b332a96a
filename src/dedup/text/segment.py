"""Split a text into paragraphs, for both layouts scraped text comes in.

Scrapers write either one paragraph per line, or paragraphs separated by blank lines where a
block may still hold several one-line paragraphs (an image's alt text above its caption). Both
mean: every non-empty line is a paragraph. Text wrapped at a fixed width (e-mail, plain-text
books) is the exception: there the lines of a block are pieces of one paragraph, and are joined.

>>> [b.text for b in segment("Title\\nLede.\\n\\nBody one.\\n\\n\\nBody two.")]
['Title', 'Lede.', 'Body one.', 'Body two.']
>>> [b.line for b in segment("Title\\nLede.\\n\\nBody one.\\n\\n\\nBody two.")]
[1, 2, 4, 7]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import regex

from dedup._check import check_type
from dedup.config import Unwrap, check_choice

LINE_BREAK = regex.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
"""Every way of ending a line: CRLF, CR, LF, vertical tab, form feed, NEL, line and paragraph separators."""

BLANK = regex.compile(r"[\p{Zs}\t\u200b\ufeff]*+")
"""A line with nothing visible on it."""

PARAGRAPH_END = regex.compile(r"[.!?:;…。！？\"'”’»)\]]$")
"""A line that ends like a paragraph does: sentence punctuation, a colon or semicolon, or a closing quote or
bracket (wider than :data:`dedup.strip.features.SENTENCE_END_RE`, the end of a sentence)."""

WRAP_MAX_WIDTH = 100
"""Wrapped text is narrower than this; longer lines are whole paragraphs."""

WRAP_MIN_WIDTH = 40
"""Text is wrapped at 60 to 80 columns; a block narrower than this is short lines, not a wrap."""

WRAP_MIN_FILL = 0.6
"""In a wrapped block, every line but the last fills at least this share of the widest line."""


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph's raw text and the 1-based line where it starts."""

    line: int
    text: str


def _split_lines(text: str) -> list[str]:
    """The lines of ``text``, whatever line breaks it uses.

    >>> _split_lines("a\\r\\nb\\rc\\u2028d")
    ['a', 'b', 'c', 'd']
    """
    return LINE_BREAK.split(text)


def _looks_wrapped(lines: list[str]) -> bool:
    """Whether a block of lines is one paragraph wrapped at a fixed width.

    Wrapped lines are narrow, of similar width, and mostly break mid-sentence (no sentence
    punctuation before the break, no capital after it); paragraphs written one per line end in
    sentence punctuation or start with a capital, and a repeated line is never a wrap.

    >>> _looks_wrapped(["It was the best of times, it was the worst of times, it was", "the age of wisdom."])
    True
    >>> _looks_wrapped(["A caption (Photo: TASS)", "A caption (Photo: TASS)"])
    False
    >>> _looks_wrapped(["Short title", "A lede that is much longer than the title above it, ending well."])
    False
    """
    if len(lines) < 2:
        return False
    stripped = [line.strip() for line in lines]
    widest = max(len(line) for line in stripped)
    if not WRAP_MIN_WIDTH <= widest <= WRAP_MAX_WIDTH or len(set(stripped)) < len(stripped):
        return False
    body = stripped[:-1]
    if any(len(line) < WRAP_MIN_FILL * widest for line in body):
        return False
    breaks = zip(body, stripped[1:], strict=True)
    mid_sentence = sum(1 for line, after in breaks if not PARAGRAPH_END.search(line) and not after[0].isupper())
    return mid_sentence * 2 >= len(body)


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Group the non-blank lines of ``text`` into blank-line-separated blocks of (line number, line).

    >>> _blocks("a\\nb\\n\\n\\nc")
    [[(1, 'a'), (2, 'b')], [(5, 'c')]]
    """
    groups: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(_split_lines(text), start=1):
        if BLANK.fullmatch(line):
            if current:
                groups.append(current)
                current = []
        else:
            current.append((number, line))
    if current:
        groups.append(current)
    return groups


def segment(text: str, unwrap: Unwrap = "auto") -> list[Block]:
    """Split ``text`` into paragraphs (see the module docstring), keeping where each starts.

    Args:
        text: the whole document.
        unwrap: ``"auto"`` joins the lines of blocks that :func:`_looks_wrapped`; ``"never"``
            makes every line a paragraph; ``"always"`` makes every block one paragraph.

    >>> [b.text for b in segment("It was the best of times, it was the worst of times, it was\\nthe age.")]
    ['It was the best of times, it was the worst of times, it was the age.']
    >>> [b.text for b in segment("a\\nb", unwrap="always")]
    ['a b']
    """
    check_type("segment", "text", text, str)
    check_choice("segment: unwrap", unwrap, get_args(Unwrap))
    out: list[Block] = []
    for group in _blocks(text):
        lines = [line for _, line in group]
        join = unwrap == "always" or (unwrap == "auto" and _looks_wrapped(lines))
        # str.strip also removes the control characters U+001C..U+001F, which BLANK keeps: a block
        # of only those stays as its lines rather than becoming an empty paragraph.
        joined = " ".join(piece for piece in (line.strip() for line in lines) if piece)
        if join and joined:
            out.append(Block(group[0][0], joined))
        else:
            out.extend(Block(number, line) for number, line in group)
    return out
