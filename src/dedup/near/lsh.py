"""LSH banding over MinHash signatures: choose bands for a threshold, and find candidate pairs.

A signature of ``num_perm`` values is cut into ``bands`` bands of ``rows`` values each. Two texts whose
sets have Jaccard similarity ``s`` agree on one signature entry with probability ``s``, on a whole
band with probability ``s ** rows``, and become a *candidate pair* when at least one band agrees:

    P(s) = 1 - (1 - s ** rows) ** bands

:func:`choose_banding` picks ``(bands, rows)`` with ``bands * rows <= num_perm`` that minimises the
weighted sum of the *false-positive area* (the integral of ``P`` from 0 to the threshold: pairs below
it that still become candidates) and the *false-negative area* (the integral of ``1 - P`` from the
threshold to 1: pairs above it that are missed). This is the trade-off datasketch's ``MinHashLSH``
makes; the integrals here use Gauss-Legendre quadrature, vectorised over every ``(bands, rows)``.

:func:`candidate_pairs` hashes every band of every signature to a 64-bit key, sorts the keys of each
band (numpy), and emits the pairs of rows that share a key (numba): no Python loop per row or pair.

Two searches find what banding misses, a short text inside a much longer one (low Jaccard
similarity): :func:`screen_pairs` checks every pair within a group (a document) on their
signatures, and :func:`containment_pairs` joins each set's rarest shingles with the sets holding
them, which finds every contained pair at any size ratio.

>>> banding = choose_banding(0.8, 128)
>>> banding
Banding(bands=9, rows=13)
>>> round(float(banding.probability(0.9)), 3), round(float(banding.probability(0.5)), 4)
(0.929, 0.0011)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dedup.errors import ArgumentValueError
from dedup.near import _kernels as _match_kernels

QUADRATURE_NODES = 128
"""Gauss-Legendre nodes per integral: exact to ~1e-6 for the S-curves of up to a few hundred rows."""

MAX_FULL_BUCKET = 32
"""Buckets of at most this many rows emit all their pairs; larger ones (usually exact copies) a star."""

COMBOS_PER_CHUNK = 4096
"""``(bands, rows)`` combinations evaluated at once by :func:`choose_banding` (bounds its memory)."""


@dataclass(frozen=True, slots=True)
class Banding:
    """How a signature is cut for LSH: ``bands`` bands of ``rows`` consecutive values.

    >>> Banding(0, 4)
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentValueError: Banding.bands must be a positive int, not 0
    """

    bands: int
    rows: int

    def __post_init__(self) -> None:
        for name in ("bands", "rows"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ArgumentValueError(f"Banding.{name} must be a positive int, not {value!r}")

    @property
    def width(self) -> int:
        """Signature values used: ``bands * rows``."""
        return self.bands * self.rows

    def probability(self, similarity: ArrayLike) -> NDArray[np.float64]:
        """Probability that a pair with this Jaccard ``similarity`` becomes a candidate."""
        return candidate_probability(similarity, self.bands, self.rows)


def candidate_probability(similarity: ArrayLike, bands: ArrayLike, rows: ArrayLike) -> NDArray[np.float64]:
    """``1 - (1 - s ** rows) ** bands``, broadcast over its arguments.

    >>> candidate_probability([0.0, 0.5, 1.0], 2, 1).tolist()
    [0.0, 0.75, 1.0]
    """
    s = np.asarray(similarity, dtype=np.float64)
    b = np.asarray(bands, dtype=np.float64)
    r = np.asarray(rows, dtype=np.float64)
    return np.asarray(1.0 - (1.0 - s**r) ** b, dtype=np.float64)


def error_areas(threshold: float, bands: ArrayLike, rows: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """False-positive and false-negative areas of banding(s) ``(bands, rows)`` at ``threshold``.

    Returns:
        ``(fp, fn)``: the integral of ``P(s)`` over ``[0, threshold]`` and of ``1 - P(s)`` over
        ``[threshold, 1]``, shaped as ``bands`` and ``rows`` broadcast together.

    >>> fp, fn = error_areas(0.5, 1, 1)
    >>> round(float(fp), 6), round(float(fn), 6)
    (0.125, 0.125)
    """
    check_threshold("threshold", threshold)
    nodes, weights = np.polynomial.legendre.leggauss(QUADRATURE_NODES)
    b = np.asarray(bands, dtype=np.float64)[..., None]
    r = np.asarray(rows, dtype=np.float64)[..., None]
    below = threshold * (nodes + 1.0) / 2.0
    above = threshold + (1.0 - threshold) * (nodes + 1.0) / 2.0
    fp = (candidate_probability(below, b, r) @ weights) * threshold / 2.0
    fn = ((1.0 - candidate_probability(above, b, r)) @ weights) * (1.0 - threshold) / 2.0
    return np.asarray(fp, dtype=np.float64), np.asarray(fn, dtype=np.float64)


def check_threshold(name: str, value: float) -> None:
    """ValueError naming ``name`` unless ``0 < value < 1``."""
    if not 0.0 < value < 1.0:
        raise ArgumentValueError(f"{name} must be strictly between 0 and 1, not {value!r}")


def choose_banding(threshold: float, num_perm: int, *, fn_weight: float = 0.5) -> Banding:
    """The banding of at most ``num_perm`` values that best separates pairs at a Jaccard ``threshold``.

    Minimises ``(1 - fn_weight) * fp + fn_weight * fn`` (see :func:`error_areas`) over every
    ``bands * rows <= num_perm``; ties go to fewer values used, then fewer bands.

    Args:
        threshold: the Jaccard similarity the index should find (0 < threshold < 1).
        num_perm: the signature length.
        fn_weight: weight of false negatives in ``(0, 1)``; higher favours recall over fewer candidates.

    Raises:
        ValueError: a bad ``threshold``, ``num_perm`` or ``fn_weight``.

    >>> choose_banding(0.5, 128)
    Banding(bands=25, rows=5)
    >>> choose_banding(0.5, 128, fn_weight=0.9).bands > 25
    True
    """
    check_threshold("threshold", threshold)
    check_threshold("fn_weight", fn_weight)
    if not isinstance(num_perm, int | np.integer) or isinstance(num_perm, bool) or num_perm < 1:
        raise ArgumentValueError(f"num_perm must be a positive int, not {num_perm!r}")
    r_all = np.arange(1, num_perm + 1)
    counts = num_perm // r_all
    rows = np.repeat(r_all, counts)
    bands = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    cost = np.empty(rows.size)
    for lo in range(0, rows.size, COMBOS_PER_CHUNK):
        fp, fn = error_areas(threshold, bands[lo : lo + COMBOS_PER_CHUNK], rows[lo : lo + COMBOS_PER_CHUNK])
        cost[lo : lo + COMBOS_PER_CHUNK] = (1.0 - fn_weight) * fp + fn_weight * fn
    best = np.lexsort((bands, bands * rows, np.round(cost, 12)))[0]
    return Banding(int(bands[best]), int(rows[best]))


def candidate_pairs(
    sigs: NDArray[np.uint32],
    banding: Banding,
    *,
    rows: ArrayLike | None = None,
    max_bucket: int = MAX_FULL_BUCKET,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs of signature rows that agree on at least one band.

    Args:
        sigs: MinHash signatures, shape ``(n, num_perm)``, ``num_perm >= banding.width``.
        banding: how to cut them.
        rows: the row numbers to index (default all); rows of texts without shingles should be left
            out, as their signatures are all equal.
        max_bucket: buckets with more rows pair each with the bucket's smallest row only.

    Returns:
        ``(left, right)``: distinct pairs of row numbers with ``left < right``, sorted. A pair whose
        bands differ is returned with probability ``2 ** (bits - 64)`` per band, ``bits`` being the
        bits needed for ``len(rows)``; verification rejects it.

    Raises:
        ValueError: ``sigs`` is not a 2-d uint32 array wide enough, or ``rows`` is out of range.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [5, 6, 7, 8]], dtype=np.uint32)
    >>> left, right = candidate_pairs(sigs, Banding(2, 2))
    >>> list(zip(left.tolist(), right.tolist()))
    [(0, 1), (0, 2)]
    """
    sigs = np.ascontiguousarray(sigs)
    if sigs.ndim != 2 or sigs.dtype != np.uint32 or sigs.shape[1] < banding.width:
        raise ArgumentValueError(
            f"sigs must be a 2-d uint32 array with at least {banding.width} columns, "
            f"not {sigs.ndim}-d {sigs.dtype} of shape {sigs.shape}"
        )
    picked = np.arange(sigs.shape[0], dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64).ravel()
    if picked.size and (picked.min() < 0 or picked.max() >= sigs.shape[0]):
        raise ArgumentValueError(f"rows must be row numbers of sigs (0 to {sigs.shape[0] - 1})")
    if sigs.shape[0] >= 1 << 32:
        raise ArgumentValueError(f"at most 2**32 - 1 signatures, not {sigs.shape[0]}")
    index_bits = index_bits_for(picked.size)
    keys = band_keys(sigs, banding, picked, index_bits=index_bits)
    return pairs_from_keys(keys, index_bits, picked, max_bucket=max_bucket)


