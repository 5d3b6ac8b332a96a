"""The prefix join: every pair of shingle sets where the smaller may be contained in the larger.

A set ``S`` of ``s`` shingles is contained (at ``containment``) only in sets that hold one of any
:func:`prefix_lengths` of its shingles; joining each set's rarest shingles (its *prefix*) with the sets
holding them finds every such pair at any size ratio, unlike LSH banding (:mod:`dedup.near.banding`),
which needs a high Jaccard similarity.

>>> prefix_lengths([10], 0.9).tolist()
[2]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dedup.hashing.shingle import ShingleSets
from dedup.near import _kernels
from dedup.near.banding import index_bits_for
from dedup.near.pairs import Pairs, distinct

__all__ = ["MAX_POSTINGS", "containment_pairs", "prefix_lengths"]

MAX_POSTINGS = 1 << 14
"""Shingles held by more sets than this are not joined on (see :func:`containment_pairs`)."""

_COUNT_TABLE_BITS = 24
"""At most ``2 ** _COUNT_TABLE_BITS`` one-byte shingle counters (16 MB)."""

_COUNT_STEP = 1
"""Shingles are counted in every ``_COUNT_STEP``-th set: enough to rank them from rare to common."""

_TOKEN_BITMAP_BITS = 28
"""At most ``2 ** _TOKEN_BITMAP_BITS`` bits (32 MB) mark the shingles of some prefix."""


def prefix_lengths(sizes: ArrayLike, containment: float) -> NDArray[np.int64]:
    """Shingles of a set of each size that a set containing it (at ``containment``) must hold one of.

    A set of ``s`` shingles is contained in ``L`` when ``L`` holds ``o = ceil(containment * s)`` of
    them, so ``L`` misses at most ``s - o``: any ``s - o + 1`` of them include one it holds.

    >>> prefix_lengths([10, 30, 100], 0.9).tolist()
    [2, 4, 11]
    """
    s = np.asarray(sizes, dtype=np.int64)
    overlap = np.ceil(containment * s - 1e-9).astype(np.int64)  # rounding down only lengthens the prefix
    return np.asarray(np.clip(s - overlap + 1, 1, np.maximum(s, 1)), dtype=np.int64)


def containment_pairs(
    sets: ShingleSets,
    rows: NDArray[np.int64],
    group: NDArray[np.int64],
    containment: float,
    *,
    max_postings: int = MAX_POSTINGS,
) -> Pairs:
    """Pairs of sets in different groups where the smaller may be contained in the larger: a prefix join.

    A set ``S`` of ``s`` shingles is contained (at ``containment``) only in sets that hold one of
    any :func:`prefix_lengths` of its shingles, whatever their size: this finds every such pair, at
    any size ratio, and is exact (no probability of a miss). The prefix is ``S``'s rarest shingles
    (by an approximate count of the sets holding each, one pass over ``hashes``), so few sets hold
    them. Every prefix shingle is joined with every set that holds it by one sort of 64-bit keys
    (shingle bits high, set low); only shingles held by at most ``max_postings`` sets are used, so
    a set whose prefix is all very common shingles may be missed. O(len(hashes) + sort of the
    prefix and holder entries + pairs).

    Args:
        sets: the shingle sets, each set's hashes distinct.
        rows: the sets to join (each as contained and as container).
        group: each set's group (by set number); pairs within a group are left out.
        containment: the least containment to find (0 < containment <= 1).
        max_postings: see above.

    Returns:
        ``(left, right)``: distinct pairs of set numbers, ``left < right``, sorted.

    >>> hashes = np.array([1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 1, 2, 9], dtype=np.uint64)
    >>> containment_pairs(ShingleSets(np.array([0, 3, 10, 13]), hashes), np.arange(3), np.arange(3), 0.9)
    Pairs(left=array([0]), right=array([1]))
    """
    rows = np.asarray(rows, dtype=np.int64)
    sizes = sets.sizes()[rows]
    index_bits = index_bits_for(rows.size)
    layout = _kernels.KeyLayout(max(8, index_bits + 1), 1 << index_bits)
    prefixes = _prefix_keys(sets, rows, np.minimum(prefix_lengths(sizes, containment), sizes), layout)
    keys = np.concatenate([prefixes, _holder_keys(sets, rows, prefixes, layout)])
    keys.sort()
    group = np.asarray(group, dtype=np.int64)[rows]
    pairs = Pairs.collect(lambda out: _kernels.token_pairs(keys, layout, sizes, group, max_postings, out))
    return Pairs.unpack(distinct(pairs.of(rows).pack()))


def _prefix_keys(
    sets: ShingleSets, rows: NDArray[np.int64], lengths: NDArray[np.int64], layout: _kernels.KeyLayout
) -> NDArray[np.uint64]:
    """Join keys of the ``lengths[i]`` rarest shingles of each set ``rows[i]``, less those no other set holds."""
    starts = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    table = np.zeros(_power_of_two(2 * sets.hashes.size // _COUNT_STEP, _COUNT_TABLE_BITS), dtype=np.uint8)
    _kernels.shingle_counts(sets, _COUNT_STEP, table)
    keys = np.empty(int(starts[-1]), dtype=np.uint64)
    _kernels.prefix_tokens(sets, rows, table, starts, layout, keys)
    kept: NDArray[np.uint64] = keys[keys != np.uint64(0xFFFFFFFFFFFFFFFF)]
    return kept


def _holder_keys(
    sets: ShingleSets, rows: NDArray[np.int64], prefixes: NDArray[np.uint64], layout: _kernels.KeyLayout
) -> NDArray[np.uint64]:
    """Join keys of the shingles of sets ``rows`` that may be in some prefix (a bitmap of prefix shingles)."""
    bitmap = np.zeros(_power_of_two(8 * prefixes.size, _TOKEN_BITMAP_BITS) // 64, dtype=np.uint64)
    _kernels.mark_tokens(prefixes, layout, bitmap)
    held = np.zeros(rows.size + 1, dtype=np.int64)
    _kernels.container_tokens(sets, rows, bitmap, layout, held, np.empty(0, np.uint64))
    np.cumsum(held, out=held)
    keys = np.empty(int(held[-1]), dtype=np.uint64)
    _kernels.container_tokens(sets, rows, bitmap, layout, held, keys)
    return keys


def _power_of_two(at_least: int, max_bits: int) -> int:
    """The smallest power of two at or above ``at_least`` (at least 1024), at most ``2 ** max_bits``.

    >>> _power_of_two(1000, 20), _power_of_two(5000, 20), _power_of_two(10**9, 20)
    (1024, 8192, 1048576)
    """
    return 1 << min(max_bits, max(10, (max(at_least, 1) - 1).bit_length()))
