"""Measure a very long line a piece at a time, so that no list of all its words or letters is built.

``len(WORD_RE.findall(text))`` on a 100 MB line builds a list of 18 million words, about twelve times
the line's size, and the line features take a dozen such counts. A line longer than
``LONG_TEXT`` characters is therefore walked in pieces of about ``PIECE`` characters, each cut
just after a white space character (:func:`piece_spans`), and the counts of the pieces are added up.

The counts are exact for patterns that never match white space (words, letters, digits,
punctuation, a sentence mark followed by a space): no match can span a cut, ``regex`` lets a
lookbehind see the text before a piece, and a lookahead at a piece's end sees the white space
it ends with. Only where a line runs ``PIECE`` characters without white space is it cut where it
stands, and a word there may count as two. Lines up to ``LONG_TEXT`` characters (every line of
an ordinary page) are measured in one piece, exactly as before.

>>> count(WORD_RE, "The talks went on.")
4
>>> list(piece_spans("short line"))
[(0, 10)]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import regex

LONG_TEXT = 1 << 20
"""A line longer than this many characters is measured piece by piece."""

PIECE = 1 << 18
"""About how many characters a piece of a long line has (a piece's words take a few MB)."""

WHITE = regex.compile(r"\s")

WORD_RE = regex.compile(r"\w+")
"""A word, as every word count of the stripper counts it: a run of word characters."""


def is_long(text: str) -> bool:
    """Whether ``text`` is measured in pieces (longer than ``LONG_TEXT`` characters)."""
    return len(text) > LONG_TEXT


def piece_spans(text: str, piece: int | None = None) -> Iterator[tuple[int, int]]:
    """``(start, end)`` spans covering ``text`` in order: one span unless :func:`is_long`.

    A long text is cut just after the first white space at or after every ``piece`` (default
    ``PIECE``) characters, or right there when none follows within another ``piece`` characters
    (but for the end of the text, which is never cut).

    >>> list(piece_spans("abc de fghij kl", piece=4)), list(piece_spans("abcdefghij", piece=4))
    ([(0, 15)], [(0, 10)])
    >>> list(piece_spans("abc de fghij kl " * 2**17, piece=4))[:3]
    [(0, 7), (7, 13), (13, 20)]
    >>> list(piece_spans("abcdefghij" * 2**17, piece=4))[:3]
    [(0, 4), (4, 8), (8, 12)]
    """
    piece = PIECE if piece is None else piece
    n = len(text)
    start = 0
    if not is_long(text):
        yield 0, n
        return
    while start + piece < n:
        target = start + piece
        found = WHITE.search(text, target, min(target + piece, n))
        if found is None and target + piece >= n:  # the rest is short: no cut needed
            break
        end = found.end() if found else target
        yield start, end
        start = end
    yield start, n


def spans_at(text: str, cut: regex.Pattern[str]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` spans covering ``text``: one unless :func:`is_long`, else cut at the end of the
    first match of ``cut`` at or after every ``PIECE`` characters (no cut where none follows).

    >>> list(spans_at("abc de fghij kl", regex.compile(r" ")))
    [(0, 15)]
    """
    n, start = len(text), 0
    if is_long(text):
        while start + PIECE < n:
            found = cut.search(text, start + PIECE)
            if found is None:
                break
            yield start, found.end()
            start = found.end()
    yield start, n


Spans = Sequence[tuple[int, int]]
"""A long text's :func:`piece_spans`, computed once by a caller that counts several patterns."""


def count(pattern: regex.Pattern[str], text: str, spans: Spans | None = None) -> int:
    """``len(pattern.findall(text))``, counted a piece at a time on a long text (see the module docstring).

    ``spans`` are ``text``'s :func:`piece_spans` when the caller has them.

    >>> count(regex.compile(r"\\p{Lu}"), "Hanoi and Tokyo")
    2
    """
    if not is_long(text):
        return len(pattern.findall(text))
    return sum(len(pattern.findall(text, start, end)) for start, end in spans or piece_spans(text))


def findall_pieces(
    pattern: regex.Pattern[str], text: str, lower: bool = False, spans: Spans | None = None
) -> Iterator[list[str]]:
    """``pattern.findall(text)`` (of ``text.lower()`` with ``lower``), as one list per piece of ``text``.

    Lower-casing a piece gives the same words as lower-casing the whole line: a cut follows white
    space, across which no character's lower case depends on its neighbours.

    >>> list(findall_pieces(regex.compile(r"\\w+"), "The Talks", lower=True))
    [['the', 'talks']]
    """
    if not is_long(text):
        yield pattern.findall(text.lower() if lower else text)
        return
    for start, end in spans or piece_spans(text):
        yield pattern.findall(text[start:end].lower()) if lower else pattern.findall(text, start, end)
