"""Numba kernels of the near-duplicate finder: band keys, bucket pairs, the containment screen and join, union-find.

Everything here takes and returns numpy arrays, bundled in named tuples where they travel together
(:class:`dedup.near.pairs.Pairs`, :class:`dedup.hashing.shingle.ShingleSets`, and the tuples below);
Python never loops per paragraph or per pair. The wrappers live in :mod:`dedup.near.banding`,
:mod:`dedup.near.screen`, :mod:`dedup.near.prefix` and :mod:`dedup.near.match`, which document the
method; this module documents each kernel's complexity. All kernels are compiled with ``cache=True``.
This is the subpackage's only kernel module, and it calls no kernel of another file (numba's cache
keys a kernel on its own file only, numba issue 1833).

Two-pass kernels (their output size is known only after a pass) follow one convention: outputs come
last; called with empty outputs they only count (and return the count, or write per-row counts), then
they are called again with outputs of the counted size to fill them.

Integer discipline: as in the hashing core, 64-bit hashing is done in ``uint64`` with ``uint64``
constants only (numba promotes mixed signed/unsigned 64-bit arithmetic to float64).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from dedup._jit import jit

U64 = np.uint64
BAND_SEED = np.uint64(0x243F6A8885A308D3)
BAND_MULT = np.uint64(0x9FB21C651E98DF25)


class Groups(NamedTuple):
    """Rows in groups: group ``g`` is ``rows[starts[g]:starts[g + 1]]``."""

    rows: np.ndarray
    starts: np.ndarray


class Wanted(NamedTuple):
    """The pairs the containment screen keeps (see :class:`dedup.config.DedupConfig`): near-duplicates at
    Jaccard ``threshold``, and sets of at least ``min_contained`` shingles contained at ``containment``."""

    threshold: float
    containment: float
    min_contained: int


class KeyLayout(NamedTuple):
    """A prefix-join key: a shingle's mixed hash above bit ``shift``, the ``side`` bit set for a holder
    entry (clear for a prefix entry), the set's position below ``side``."""

    shift: int
    side: int


@jit(inline="always")
def mix64(h: np.uint64) -> np.uint64:
    """A 64-bit avalanche finaliser (xor-shift by 32, multiply; twice), so nearby band values land far apart.

    Why two 64-bit finalisers in dedup: :func:`dedup.hashing._kernels.fmix64` (MurmurHash3's) finishes
    token and shingle hashes and is part of the documented hashing scheme; this one was chosen on its
    own for band keys and for the prefix join, which re-mix values that ``fmix64`` already finished.
    Either would serve both jobs, but swapping them changes output (signatures, or which pairs become
    candidates and in which order the join ranks shingles), so each stays where it is. It is defined
    here, not imported, so that this file's cached kernels depend on this file only.
    """
    h ^= h >> U64(32)
    h *= U64(0xD6E8FEB86659FD93)
    h ^= h >> U64(32)
    h *= U64(0xD6E8FEB86659FD93)
    h ^= h >> U64(32)
    return h


@jit(parallel=True)
def band_hashes(sigs: np.ndarray, rows: np.ndarray, width: int, out: np.ndarray) -> None:
    """Hash band ``b`` of signature ``rows[i]`` into ``out[b, i]``.

    Band ``b`` is ``sigs[rows[i], b * width:(b + 1) * width]``. A band key is this hash with a row's
    position in its low bits (:func:`dedup.near.banding.keyed`): two rows share a key's high bits when
    their bands are equal (or, with probability ``2 ** (index_bits - 64)``, by chance). Hashes stored now
    can be keyed later, once positions are known. O(n * bands * width).
    """
    for i in prange(rows.size):
        sig = sigs[rows[i]]
        for b in range(out.shape[0]):
            h = BAND_SEED ^ U64(b)
            for k in range(b * width, (b + 1) * width):
                h = (h ^ U64(sig[k])) * BAND_MULT
            out[b, i] = mix64(h)


