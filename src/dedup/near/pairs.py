"""Pairs of rows (paragraphs, signature rows, sets) as two index arrays, the way the finder passes them.

A named tuple, so kernels take it as one argument and ``left, right = pairs`` works.

>>> pairs = Pairs(np.array([5, 1]), np.array([2, 3]))
>>> Pairs.unpack(pairs.pack())
Pairs(left=array([2, 1]), right=array([5, 3]))
>>> Pairs.collect(lambda out: out.left.size or 3)
Pairs(left=array([0, 0, 0]), right=array([0, 0, 0]))
>>> distinct(np.array([7, 3, 7, 1], dtype=np.uint64)).tolist()
[1, 3, 7]
>>> narrowed(np.array([0, 5])).dtype.name
'int32'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = ["Pairs", "distinct", "narrowed"]


class Pairs(NamedTuple):
    """Pair ``p`` is ``(left[p], right[p])``."""

    left: NDArray[np.int64]
    right: NDArray[np.int64]

    @classmethod
    def empty(cls, count: int = 0) -> Pairs:
        """Room for ``count`` pairs (unset values); with 0, the empty outputs a two-pass kernel counts with."""
        return cls(np.zeros(count, dtype=np.int64), np.zeros(count, dtype=np.int64))

    @classmethod
    def collect(cls, kernel: Callable[[Pairs], int]) -> Pairs:
        """Run a two-pass kernel (see :mod:`dedup.near._kernels`): count with empty pairs, then fill room for
        that many."""
        pairs = cls.empty(kernel(cls.empty()))
        kernel(pairs)
        return pairs

    def pack(self) -> NDArray[np.uint64]:
        """The pairs as one uint64 each, smaller number in the high half (so sorting sorts pairs)."""
        lo = np.minimum(self.left, self.right).astype(np.uint64)
        hi = np.maximum(self.left, self.right).astype(np.uint64)
        return np.asarray((lo << np.uint64(32)) | hi, dtype=np.uint64)

    @classmethod
    def unpack(cls, packed: NDArray[np.uint64]) -> Pairs:
        """Inverse of :meth:`pack` (pairs come back in the order given, smaller number left)."""
        left = (packed >> np.uint64(32)).astype(np.int64)
        right = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
        return cls(left, right)

    def of(self, rows: NDArray[np.integer[Any]]) -> Pairs:
        """The pairs with each number ``i`` replaced by ``rows[i]`` (as int64, whatever ``rows`` holds)."""
        return Pairs(rows[self.left].astype(np.int64), rows[self.right].astype(np.int64))


def narrowed(positions: NDArray[np.integer[Any]]) -> NDArray[np.signedinteger[Any]]:
    """Positions (of paragraphs, at least 0) as int32 when all of them fit, else as int64: a corpus's
    per-paragraph arrays take 4 bytes a paragraph instead of 8 (pairs pack positions into 32 bits anyway)."""
    fits = positions.size == 0 or int(positions.max()) < 2**31
    return np.asarray(positions, dtype=np.int32 if fits else np.int64)


def distinct(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The distinct values, sorted: ``np.unique(values)`` by sorting a copy.

    numpy 2.3 and later find the distinct values of an integer array with a hash table before sorting
    them, which on the finder's millions of packed pairs takes 17 times as long as a sort.
    """
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
