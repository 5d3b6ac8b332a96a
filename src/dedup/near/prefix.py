"""The prefix join: every pair of shingle sets where the smaller may be contained in the larger.

A set ``S`` of ``s`` shingles is contained (at ``containment``) only in sets that hold one of any
:func:`prefix_lengths` of its shingles; joining each set's rarest shingles (its *prefix*) with the sets
holding them finds every such pair at any size ratio, unlike LSH banding (:mod:`dedup.near.banding`),
which needs a high Jaccard similarity.

>>> prefix_lengths([10], 0.9).tolist()
[2]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dedup._memory import release
from dedup.hashing.shingle import ShingleSets
from dedup.near import _kernels
from dedup.near.banding import index_bits_for
from dedup.near.pairs import Pairs, searched
from dedup.near.sets import MemorySets, SetSource
from dedup.near.sorting import MemoryKeys, Sorters, distinct_chunks, memory_sorters

__all__ = [
    "MAX_POSTINGS", "containment_pair_chunks", "containment_pairs", "count_shingles", "count_table", "holder_keys",
    "join_layout", "prefix_keys", "prefix_lengths", "prefix_sizes", "token_bitmap",
]  # fmt: skip

MAX_POSTINGS = 1 << 14
"""Shingles held by more sets than this are not joined on (see :func:`containment_pairs`)."""

_COUNT_TABLE_BITS = 24
"""At most ``2 ** _COUNT_TABLE_BITS`` one-byte shingle counters (16 MB)."""

_CHUNK = 1 << 20
"""Rows whose prefix lengths are computed at once (bounds the temporaries)."""

_TOKEN_BITMAP_BITS = 27
"""At most ``2 ** _TOKEN_BITMAP_BITS`` bits (16 MB) mark the shingles of some prefix. A fuller bitmap lets more
holder keys of shingles in no prefix through, which join nothing: the result is the same, the join's sort
a little longer (at 3 M records 28 bits took 32 MB where 1 M records took 16: part of what made the peak grow)."""


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
        rows: the sets to join (each as contained and as container), ascending.
        group: each set's group (by set number); pairs within a group are left out.
        containment: the least containment to find (0 < containment <= 1).
        max_postings: see above.

    Returns:
        ``(left, right)``: distinct pairs of set numbers, ``left < right``, sorted.

    >>> hashes = np.array([1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 1, 2, 9], dtype=np.uint64)
    >>> containment_pairs(ShingleSets(np.array([0, 3, 10, 13]), hashes), np.arange(3), np.arange(3), 0.9)
    Pairs(left=array([0]), right=array([1]))
    """
    found = MemoryKeys()
    chunks = containment_pair_chunks(MemorySets(sets), np.asarray(rows, dtype=np.int64), group, containment,
                                     memory_sorters, max_postings=max_postings)  # fmt: skip
    for pairs in chunks:
        found.add(pairs.pack())
    packed = next(distinct_chunks(found.chunks()), np.empty(0, dtype=np.uint64))
    return Pairs.unpack(packed)


def containment_pair_chunks(
    source: SetSource,
    rows: NDArray[np.integer[Any]],
    group: NDArray[np.integer[Any]],
    containment: float,
    sorters: Sorters,
    *,
    max_postings: int = MAX_POSTINGS,
) -> Iterator[Pairs]:
    """:func:`containment_pairs` over a :class:`SetSource`, part by part, the join keys sorted by a sorter of
    ``sorters`` (which may spill them to disk); pairs of positions come in chunks and may repeat.

    Three passes over the source: shingle counts, then each part's prefix keys (which also mark the
    bitmap of prefix shingles), then each part's holder keys. A key carries its set's number among
    ``rows`` in its low bits, so the sorted keys are the same whatever the parts.
    """
    sizes = source.sizes()  # by set number, not copied by row: a corpus has millions of rows
    layout = join_layout(rows.size)
    table = count_table(source.total)
    for _, part in source.parts():
        count_shingles(part, table)
    # Sized from the prefix lengths before unshared shingles are dropped: a larger bitmap only drops
    # more holder keys of shingles in no prefix, which join nothing.
    total = sum(int(prefix_sizes(sizes[rows[lo : lo + _CHUNK]], containment).sum())
                for lo in range(0, rows.size, _CHUNK))  # fmt: skip
    bitmap = token_bitmap(total)
    join = sorters()
    try:
        for local, index, part in _joined_parts(source, rows):
            lengths = prefix_sizes(sizes[rows[index]], containment)
            keys = _relabel(prefix_keys(part, local, lengths, table, layout), layout, index, rows.size)
            _kernels.mark_tokens(keys, layout, bitmap)
            join.add(keys)
        del table  # the counts served the prefixes only
        release()
        for local, index, part in _joined_parts(source, rows):
            join.add(_relabel(holder_keys(part, local, bitmap, layout), layout, index, rows.size))
        del bitmap  # the holder keys are in
        release()
        for chunk in join.chunks(group_shift=layout.shift):
            yield _token_pairs(chunk, layout, rows, sizes, np.asarray(group), max_postings).of(rows)
    finally:
        join.close()