@jit()
def bucket_pairs(keys: np.ndarray, index_bits: int, max_full: int, pairs: tuple[np.ndarray, np.ndarray]) -> int:
    """Candidate pairs of one sorted band: every pair of a bucket of at most ``max_full`` rows, else a star.

    A larger bucket (usually many exact copies) pairs each member with its smallest row only, which
    keeps the output linear; union-find still joins the whole bucket. Rows within a bucket are sorted
    ascending because they sit in the keys' low bits. Two-pass: counts the pairs, and writes them into
    ``pairs`` (a :class:`~dedup.near.pairs.Pairs`) unless it is empty. O(len(keys) + pairs).
    """
    left, right = pairs
    fill = left.size > 0
    low = (U64(1) << U64(index_bits)) - U64(1)
    out = 0
    start = 0
    n = keys.size
    for i in range(1, n + 1):
        if i == n or (keys[i] >> U64(index_bits)) != (keys[start] >> U64(index_bits)):
            full = i - start <= max_full
            for a in range(start, i if full else start + 1):
                for b in range(a + 1, i):
                    if fill:
                        left[out] = np.int64(keys[a] & low)
                        right[out] = np.int64(keys[b] & low)
                    out += 1
            start = i
    return out


@jit(inline="always")
def _violation_rate(small: int, large: int, wanted: Wanted) -> float:
    """The largest chance that an entry violates ``min h(large) <= min h(small)`` for a wanted pair.

    A near-duplicate pair (Jaccard ``J >= threshold``) has rate ``(1 + J) s / (s + l) - J``, largest at
    ``J = threshold`` and possible only when ``s >= threshold * l``; a contained pair (containment
    ``C >= containment``, ``s >= min_contained``) has ``(1 - C) s / (l + (1 - C) s)``. -1.0: neither is possible.
    """
    threshold, containment, min_contained = wanted
    rate = -1.0
    if small >= threshold * large:
        rate = max(rate, (1.0 + threshold) * small / (small + large) - threshold)
    if small >= min_contained:
        rate = max(rate, (1.0 - containment) * small / (large + (1.0 - containment) * small))
    return rate


@jit(inline="always")
def _within_bound(sa: np.ndarray, sb: np.ndarray, size_a: int, size_b: int, bound: int) -> bool:
    """Whether the larger set's signature exceeds the smaller's in at most ``bound`` entries.

    For equal sizes either direction will do. Stops as soon as the answer is known, which for an
    unrelated pair is after a few times ``bound`` entries. O(len(sa)).
    """
    above = 0  # entries where b's minimum is larger: violations of "a inside b"
    below = 0
    check_above = size_a <= size_b
    check_below = size_b <= size_a
    for k in range(sa.size):
        if sb[k] > sa[k]:
            above += 1
        elif sa[k] > sb[k]:
            below += 1
        if (not check_above or above > bound) and (not check_below or below > bound):
            return False
    return (check_above and above <= bound) or (check_below and below <= bound)


@jit(parallel=True)
def containment_screen(
    sigs: np.ndarray, sizes: np.ndarray, groups: Groups, bounds: np.ndarray, wanted: Wanted, flags: np.ndarray
) -> None:
    """Flag the pairs of rows within each group whose signatures allow a near-duplicate or a containment.

    Group ``g``'s pairs ``(a, b)``, ``a < b``, in row-major order, own ``flags[base[g]:...]`` where
    ``base`` is the running sum of ``k * (k - 1) / 2``. ``sizes[r]`` is row ``r``'s number of shingles.
    If ``S`` is a subset of ``L`` then ``min h(L) <= min h(S)`` for every permutation ``h``; a
    *violation* is an entry where the larger set's minimum is larger (either direction for equal
    sizes). A pair is flagged when its violations are at most ``bounds[ceil(rate * (len(bounds) - 1))]``
    for its :func:`_violation_rate`. O(sum k^2 * num_perm).
    """
    rows, starts = groups
    count = starts.size - 1
    grid = bounds.size - 1
    base = np.zeros(count + 1, dtype=np.int64)
    for g in range(count):
        k = starts[g + 1] - starts[g]
        base[g + 1] = base[g] + k * (k - 1) // 2
    for g in prange(count):
        lo, hi = starts[g], starts[g + 1]
        out = base[g]
        for a in range(lo, hi):
            sa = sigs[rows[a]]
            size_a = sizes[rows[a]]
            for b in range(a + 1, hi):
                size_b = sizes[rows[b]]
                rate = _violation_rate(min(size_a, size_b), max(size_a, size_b), wanted)
                flags[out] = False
                if rate >= 0.0:
                    flags[out] = _within_bound(
                        sa, sigs[rows[b]], size_a, size_b, bounds[min(grid, int(np.ceil(rate * grid)))]
                    )
                out += 1


