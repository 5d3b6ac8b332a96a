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

__all__ = ["Pairs", "distinct", "narrowed", "nonzero_positions", "searched"]


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


_NONZERO_CHUNK = 1 << 22
"""Elements of a mask :func:`nonzero_positions` scans at a time."""


def nonzero_positions(mask: NDArray[np.bool_]) -> NDArray[np.signedinteger[Any]]:
    """``np.flatnonzero(mask)`` made straight as int32 where the positions fit (see :func:`narrowed`), a chunk at a
    time: no int64 array of them all, twice the size of the result, is ever held.

    >>> nonzero_positions(np.array([False, True, True, False, True])).tolist()
    [1, 2, 4]
    """
    if mask.size > 2**31:
        return np.flatnonzero(mask)
    out = np.empty(int(np.count_nonzero(mask)), dtype=np.int32)
    fill = 0
    for lo in range(0, mask.size, _NONZERO_CHUNK):
        found = np.flatnonzero(mask[lo : lo + _NONZERO_CHUNK])
        out[fill : fill + found.size] = found + lo
        fill += found.size
    return out


def searched(rows: NDArray[np.integer[Any]], values: NDArray[np.integer[Any]]) -> NDArray[np.intp]:
    """``np.searchsorted(rows, values)`` with ``values`` cast to the narrower dtype of ``rows`` where they fit.

    numpy searches in the common dtype: int64 values in int32 rows make it copy all of ``rows`` to int64 on
    every call, which on a window of a corpus's positions cost more than the search itself.

    >>> searched(np.array([2, 5, 9], dtype=np.int32), np.array([5, 6, 2**40])).tolist()
    [1, 2, 3]
    """
    if values.dtype != rows.dtype and values.size and np.can_cast(rows.dtype, values.dtype):
        info = np.iinfo(rows.dtype)
        if info.min <= int(values.min()) and int(values.max()) <= info.max:
            values = values.astype(rows.dtype)
    return np.searchsorted(rows, values)


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