def join_layout(rows: int) -> _kernels.KeyLayout:
    """The layout of the join keys of ``rows`` sets: the token above bit ``shift``, the holder bit, the set's number.

    >>> join_layout(1000)
    KeyLayout(shift=11, side=1024)
    """
    index_bits = index_bits_for(rows)
    return _kernels.KeyLayout(max(8, index_bits + 1), 1 << index_bits)


def count_table(total: int) -> NDArray[np.uint8]:
    """The empty table of approximate shingle counts for sets holding ``total`` hashes in all (at most 16 MB).

    >>> count_table(3000).size
    8192
    """
    return np.zeros(_power_of_two(2 * total, _COUNT_TABLE_BITS), dtype=np.uint8)


def token_bitmap(prefixes: int) -> NDArray[np.uint64]:
    """The empty bitmap of prefix tokens for about ``prefixes`` prefix entries (8 bits each, 16 MB at most).

    >>> token_bitmap(1000).size
    128
    """
    return np.zeros(_power_of_two(8 * prefixes, _TOKEN_BITMAP_BITS) // 64, dtype=np.uint64)


def count_shingles(sets: ShingleSets, table: NDArray[np.uint8]) -> None:
    """Add the shingles of ``sets`` to ``table``'s counts (saturating at 255: counts of parts add up, capped)."""
    _kernels.shingle_counts(sets, 1, table)


def prefix_sizes(sizes: NDArray[np.integer[Any]], containment: float) -> NDArray[np.int64]:
    """Each set's prefix length, at most its size."""
    return np.minimum(prefix_lengths(sizes, containment), np.asarray(sizes, dtype=np.int64))


def _token_pairs(
    keys: NDArray[np.uint64],
    layout: _kernels.KeyLayout,
    rows: NDArray[np.integer[Any]],
    sizes: NDArray[np.integer[Any]],
    group: NDArray[np.integer[Any]],
    max_postings: int,
) -> Pairs:
    """The pairs of rows that a sorted chunk of join keys (whole tokens only) joins; ``sizes`` and ``group`` by
    set number."""
    return Pairs.collect(lambda out: _kernels.token_pairs(keys, layout, rows, sizes, group, max_postings, out))


def _joined_parts(
    source: SetSource, rows: NDArray[np.integer[Any]]
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64], ShingleSets]]:
    """Each part's sets that are among ``rows``: ``(their numbers in the part, their numbers among rows, part)``."""
    for positions, part in source.parts():
        at = searched(rows, positions)
        hit = at < rows.size
        hit[hit] = rows[at[hit]] == positions[hit]
        if hit.any():
            yield np.flatnonzero(hit), at[hit], part


def _relabel(
    keys: NDArray[np.uint64], layout: _kernels.KeyLayout, index: NDArray[np.int64], rows: int
) -> NDArray[np.uint64]:
    """Keys whose low bits number a set within its part, renumbered as ``index`` says (the side bit stays).

    >>> _relabel(np.array([0x101, 0x100], dtype=np.uint64), _kernels.KeyLayout(8, 4), np.array([2, 3]), 5).tolist()
    [259, 258]
    """
    if index.size == rows and bool(np.all(index[1:] > index[:-1])):  # every row, in order: numbers already right
        return keys
    low = np.uint64(layout.side - 1)
    local = (keys & low).astype(np.int64)
    return np.asarray((keys & ~low) | index[local].astype(np.uint64), dtype=np.uint64)


def prefix_keys(
    sets: ShingleSets,
    rows: NDArray[np.int64],
    lengths: NDArray[np.int64],
    table: NDArray[np.uint8],
    layout: _kernels.KeyLayout,
) -> NDArray[np.uint64]:
    """Join keys of the ``lengths[i]`` rarest shingles of each set ``rows[i]``, less those no other set holds."""
    starts = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    keys = np.empty(int(starts[-1]), dtype=np.uint64)
    _kernels.prefix_tokens(sets, rows, table, starts, layout, keys)
    kept: NDArray[np.uint64] = keys[keys != np.uint64(0xFFFFFFFFFFFFFFFF)]
    return kept


def holder_keys(
    sets: ShingleSets, rows: NDArray[np.int64], bitmap: NDArray[np.uint64], layout: _kernels.KeyLayout
) -> NDArray[np.uint64]:
    """Join keys of the shingles of sets ``rows`` that may be in some prefix (a bitmap of prefix shingles)."""
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