@jit()
def flagged_pairs(groups: Groups, flags: np.ndarray, pairs: tuple[np.ndarray, np.ndarray]) -> int:
    """The pairs :func:`containment_screen` flagged, as rows. Two-pass: counts them, and writes them into
    ``pairs`` unless it is empty. O(len(flags))."""
    rows, starts = groups
    left, right = pairs
    fill = left.size > 0
    out = 0
    pos = 0
    for g in range(starts.size - 1):
        lo, hi = starts[g], starts[g + 1]
        for a in range(lo, hi):
            for b in range(a + 1, hi):
                if flags[pos]:
                    if fill:
                        left[out] = rows[a]
                        right[out] = rows[b]
                    out += 1
                pos += 1
    return out


@jit()
def _find_root(parent: np.ndarray, i: int) -> int:
    """Root of ``i``, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@jit()
def components(n: int, edges: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Connected components of the graph on ``n`` nodes with ``edges`` (a :class:`~dedup.near.pairs.Pairs`).

    Returns each node's label: the smallest node of its component (so labels do not depend on the
    order of the edges). Union-find with path halving, the smaller root winning. O(n + E * alpha(n)).
    """
    left, right = edges
    parent = np.arange(n)
    for e in range(left.size):
        a = _find_root(parent, left[e])
        b = _find_root(parent, right[e])
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b
    for i in range(n):
        parent[i] = _find_root(parent, i)
    return parent


@jit()
def shingle_counts(sets: tuple[np.ndarray, np.ndarray], step: int, table: np.ndarray) -> None:
    """Count the shingles of every ``step``-th set into ``table[mix64(h) % len(table)]``, saturating at 255.

    ``sets`` is a :class:`~dedup.hashing.shingle.ShingleSets`; ``len(table)`` is a power of two. Distinct
    hashes sharing a slot add up; the counts only rank shingles from rare to common. Sequential, so
    deterministic. O(len(hashes) / step).
    """
    offsets, hashes = sets
    mask = U64(table.size - 1)
    for r in range(0, offsets.size - 1, step):
        for i in range(offsets[r], offsets[r + 1]):
            slot = mix64(hashes[i]) & mask
            if table[slot] < 255:
                table[slot] += 1


