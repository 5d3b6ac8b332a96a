"""The containment screen: pairs within a group (a document) whose MinHash signatures allow a containment.

LSH banding (:mod:`dedup.near.banding`) misses a short paragraph inside a much longer one, whose
Jaccard similarity is low. If ``S`` is a subset of ``L``, the minimum of ``L`` is at most that of ``S``
under every permutation; :func:`screen_pairs` counts the entries that break this and keeps the pairs
whose count stays within a binomial bound (:func:`violation_bounds`) for the sizes of their sets.

>>> violation_bound(128, 0.1)
31
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import NDArray

from dedup.errors import ArgumentValueError
from dedup.near import _kernels
from dedup.near.pairs import Pairs

__all__ = ["SCREEN_GRID", "SCREEN_MISS", "screen_bounds", "screen_pairs", "violation_bound", "violation_bounds"]


SCREEN_MISS = 1e-6
"""Chance that :func:`screen_pairs` drops a pair right at its containment threshold."""

SCREEN_GRID = 4096
"""Violation rates are rounded up to a multiple of ``1 / SCREEN_GRID`` to look up their bound."""

_SCREEN_MAX_GROUP = 4096
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
) -> Pairs:
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
    Pairs(left=array([0]), right=array([1]))
    """
    counts = np.diff(starts)
    if (counts > _SCREEN_MAX_GROUP).any():
        keep = np.flatnonzero(counts <= _SCREEN_MAX_GROUP)
        parts = [rows[starts[g] : starts[g + 1]] for g in keep.tolist()]
        rows = np.concatenate(parts) if parts else rows[:0]
        starts = np.concatenate(([0], np.cumsum(counts[keep]))).astype(np.int64)
        counts = np.diff(starts)
    flags = np.zeros(int((counts * (counts - 1) // 2).sum()), dtype=np.bool_)
    bounds = screen_bounds(sigs.shape[1], SCREEN_MISS)
    groups = _kernels.Groups(rows, starts)
    wanted = _kernels.Wanted(float(threshold), float(containment), int(min_contained))
    _kernels.containment_screen(sigs, np.asarray(sizes, dtype=np.int64), groups, bounds, wanted, flags)
    return Pairs.collect(lambda pairs: _kernels.flagged_pairs(groups, flags, pairs))