def index_bits_for(count: int) -> int:
    """Low bits of a band key that hold the position of its row among ``count`` rows."""
    return max(1, int(count - 1).bit_length())


def band_keys(
    sigs: NDArray[np.uint32],
    banding: Banding,
    rows: NDArray[np.int64],
    *,
    index_bits: int,
    first: int = 0,
    out: NDArray[np.uint64] | None = None,
) -> NDArray[np.uint64]:
    """Band keys of signature ``rows``: shape ``(bands, len(rows))``, position ``first + i`` in the low bits.

    Lets a caller index signatures batch by batch: key the rows of each batch into a slice of one
    ``out`` array (``first`` is the batch's position), then call :func:`pairs_from_keys` once.
    """
    if out is None:
        out = np.empty((banding.bands, rows.size), dtype=np.uint64)
    # A slice of a wider array is written through a contiguous buffer: twice as fast as strided stores.
    target = out if out.flags.c_contiguous else np.empty(out.shape, dtype=np.uint64)
    _match_kernels.band_keys(np.ascontiguousarray(sigs), rows, banding.bands, banding.rows, index_bits, first, target)
    if target is not out:
        out[...] = target
    return out


def pairs_from_keys(
    keys: NDArray[np.uint64], index_bits: int, picked: NDArray[np.int64], *, max_bucket: int = MAX_FULL_BUCKET
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct candidate pairs of row numbers ``picked[...]`` from band keys; sorts ``keys`` in place."""
    keys.sort(axis=1)
    packed = [band_pairs(band, index_bits, max_bucket, picked) for band in keys]
    return unpack_pairs(np.unique(np.concatenate(packed)) if packed else np.empty(0, dtype=np.uint64))


def band_pairs(
    keys: NDArray[np.uint64], index_bits: int, max_bucket: int, picked: NDArray[np.int64]
) -> NDArray[np.uint64]:
    """The pairs of one sorted band, as packed row numbers (see :func:`pack_pairs`)."""
    count = _match_kernels.bucket_pair_count(keys, index_bits, max_bucket)
    left = np.empty(count, dtype=np.int64)
    right = np.empty(count, dtype=np.int64)
    _match_kernels.bucket_pairs(keys, index_bits, max_bucket, left, right)
    return pack_pairs(picked[left], picked[right])


def pack_pairs(left: NDArray[np.int64], right: NDArray[np.int64]) -> NDArray[np.uint64]:
    """Pairs as one uint64 each, smaller number in the high half (so sorting sorts pairs).

    >>> unpack_pairs(pack_pairs(np.array([5, 1]), np.array([2, 3])))
    (array([2, 1]), array([5, 3]))
    """
    lo = np.minimum(left, right).astype(np.uint64)
    hi = np.maximum(left, right).astype(np.uint64)
    return np.asarray((lo << np.uint64(32)) | hi, dtype=np.uint64)


def unpack_pairs(packed: NDArray[np.uint64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Inverse of :func:`pack_pairs` (pairs come back in the order given)."""
    left = (packed >> np.uint64(32)).astype(np.int64)
    right = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return left, right


SCREEN_MISS = 1e-6
"""Chance that :func:`screen_pairs` drops a pair right at its containment threshold."""

SCREEN_GRID = 4096
"""Violation rates are rounded up to a multiple of ``1 / SCREEN_GRID`` to look up their bound."""

SCREEN_MAX_GROUP = 4096
"""Groups with more rows are not screened pair by pair (their pairs would take too much memory)."""


def violation_bounds(perms: int, rates: NDArray[np.float64], miss: float = SCREEN_MISS) -> NDArray[np.int64]:
    """For each rate ``p``, the smallest ``v`` with ``P(Binomial(perms, p) > v) <= miss``.

    >>> violation_bounds(128, np.array([0.0, 0.1, 1.0])).tolist()
    [0, 31, 128]
    """
    k = np.arange(perms + 1)
    log_choose = np.array([math.lgamma(perms + 1) - math.lgamma(i + 1) - math.lgamma(perms - i + 1) for i in k])
    p = np.clip(np.asarray(rates, dtype=np.float64), 0.0, 1.0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = (
            log_choose + np.where(k > 0, k * np.log(p), 0.0) + np.where(k < perms, (perms - k) * np.log1p(-p), 0.0)
        )
    tail = np.cumsum(np.exp(log_pmf)[:, ::-1], axis=1)[:, ::-1]  # tail[:, v] = P(X >= v)
    above = np.concatenate([tail[:, 1:], np.zeros((p.shape[0], 1))], axis=1)  # P(X > v)
    return np.asarray(np.argmax(above <= miss, axis=1), dtype=np.int64)


def violation_bound(perms: int, rate: float, miss: float = SCREEN_MISS) -> int:
    """Smallest ``v`` with ``P(Binomial(perms, rate) > v) <= miss``.

    >>> violation_bound(128, 0.1), violation_bound(128, 0.0)
    (31, 0)
    """
    if not 0.0 <= rate <= 1.0:
        raise ArgumentValueError(f"rate must be between 0 and 1, not {rate!r}")
    return int(violation_bounds(perms, np.array([rate]), miss)[0])


@functools.lru_cache(maxsize=16)
def screen_bounds(perms: int, miss: float) -> NDArray[np.int64]:
    """:func:`violation_bounds` on the screen's grid of rates, computed once per ``(perms, miss)``
    (about 70 ms each) and returned read-only.

    >>> screen_bounds(128, SCREEN_MISS) is screen_bounds(128, SCREEN_MISS)
    True
    """
    bounds = violation_bounds(perms, np.linspace(0.0, 1.0, SCREEN_GRID + 1), miss)
    bounds.setflags(write=False)
    return bounds


def screen_pairs(
    sigs: NDArray[np.uint32],
    rows: NDArray[np.int64],
    starts: NDArray[np.int64],
    sizes: NDArray[np.int64],
    *,
    threshold: float,
    containment: float,
    min_contained: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs within groups of rows whose signatures allow a near-duplicate or a containment.

    If ``S`` is a subset of ``L``, then for every permutation the minimum of ``L`` is at most that of
    ``S``; an entry *violates* this with probability ``|S - L| / |S | L|``, which the sets' sizes
    bound for the pairs we want: for containment ``c`` of ``S`` (``s`` shingles) in ``L`` (``l``),
    ``(1 - c) s / (l + (1 - c) s)``; for Jaccard similarity ``t``, ``(1 + t) s / (s + l) - t``. An
    unrelated pair violates at ``s / (s + l)``, far more. A pair passes when its violations are
    within :func:`violation_bounds` of its rate, so a wanted pair right at a threshold is dropped
    with probability at most :data:`SCREEN_MISS`. Unlike LSH this finds a short paragraph inside a
    much longer one, at the price of checking every pair of a group (a document):
    ``O(k^2 * num_perm)`` for ``k`` rows.

    Args:
        sigs: MinHash signatures.
        rows: the row numbers to screen, grouped: group ``g`` is ``rows[starts[g]:starts[g + 1]]``.
        starts: group boundaries (non-decreasing, from 0 to ``len(rows)``).
        sizes: each signature row's number of distinct shingles.
        threshold, containment, min_contained: the pairs wanted (see :class:`dedup.config.DedupConfig`).

    Returns:
        ``(left, right)``: row numbers of the pairs that pass, within groups, in group order.

    >>> sigs = np.array([[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 9], [9, 1, 9, 1, 9, 1, 9, 1]], dtype=np.uint32)
    >>> sizes, wanted = np.array([20, 20, 200]), dict(threshold=0.8, containment=0.9, min_contained=10)
    >>> screen_pairs(sigs, np.array([0, 1, 2]), np.array([0, 3]), sizes, **wanted)
    (array([0]), array([1]))
    """
    counts = np.diff(starts)
    if (counts > SCREEN_MAX_GROUP).any():
        keep = np.flatnonzero(counts <= SCREEN_MAX_GROUP)
        parts = [rows[starts[g] : starts[g + 1]] for g in keep.tolist()]
        rows = np.concatenate(parts) if parts else rows[:0]
        starts = np.concatenate(([0], np.cumsum(counts[keep]))).astype(np.int64)
        counts = np.diff(starts)
    flags = np.zeros(int((counts * (counts - 1) // 2).sum()), dtype=np.bool_)
    bounds = screen_bounds(sigs.shape[1], SCREEN_MISS)
    _match_kernels.containment_screen(
        sigs, rows, np.asarray(sizes, dtype=np.int64), starts, bounds, threshold, containment, min_contained, flags
    )
    count = int(np.count_nonzero(flags))
    left = np.empty(count, dtype=np.int64)
    right = np.empty(count, dtype=np.int64)
    _match_kernels.flagged_pairs(rows, starts, flags, left, right)
    return left, right


MAX_POSTINGS = 1 << 14
"""Shingles held by more sets than this are not joined on (see :func:`containment_pairs`)."""

COUNT_TABLE_BITS = 24
"""At most ``2 ** COUNT_TABLE_BITS`` one-byte shingle counters (16 MB)."""

COUNT_STEP = 1
"""Shingles are counted in every ``COUNT_STEP``-th set: enough to rank them from rare to common."""

TOKEN_BITMAP_BITS = 28
"""At most ``2 ** TOKEN_BITMAP_BITS`` bits (32 MB) mark the shingles of some prefix."""


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
    offsets: NDArray[np.int64],
    hashes: NDArray[np.uint64],
    rows: NDArray[np.int64],
    group: NDArray[np.int64],
    containment: float,
    *,
    max_postings: int = MAX_POSTINGS,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
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
        offsets, hashes: CSR shingle sets, each set's hashes distinct.
        rows: the sets to join (each as contained and as container).
        group: each set's group (by set number); pairs within a group are left out.
        containment: the least containment to find (0 < containment <= 1).
        max_postings: see above.

    Returns:
        ``(left, right)``: distinct pairs of set numbers, ``left < right``, sorted.

    >>> offsets = np.array([0, 3, 10, 13])
    >>> hashes = np.array([1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 1, 2, 9], dtype=np.uint64)
    >>> containment_pairs(offsets, hashes, np.arange(3), np.arange(3), 0.9)
    (array([0]), array([1]))
    """
    rows = np.asarray(rows, dtype=np.int64)
    sizes = np.diff(offsets)[rows]
    lengths = np.minimum(prefix_lengths(sizes, containment), sizes)
    index_bits = index_bits_for(rows.size)
    side, shift = 1 << index_bits, max(8, index_bits + 1)
    starts = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    prefixes = int(starts[-1])
    table = np.zeros(power_of_two(2 * hashes.size // COUNT_STEP, COUNT_TABLE_BITS), dtype=np.uint8)
    _match_kernels.shingle_counts(offsets, hashes, COUNT_STEP, table)
    held = np.zeros(rows.size + 1, dtype=np.int64)
    keys = np.empty(prefixes, dtype=np.uint64)
    _match_kernels.prefix_tokens(offsets, hashes, rows, lengths, table, starts, shift, keys)
    del table
    keys = keys[keys != np.uint64(0xFFFFFFFFFFFFFFFF)]
    prefixes = keys.size
    bitmap = np.zeros(power_of_two(8 * prefixes, TOKEN_BITMAP_BITS) // 64, dtype=np.uint64)
    _match_kernels.mark_tokens(keys, shift, bitmap)
    _match_kernels.container_tokens(offsets, hashes, rows, bitmap, shift, side, held, np.empty(0, np.uint64))
    np.cumsum(held, out=held)
    keys = np.concatenate([keys, np.empty(int(held[-1]), dtype=np.uint64)])
    _match_kernels.container_tokens(offsets, hashes, rows, bitmap, shift, side, held, keys[prefixes:])
    keys.sort()
    group = np.asarray(group, dtype=np.int64)[rows]
    args = (keys, shift, side, sizes, group, max_postings)
    count = _match_kernels.token_pairs(*args, np.empty(0, np.int64), np.empty(0, np.int64))
    left, right = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
    _match_kernels.token_pairs(*args, left, right)
    return unpack_pairs(np.unique(pack_pairs(rows[left], rows[right])))


def power_of_two(at_least: int, max_bits: int) -> int:
    """The smallest power of two at or above ``at_least`` (at least 1024), at most ``2 ** max_bits``.

    >>> power_of_two(1000, 20), power_of_two(5000, 20), power_of_two(10**9, 20)
    (1024, 8192, 1048576)
    """
    return 1 << min(max_bits, max(10, (max(at_least, 1) - 1).bit_length()))
