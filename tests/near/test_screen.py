"""The containment screen against a plain-Python reference, and its recall at the thresholds."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.hashing.minhash import signatures_from_hashes
from dedup.near.screen import SCREEN_GRID, screen_pairs, violation_bound, violation_bounds


def test_violation_bound_is_the_binomial_quantile() -> None:
    for perms, rate in ((128, 0.1), (64, 0.05), (10, 0.5)):
        v = violation_bound(perms, rate, miss=1e-4)
        tail = [
            sum(math.comb(perms, k) * rate**k * (1 - rate) ** (perms - k) for k in range(t + 1, perms + 1))
            for t in (v - 1, v)
        ]
        assert tail[1] <= 1e-4 < tail[0]


def reference_rate(s: int, big: int, t: float, c: float, cmin: int) -> float:
    """The violation rate bound of a wanted pair of sets of ``s <= big`` shingles (-1: none possible)."""
    rates = [-1.0]
    if s >= t * big:
        rates.append((1 + t) * s / (s + big) - t)
    if s >= cmin:
        rates.append((1 - c) * s / (big + (1 - c) * s))
    return max(rates)


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=5), st.integers(0, 10**6))
def test_screen_pairs_match_reference(group_sizes: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = sum(group_sizes)
    sigs = rng.integers(0, 6, size=(n, 16), dtype=np.uint32)
    sizes = rng.integers(5, 40, size=n)
    rows = rng.permutation(n).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(group_sizes))).astype(np.int64)
    bounds = violation_bounds(16, np.linspace(0.0, 1.0, SCREEN_GRID + 1))
    expected = []
    for g in range(len(group_sizes)):
        members = rows[starts[g] : starts[g + 1]].tolist()
        for a, b in itertools.combinations(members, 2):
            rate = reference_rate(min(sizes[a], sizes[b]), max(sizes[a], sizes[b]), 0.8, 0.9, 10)
            if rate < 0:
                continue
            above = int((sigs[b] > sigs[a]).sum())
            below = int((sigs[a] > sigs[b]).sum())
            seen = above if sizes[a] < sizes[b] else below if sizes[b] < sizes[a] else min(above, below)
            if seen <= bounds[math.ceil(rate * SCREEN_GRID)]:
                expected.append((a, b))
    left, right = screen_pairs(sigs, rows, starts, sizes, threshold=0.8, containment=0.9, min_contained=10)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == expected


def random_sets(rng: np.random.Generator, small: int, large: int, common: int) -> np.ndarray:
    """Signatures of two random sets of ``small`` and ``large`` hashes sharing ``common``."""
    pool = rng.choice(2**62, small + large - common, replace=False).astype(np.uint64)
    a, b = pool[:small], pool[small - common :]
    return signatures_from_hashes(np.array([0, small, small + large]), np.concatenate([a, b]))


def test_screen_keeps_pairs_at_the_thresholds_and_drops_unrelated_ones() -> None:
    """A short set 90% inside one five times its size, and a pair at Jaccard 0.8, always pass;
    unrelated pairs of the same sizes seldom do (banding would need Jaccard 0.17 for the first).

    For the unequal unrelated pair the violation rate is 0.15 against a bound made for 0.02: with 128
    entries about 5% still pass, and verification rejects them.
    """
    rng = np.random.default_rng(11)
    cases = {
        "contained": (30, 150, 27),
        "near": (50, 50, 45),
        "unrelated": (30, 150, 3),
        "unrelated_equal": (50, 50, 10),
    }
    passed = {}
    for name, (small, large, common) in cases.items():
        hits = 0
        for _ in range(200):
            sigs = random_sets(rng, small, large, common)
            left, _ = screen_pairs(
                sigs, np.arange(2), np.array([0, 2]), np.array([small, large]), threshold=0.8, containment=0.9,
                min_contained=10,
            )  # fmt: skip
            hits += left.size
        passed[name] = hits / 200
    assert passed["contained"] == passed["near"] == 1.0
    assert passed["unrelated"] < 0.12
    assert passed["unrelated_equal"] < 0.02
