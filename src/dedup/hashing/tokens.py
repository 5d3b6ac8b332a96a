"""Word tokens: what counts as a word, and how it is case-folded.

A *token* is a maximal run of Unicode letters, digits and combining marks (categories ``L*``, ``N*``,
``M*``), case-folded with :meth:`str.casefold`. Everything else separates tokens, so punctuation and
quote styles do not matter. Format characters (category ``Cf``: soft hyphen, zero-width joiners, BOM)
are ignored inside a word, except the zero-width space, which separates.

Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar, by Unicode
script extensions, so the kana length mark counts) would otherwise make a whole phrase one token. With
``unsegmented="chars"`` (the default) each of their characters, with its combining marks, is a token of
its own, so word n-grams over such text are character n-grams; ``unsegmented="runs"`` treats them like
any other letter.

The classification is read from a table shipped with the package (``data/unicode_tokens.npz``), built
from this Python's :mod:`unicodedata` by ``scripts/build_unicode_table.py``. Shipping it keeps start-up fast and
keeps signatures stable across Python upgrades (a persisted LSH index stays valid).

>>> tokenize("“Don’t” STRASSE, straße — Ёлка!")
['don', 't', 'strasse', 'strasse', 'ёлка']
>>> tokenize("Tiếng Việt có dấu")
['tiếng', 'việt', 'có', 'dấu']
>>> tokenize("東京タワー is 333m")
['東', '京', 'タ', 'ワ', 'ー', 'is', '333m']
>>> tokenize("東京タワー", unsegmented="runs")
['東京タワー']
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
import regex
from numpy.typing import NDArray

from dedup._check import check_type
from dedup._resources import open_binary
from dedup.config import Unsegmented, check_choice
from dedup.hashing._kernels import (
    CLASS_IGNORABLE,
    CLASS_MARK,
    CLASS_SEPARATOR,
    CLASS_UNSEGMENTED,
    CLASS_WORD,
    MULTI_FOLD,
)

# The table format is defined in the kernel module, which reads it: ``CLASS_*`` are the character
# classes stored in the low 3 bits of an entry, ``MULTI_FOLD`` the flag of an entry whose character
# folds to several characters (listed in ``expansions``).

BLOCK_SHIFT = 7
"""log2 of the block size of the two-stage table."""

MAX_FOLD = 3
"""The longest full case folding of one character, in characters (e.g. 'ΐ')."""

_UNSEGMENTED_SCRIPT = regex.compile(
    r"[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}]"
)
_ZERO_WIDTH_SPACE = 0x200B

_TABLE_RESOURCE = "unicode_tokens.npz"


@dataclass(frozen=True, slots=True, eq=False)
class TokenTable:
    """Per-code-point token classes and case foldings, as a two-stage lookup table.

    The entry of code point ``cp`` is ``blocks[index[cp >> BLOCK_SHIFT] * 128 + (cp & 127)]``: its class
    in the low 3 bits; then either the fold as a signed offset ``entry >> 8`` (``fold = cp + offset``), or,
    with the :data:`MULTI_FOLD` bit set, ``entry >> 8`` is a row of ``expansions`` (zero-padded).

    Attributes:
        index: block number of each 128-code-point block, shape ``(0x110000 >> 7,)``.
        blocks: the distinct blocks, concatenated.
        expansions: multi-character foldings, shape ``(k, 3)``.
        unicode_version: the :mod:`unicodedata` version the table was built from.
    """

    index: NDArray[np.int32]
    blocks: NDArray[np.int32]
    expansions: NDArray[np.int32]
    unicode_version: str

    def entry(self, cp: int) -> int:
        """The table entry of code point ``cp``.

        >>> t = unicode_table()
        >>> t.entry(ord("a")) & 7 == CLASS_WORD, t.entry(ord("A")) >> 8
        (True, 32)
        """
        block = int(self.index[cp >> BLOCK_SHIFT])
        return int(self.blocks[(block << BLOCK_SHIFT) | (cp & ((1 << BLOCK_SHIFT) - 1))])

    def fold(self, cp: int) -> list[int]:
        """The case folding of code point ``cp`` as code points.

        >>> [chr(c) for c in unicode_table().fold(ord("ß"))]
        ['s', 's']
        """
        e = self.entry(cp)
        if e & MULTI_FOLD:
            return [int(c) for c in self.expansions[e >> 8] if c]
        return [cp + (e >> 8)]


def char_class(ch: str) -> int:
    """The token class of one character, from :mod:`unicodedata` (used to build the table).

    >>> [char_class(c) for c in "a1\u0301東\u00ad ,"]
    [1, 1, 2, 3, 4, 0, 0]
    """
    cat = unicodedata.category(ch)
    if cat[0] in "LN":
        return CLASS_UNSEGMENTED if _UNSEGMENTED_SCRIPT.match(ch) else CLASS_WORD
    if cat[0] == "M":
        return CLASS_MARK
    if cat == "Cf" and ord(ch) != _ZERO_WIDTH_SPACE:
        return CLASS_IGNORABLE
    return CLASS_SEPARATOR


@functools.cache
def unicode_table() -> TokenTable:
    """The shipped table, loaded once (read-only arrays).

    >>> unicode_table().unicode_version
    '14.0.0'
    """
    with open_binary(_TABLE_RESOURCE) as f, np.load(f) as npz:
        arrays = [np.ascontiguousarray(npz[k], dtype=np.int32) for k in ("index", "blocks", "expansions")]
        version = str(npz["unicode_version"])
    for a in arrays:
        a.flags.writeable = False
    return TokenTable(arrays[0], arrays[1], arrays[2], version)


def _check_unsegmented(value: object) -> None:
    """Raise ArgumentValueError unless ``value`` is ``"chars"`` or ``"runs"``."""
    check_choice("tokenize: unsegmented", value, ("chars", "runs"))


def tokenize(text: str, *, unsegmented: Unsegmented = "chars") -> list[str]:
    """Split ``text`` into case-folded word tokens, as the hashing kernels do (plain Python, for humans).

    The kernels never call this; it is here to show and test what they hash.

    >>> tokenize("Ｆｕｌｌ-width and in\u00adformation")
    ['ｆｕｌｌ', 'width', 'and', 'information']
    """
    check_type("tokenize", "text", text, str)
    _check_unsegmented(unsegmented)
    table = unicode_table()
    tokens: list[str] = []
    current: list[int] = []
    state = 0  # 0: outside a token, 1: in a word, 2: in a one-character token (marks may follow)
    for ch in text:
        cp = ord(ch)
        cls = table.entry(cp) & 7
        if cls == CLASS_UNSEGMENTED and unsegmented == "runs":
            cls = CLASS_WORD
        if cls == CLASS_IGNORABLE:
            continue
        if cls in (CLASS_SEPARATOR, CLASS_UNSEGMENTED) or (cls == CLASS_WORD and state == 2):
            if current:
                tokens.append("".join(map(chr, current)))
            current, state = [], 0
        if cls == CLASS_SEPARATOR:
            continue
        current.extend(table.fold(cp))
        state = 2 if cls == CLASS_UNSEGMENTED else (state or 1)
    if current:
        tokens.append("".join(map(chr, current)))
    return tokens
