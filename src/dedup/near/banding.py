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
similarity): :func:`dedup.near.screen.screen_pairs` checks every pair within a group (a document) on
their signatures, and :func:`dedup.near.prefix.containment_pairs` joins each set's rarest shingles with
the sets holding them, which finds every contained pair at any size ratio.

>>> banding = choose_banding(0.8, 128)
>>> banding
Banding(bands=9, rows=13)
>>> round(float(banding.probability(0.9)), 3), round(float(banding.probability(0.5)), 4)
(0.929, 0.0011)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dedup.errors import ArgumentValueError
from dedup.near import _kernels
from dedup.near.pairs import Pairs, distinct
from dedup.near.sorting import Sorters

__all__ = [
    "MAX_FULL_BUCKET",
    "Banding",
    "band_hashes",
    "band_keys",
    "band_pair_chunks",
    "candidate_pairs",
    "candidate_probability",
    "choose_banding",
    "error_areas",
    "index_bits_for",
    "keyed",
    "pairs_from_keys",
]

_QUADRATURE_NODES = 128
"""Gauss-Legendre nodes per integral: exact to ~1e-6 for the S-curves of up to a few hundred rows."""

MAX_FULL_BUCKET = 32
"""Buckets of at most this many rows emit all their pairs; larger ones (usually exact copies) a star."""

_COMBOS_PER_CHUNK = 4096
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
    _check_threshold("threshold", threshold)
    nodes, weights = np.polynomial.legendre.leggauss(_QUADRATURE_NODES)
    b = np.asarray(bands, dtype=np.float64)[..., None]
    r = np.asarray(rows, dtype=np.float64)[..., None]
    below = threshold * (nodes + 1.0) / 2.0
    above = threshold + (1.0 - threshold) * (nodes + 1.0) / 2.0
    fp = (candidate_probability(below, b, r) @ weights) * threshold / 2.0
    fn = ((1.0 - candidate_probability(above, b, r)) @ weights) * (1.0 - threshold) / 2.0
    return np.asarray(fp, dtype=np.float64), np.asarray(fn, dtype=np.float64)


def _check_threshold(name: str, value: float) -> None:
    """ValueError naming ``name`` unless ``0 < value < 1``."""
    if not 0.0 < value < 1.0:
        raise ArgumentValueError(f"{name} must be strictly between 0 and 1, not {value!r}")


@functools.lru_cache(maxsize=32)
def choose_banding(threshold: float, num_perm: int, *, fn_weight: float = 0.5) -> Banding:
    """The banding of at most ``num_perm`` values that best separates pairs at a Jaccard ``threshold``.

    Minimises ``(1 - fn_weight) * fp + fn_weight * fn`` (see :func:`error_areas`) over every
    ``bands * rows <= num_perm``; ties go to fewer values used, then fewer bands. Computed once per
    arguments (about 40 ms each), as every shard of a streaming run asks again.

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
    _check_threshold("threshold", threshold)
    _check_threshold("fn_weight", fn_weight)
    if not isinstance(num_perm, int | np.integer) or isinstance(num_perm, bool) or num_perm < 1:
        raise ArgumentValueError(f"num_perm must be a positive int, not {num_perm!r}")
    r_all = np.arange(1, num_perm + 1)
    counts = num_perm // r_all
    rows = np.repeat(r_all, counts)
    bands = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    cost = np.empty(rows.size)
    for lo in range(0, rows.size, _COMBOS_PER_CHUNK):
        fp, fn = error_areas(threshold, bands[lo : lo + _COMBOS_PER_CHUNK], rows[lo : lo + _COMBOS_PER_CHUNK])
        cost[lo : lo + _COMBOS_PER_CHUNK] = (1.0 - fn_weight) * fp + fn_weight * fn
    best = np.lexsort((bands, bands * rows, np.round(cost, 12)))[0]
    return Banding(int(bands[best]), int(rows[best]))


def candidate_pairs(
    sigs: NDArray[np.uint32],
    banding: Banding,
    *,
    rows: ArrayLike | None = None,
    max_bucket: int = MAX_FULL_BUCKET,
) -> Pairs:
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
    hashes = band_hashes(sigs, banding, rows)
    if out is None:
        out = np.empty((banding.bands, rows.size), dtype=np.uint64)
    positions = np.arange(first, first + rows.size, dtype=np.int64)
    for band in range(banding.bands):
        out[band] = keyed(hashes[band], positions, index_bits)
    return out


def pairs_from_keys(
    keys: NDArray[np.uint64], index_bits: int, picked: NDArray[np.int64], *, max_bucket: int = MAX_FULL_BUCKET
) -> Pairs:
    """Distinct candidate pairs of row numbers ``picked[...]`` from band keys; sorts ``keys`` in place."""
    keys.sort(axis=1)
    packed = [_band_pairs(band, index_bits, max_bucket).of(picked).pack() for band in keys]
    return Pairs.unpack(distinct(np.concatenate(packed)) if packed else np.empty(0, dtype=np.uint64))


def _band_pairs(keys: NDArray[np.uint64], index_bits: int, max_bucket: int) -> Pairs:
    """The pairs of one sorted band, as positions in the keys' low bits."""
    return Pairs.collect(lambda pairs: _kernels.bucket_pairs(keys, index_bits, max_bucket, pairs))


