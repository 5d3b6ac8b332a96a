"""What every code point is, for the line measures of :mod:`dedup.strip.measure`, and token tables.

:func:`char_table` gives each code point (0 to 0x10FFFF, surrogates included) the flags of
``dedup.strip._kernels``, read off the installed ``regex`` module and Python's own ``str``
methods, so that it is exact for the Unicode versions installed:

- ``WORD`` ``\\w``, ``LETTER`` ``\\p{L}``, ``CAPITAL`` ``\\p{Lu}``, ``NUMBER`` ``\\p{N}``, ``PUNCT``
  ``[\\p{P}\\p{S}]``, ``SPACE`` ``\\s``, ``DECIMAL`` ``\\d``: ``regex``'s classes, as the feature patterns
  and ``WORD_RE`` use them;
- ``MARK``, ``CLOSER``, ``QUOTE``, ``SEPARATOR``, ``SLASH``, ``BULLET``: the literal sets of the
  feature patterns (:data:`LITERAL_SETS`, the same text as in :mod:`dedup.strip.features`);
- ``PY_UPPER`` and ``PY_LOWER``: ``str.isupper()`` and ``str.islower()`` of the code point alone;
  ``PY_BLOCK``: a code point that makes any longer string not ``isupper()`` (CPython: one that is
  lower case or title case; an upper-case one is tested as ``c + "A"``).

``lower`` is ``str.lower`` of each code point, or ``NO_LOWER`` where that is not one code point
(U+0130) or depends on the neighbours (U+03A3, final sigma). Building the table takes about
0.1 s and 6.7 MB, once per process, when a page is first measured.

>>> table = char_table()
>>> flags = int(table.classes[ord("É")])
>>> bool(flags & WORD), bool(flags & CAPITAL), bool(flags & PY_UPPER), chr(table.lower[ord("É")])
(True, True, True, 'é')
>>> bool(table.lower[ord("Σ")] == NO_LOWER)
True
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import regex

from dedup.strip._kernels import (
    BULLET,
    CAPITAL,
    CLOSER,
    DECIMAL,
    LETTER,
    MARK,
    NO_LOWER,
    NUMBER,
    PUNCT,
    PY_BLOCK,
    PY_LOWER,
    PY_UPPER,
    QUOTE,
    SEPARATOR,
    SLASH,
    SPACE,
    WORD,
    fill_token_table,
)
from dedup.strip.arrays import CharTable, TokenTable

__all__ = ["LITERAL_SETS", "UNICODE_CLASSES", "char_table", "code_points", "token_table"]

UNICODE_CLASSES: tuple[tuple[int, str], ...] = (
    (WORD, r"\w"), (LETTER, r"\p{L}"), (CAPITAL, r"\p{Lu}"), (NUMBER, r"\p{N}"), (PUNCT, r"[\p{P}\p{S}]"),
    (SPACE, r"\s"), (DECIMAL, r"\d"),
)  # fmt: skip
"""Each flag and the ``regex`` class it stands for."""
LITERAL_SETS: tuple[tuple[int, str], ...] = (
    (MARK, r"[.!?…。！？]"), (CLOSER, r"[\"'”’»)\]]"), (QUOTE, r"[\"“”«»„]"), (SEPARATOR, r"[|•·»›«‹]"),
    (SLASH, r"[/>]"), (BULLET, r"[-–—*•·►▪●]"),
)  # fmt: skip
"""Each flag and the character set of a feature pattern it stands for."""
CODE_POINTS = 0x110000
SURROGATES = range(0xD800, 0xE000)
LOWER_CHUNK = 1 << 12
"""Code points lower-cased per ``str.lower`` call while building the table."""
CASE_CHUNK = 1 << 8
"""Code points whose case flags are first ruled out together (most blocks have no cased character)."""
CAPITAL_SIGMA = 0x3A3


def code_points(text: str) -> npt.NDArray[np.uint32]:
    """The code points of ``text``, one per character (a lone surrogate too).

    >>> code_points("a€\\ud800").tolist()
    [97, 8364, 55296]
    """
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


@functools.cache
def char_table() -> CharTable:
    """The flags and the lower case of every code point (see the module docstring), built once."""
    text = _every_code_point()
    classes = np.zeros(CODE_POINTS, dtype=np.uint16)
    for flag, pattern in UNICODE_CLASSES:
        for run in regex.compile(f"(?:{pattern})+").finditer(text):
            classes[run.start() : run.end()] |= flag
    for flag, pattern in LITERAL_SETS:  # every member is written in the set's text
        members = [ord(c) for c in set(pattern) if regex.fullmatch(pattern, c)]
        classes[members] |= flag
    for start in range(0, CODE_POINTS, CASE_CHUNK):
        chunk = text[start : start + CASE_CHUNK]
        if not (chunk + "A").isupper() or not (chunk + "a").islower():  # else no character here is cased
            classes[start : start + len(chunk)] |= _case_flags(chunk)
    return CharTable(classes, _lower_case(text))


def _every_code_point() -> str:
    """All code points 0 to 0x10FFFF in order, as one string (surrogates as themselves)."""
    every = np.arange(CODE_POINTS, dtype=np.uint32)
    surrogates = "".join(map(chr, range(SURROGATES.start, SURROGATES.stop)))
    head, tail = every[: SURROGATES.start].tobytes(), every[SURROGATES.stop :].tobytes()
    return head.decode("utf-32-le") + surrogates + tail.decode("utf-32-le")


def _case_flags(chunk: str) -> npt.NDArray[np.uint16]:
    """``PY_UPPER``, ``PY_LOWER`` and ``PY_BLOCK`` of each character of ``chunk``."""
    upper = np.fromiter(map(str.isupper, chunk), dtype=bool, count=len(chunk))
    lower = np.fromiter(map(str.islower, chunk), dtype=bool, count=len(chunk))
    title = np.fromiter(map(str.istitle, chunk), dtype=bool, count=len(chunk))  # title case or upper case
    blocks = lower | (title & ~upper)
    capitals = np.flatnonzero(upper)
    blocks[capitals] = [not (chunk[i] + "A").isupper() for i in capitals]
    flags: npt.NDArray[np.uint16] = (upper * PY_UPPER | lower * PY_LOWER | blocks * PY_BLOCK).astype(np.uint16)
    return flags


def _lower_case(text: str) -> npt.NDArray[np.uint32]:
    """``str.lower`` of each character of ``text`` (all code points), ``NO_LOWER`` where not one code point.

    A chunk that keeps its length lower-cases character by character: ``str.lower`` looks at the
    neighbours only for a capital sigma, which is set apart afterwards.
    """
    out = np.empty(len(text), dtype=np.uint32)
    for start in range(0, len(text), LOWER_CHUNK):
        chunk = text[start : start + LOWER_CHUNK]
        low = chunk.lower()
        if len(low) == len(chunk):
            out[start : start + len(chunk)] = code_points(low)
            continue
        for i, char in enumerate(chunk):
            mapped = char.lower()
            out[start + i] = ord(mapped) if len(mapped) == 1 else NO_LOWER
    out[CAPITAL_SIGMA] = NO_LOWER
    return out


def token_table(tokens: Sequence[str], values: Iterable[float] | None = None) -> TokenTable:
    """A :class:`~dedup.strip._kernels.TokenTable` of distinct ``tokens``, with ``values`` (default 1.0).

    A look-up (``_kernels._find``) hashes a string's code points to 64 bits and then compares the
    candidate's code points, so a collision of hashes (about ``tokens / 2**64`` a look-up) only costs
    that comparison; the table is at most a quarter full, so most strings that are no token find an
    empty slot at once. ``O(code points)``.

    >>> table = token_table(["the", "news"], [1.0, 2.0])
    >>> table.max_len, table.values.tolist(), int(np.count_nonzero(table.slots >= 0))
    (4, [1.0, 2.0], 2)
    """
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    weights = np.ones(len(tokens)) if values is None else np.fromiter(values, dtype=np.float64, count=len(tokens))
    slots = np.full(1 << (4 * len(tokens)).bit_length(), -1, dtype=np.int64)
    max_len = int(lengths.max(initial=0))
    table = TokenTable(slots, np.empty(len(tokens), np.uint64), offsets, code_points("".join(tokens)), weights, max_len)
    fill_token_table(table)
    return table