@jit(parallel=True)
def prefix_tokens(
    sets: tuple[np.ndarray, np.ndarray],
    rows: np.ndarray,
    table: np.ndarray,
    starts: np.ndarray,
    layout: KeyLayout,
    out: np.ndarray,
) -> None:
    """The ``p = starts[i + 1] - starts[i]`` rarest shingles of set ``rows[i]`` (by ``table`` count, then
    mixed hash) as keys, into ``out[starts[i]:starts[i + 1]]``.

    A key is the mixed hash's bits above ``layout.shift`` (at least 8), ``i`` below; all ones for a
    shingle counted once (no other set holds it). Each set keeps its ``p`` smallest keys in a sorted
    buffer: O(sum of set sizes + insertions * p), insertions being about ``p log(size / p)``.
    """
    offsets, hashes = sets
    shift = layout.shift
    mask = U64(table.size - 1)
    chunk = 1024
    for c in prange((rows.size + chunk - 1) // chunk):
        for i in range(c * chunk, min(rows.size, (c + 1) * chunk)):
            p = starts[i + 1] - starts[i]
            buf = out[starts[i] : starts[i] + p]
            filled = 0
            for k in range(offsets[rows[i]], offsets[rows[i] + 1]):
                m = mix64(hashes[k])
                key = (U64(table[m & mask]) << U64(56)) | (m >> U64(8))
                if filled == p and key >= buf[p - 1]:
                    continue
                at = filled if filled < p else p - 1
                while at > 0 and buf[at - 1] > key:
                    buf[at] = buf[at - 1]
                    at -= 1
                buf[at] = key
                filled = min(p, filled + 1)
            for k in range(p):
                if buf[k] >> U64(56) <= U64(1):  # counted once: this set's own, no other holds it
                    buf[k] = ~U64(0)
                    continue
                m = buf[k] << U64(8)  # the mixed hash less its low 8 bits (the count shifts out)
                buf[k] = ((m >> U64(shift)) << U64(shift)) | U64(i)


@jit()
def mark_tokens(keys: np.ndarray, layout: KeyLayout, bitmap: np.ndarray) -> None:
    """Set bit ``(key >> layout.shift) % (64 * len(bitmap))`` of ``bitmap`` for each key. O(len(keys))."""
    mask = U64(bitmap.size * 64 - 1)
    for i in range(keys.size):
        bit = (keys[i] >> U64(layout.shift)) & mask
        bitmap[bit >> U64(6)] |= U64(1) << (bit & U64(63))


@jit(parallel=True)
def container_tokens(
    sets: tuple[np.ndarray, np.ndarray],
    rows: np.ndarray,
    bitmap: np.ndarray,
    layout: KeyLayout,
    starts: np.ndarray,
    out: np.ndarray,
) -> None:
    """The shingles of sets ``rows`` whose token's bit is set in ``bitmap``, as holder keys (``side | i`` low).

    Two-pass: with an empty ``out``, counts them per set into ``starts[i + 1]``; otherwise writes set
    ``i``'s from ``out[starts[i]]``. O(sum of set sizes).
    """
    offsets, hashes = sets
    shift, side = layout
    mask = U64(bitmap.size * 64 - 1)
    fill = out.size > 0
    for i in prange(rows.size):
        pos = starts[i] if fill else 0
        for k in range(offsets[rows[i]], offsets[rows[i] + 1]):
            t = (mix64(hashes[k]) >> U64(8)) << U64(8)
            bit = (t >> U64(shift)) & mask
            if bitmap[bit >> U64(6)] & (U64(1) << (bit & U64(63))):
                if fill:
                    out[pos] = ((t >> U64(shift)) << U64(shift)) | U64(side) | U64(i)
                pos += 1
        if not fill:
            starts[i + 1] = pos


@jit()
def token_pairs(
    keys: np.ndarray,
    layout: KeyLayout,
    rows: np.ndarray,
    sizes: np.ndarray,
    group: np.ndarray,
    max_postings: int,
    pairs: tuple[np.ndarray, np.ndarray],
) -> int:
    """Pairs ``(i, j)`` of a sorted join: ``i`` has the token in its prefix, ``j`` holds it.

    Keys sharing the bits above ``layout.shift`` form a token's group; prefix entries (``side`` bit
    clear) sort before holders; a key's low bits number a set among ``rows`` (``sizes`` and ``group``
    are by set number: row ``i`` is set ``rows[i]``). A pair is kept when ``i != j``, their sets are in
    different groups and ``j``'s is at least as large; tokens with more than ``max_postings`` holders are
    skipped. Two-pass: counts the pairs, and writes them into ``pairs`` unless it is empty.
    O(len(keys) + pairs).
    """
    shift, side = layout
    left, right = pairs
    index = U64(side - 1)
    fill = left.size > 0
    out = 0
    start = 0
    n = keys.size
    for e in range(1, n + 1):
        if e == n or (keys[e] >> U64(shift)) != (keys[start] >> U64(shift)):
            split = start
            while split < e and (keys[split] & U64(side)) == U64(0):
                split += 1
            if split > start and e - split <= max_postings:
                for x in range(start, split):
                    a = np.int64(keys[x] & index)
                    ra = rows[a]
                    for y in range(split, e):
                        b = np.int64(keys[y] & index)
                        rb = rows[b]
                        if a != b and group[ra] != group[rb] and sizes[rb] >= sizes[ra]:
                            if fill:
                                left[out] = a
                                right[out] = b
                            out += 1
            start = e
    return out
