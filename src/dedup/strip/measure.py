"""The measures of a whole page's lines at once, for :func:`dedup.strip.features.line_features`.

A page's lines are joined by ``"\\n"`` into one string, encoded once as code points (4 bytes a
character), and :func:`~dedup.strip._kernels.measure_lines` reads every line in one pass with the
class table of :mod:`dedup.strip.chars`: words, letters, capitals, digits, punctuation, sentence
marks, separators, final punctuation, quotes, bullets, ``str.isupper``, stopwords (the words of the
lower-cased line, looked up in a :func:`~dedup.strip.chars.token_table`) and the lexicon's score
(its tokens looked up the same way, each counted once, added as ``math.fsum`` adds). Each count is
what the per-line pattern of ``features`` gives: a line's first character has no character before
it and its last none after it (no lookbehind sees the line before, ``$`` is the line's end, or
before a ``"\\n"`` that ends it).

Patterns that are searched, not counted (``URL_RE``, ``DATE_RE``), run once over the joined page
(:func:`lines_matching`): no match can cross from one line into the next, as none of their parts
matches ``"\\n"``, and a ``\\b`` sees the ``"\\n"`` around a line as it sees a line's start and end,
as no word character.

Some lines keep the per-line reference (``needs_reference``): a line longer than ``LONG_TEXT``
characters (``dedup.text.pieces`` measures it a piece at a time, and it is not joined), and a line
with a character whose lower case is not one character or depends on its neighbours (U+0130,
U+03A3), whose stopwords and lexicon tokens the kernel cannot spell.

>>> from dedup.strip._kernels import N_STOPS, N_WORDS
>>> lexicon = Lexicon({"^home": -2.0, "news": 1.0}, bias=0.5)
>>> page = measure_page(["Home | News", "The talks went on."], token_table(["the", "on"]), lexicon)
>>> page.counts[:, N_WORDS].tolist(), page.counts[:, N_STOPS].tolist(), page.scores.tolist()
([2, 4], [0, 2], [-0.5, 0.5])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import regex

from dedup.strip._kernels import N_CHARS, NEEDS_REFERENCE, measure_lines
from dedup.strip.arrays import Page, Scratch, TokenTable
from dedup.strip.chars import char_table, code_points, token_table
from dedup.strip.lexicon import Lexicon
from dedup.text import is_long

__all__ = ["N_COUNTS", "PageMeasures", "lines_matching", "measure_page", "token_table"]

N_COUNTS = NEEDS_REFERENCE + 1
"""The columns of :attr:`PageMeasures.counts` (``N_CHARS`` to ``NEEDS_REFERENCE`` of ``_kernels``)."""
SEPARATOR = "\n"


class PageMeasures(NamedTuple):
    """The measures of a page's lines.

    Attributes:
        counts: ``counts[i, c]``, column ``c`` as named in ``dedup.strip._kernels`` (``N_CHARS`` ...).
        scores: the lexicon's score of each line (NaN where ``math.fsum`` is to say what it is: a
            weight is not finite, or the sum overflows).
        needs_reference: lines to measure with the per-line reference instead (see the module docstring).
        text: the lines joined by ``SEPARATOR``, but for the long ones (left empty).
        starts: where each line starts in ``text``.
    """

    counts: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]
    needs_reference: npt.NDArray[np.bool_]
    text: str
    starts: npt.NDArray[np.int64]


def measure_page(lines: Sequence[str], stops: TokenTable, lexicon: Lexicon) -> PageMeasures:
    """Measure all ``lines`` of a page; ``stops`` is the table of stopwords. ``O(characters)``."""
    long = np.fromiter(map(is_long, lines), dtype=bool, count=len(lines))
    parts = ["" if far else t for t, far in zip(lines, long, strict=True)] if long.any() else lines
    text = SEPARATOR.join(parts)
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    starts = np.cumsum(lengths + 1) - lengths - 1
    tokens = lexicon.token_table()
    longest = max(tokens.max_len, stops.max_len, 1)
    scratch = Scratch(
        np.empty(longest, np.uint32), np.empty(longest, np.uint32), np.empty(longest, np.uint32),
        np.full(len(tokens.values), -1, np.int64), np.empty(len(tokens.values) + 2), np.empty(len(tokens.values) + 2),
    )  # fmt: skip
    scratch.hits[0] = lexicon.bias
    counts = np.zeros((len(lines), N_COUNTS), dtype=np.int64)
    scores = np.zeros(len(lines), dtype=np.float64)
    page = Page(code_points(text), starts, starts + lengths)
    measure_lines(page, char_table(), stops, tokens, scratch, counts, scores)
    return PageMeasures(counts, scores, long | (counts[:, NEEDS_REFERENCE] > 0), text, starts)


def lines_matching(
    patterns: Sequence[regex.Pattern[str]], page: PageMeasures, among: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.bool_]:
    """Whether ``pattern.search`` finds a match in each line for one of ``patterns``, from one scan of the
    joined lines each (only of the lines ``among``, when given; the others are False).

    Only for patterns none of whose matches can contain or look past ``SEPARATOR`` (see the module
    docstring); a line left out of ``page.text`` is empty there and must be searched on its own.

    >>> page = measure_page(["see www.example.org", "none", "a@b"], token_table([]), Lexicon({}))
    >>> lines_matching([regex.compile(r"www\\."), regex.compile(r"\\w@\\w")], page).tolist()
    [True, False, True]
    """
    found = np.zeros(len(page.starts), dtype=bool)
    text, starts, lines = page.text, page.starts, np.arange(len(page.starts))
    if among is not None:
        lines = np.flatnonzero(among)
        ends = starts[lines] + page.counts[lines, N_CHARS]
        parts = [text[a:b] for a, b in zip(starts[lines].tolist(), ends.tolist(), strict=True)]
        text = SEPARATOR.join(parts)
        sizes = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) + len(SEPARATOR)
        starts = np.cumsum(sizes) - sizes
    for pattern in patterns:
        hits = np.searchsorted(starts, [m.start() for m in pattern.finditer(text)], side="right") - 1
        found[lines[hits]] = True
    return found