def band_hashes(
    sigs: NDArray[np.uint32], banding: Banding, rows: NDArray[np.int64], *, out: NDArray[np.uint64] | None = None
) -> NDArray[np.uint64]:
    """Band hashes of signature ``rows``, shape ``(bands, len(rows))``: band keys before positions go in.

    Hashes can be made (and stored) before the rows' positions in the corpus are known; :func:`keyed`
    turns them into the keys :func:`band_keys` makes.

    >>> sigs = np.arange(16, dtype=np.uint32).reshape(2, 8)
    >>> rows = np.array([0, 1])
    >>> bool((keyed(band_hashes(sigs, Banding(2, 4), rows)[1], rows, 1) == band_keys(sigs, Banding(2, 4), rows,
    ...     index_bits=1)[1]).all())
    True
    """
    if out is None:
        out = np.empty((banding.bands, rows.size), dtype=np.uint64)
    target = out if out.flags.c_contiguous else np.empty(out.shape, dtype=np.uint64)
    _kernels.band_hashes(np.ascontiguousarray(sigs), rows, banding.rows, target)
    if target is not out:
        out[...] = target
    return out


def keyed(hashes: NDArray[np.uint64], positions: NDArray[np.int64], index_bits: int) -> NDArray[np.uint64]:
    """Band keys from one band's hashes: the hash above the low ``index_bits`` bits, the position in them.

    >>> keyed(np.array([0xFF], dtype=np.uint64), np.array([2]), 4).tolist()
    [242]
    """
    low = np.uint64((1 << index_bits) - 1)
    return np.asarray((hashes & ~low) | positions.astype(np.uint64), dtype=np.uint64)


BandHashes = Callable[[int], Iterable[tuple[NDArray[np.uint64], NDArray[np.int64]]]]
"""For band ``b``, pieces ``(hashes, positions)``: the band hashes of some rows and their positions, every
row once (in any order)."""


def band_pair_chunks(
    hashes_of: BandHashes, bands: int, count: int, sorters: Sorters, *, max_bucket: int = MAX_FULL_BUCKET
) -> Iterator[Pairs]:
    """Candidate pairs of positions (among ``count``) that share a band key, band by band, chunk by chunk.

    What :func:`pairs_from_keys` finds, with the keys of one band at a time sorted by a sorter of
    ``sorters`` (which may spill them to disk): a pair can come in several bands and chunks.
    """
    index_bits = index_bits_for(count)
    for band in range(bands):
        sorter = sorters()
        try:
            for hashes, positions in hashes_of(band):
                sorter.add(keyed(hashes, positions, index_bits))
            for chunk in sorter.chunks(group_shift=index_bits):
                yield _band_pairs(chunk, index_bits, max_bucket)
        finally:
            sorter.close()
