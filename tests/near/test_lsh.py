"""LSH banding, candidate pairs and the containment screen against plain-Python references."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.hashing.minhash import signatures_from_hashes
from dedup.near import _kernels as _match_kernels
from dedup.near.lsh import (
    SCREEN_GRID,
    Banding,
    candidate_pairs,
    choose_banding,
    containment_pairs,
    error_areas,
    prefix_lengths,
    screen_pairs,
    violation_bound,
    violation_bounds,
)


def reference_areas(threshold: float, bands: int, rows: int, steps: int = 20_000) -> tuple[float, float]:
    """The error areas by the midpoint rule, one point at a time."""

    def p(s: float) -> float:
        return 1.0 - (1.0 - s**rows) ** bands

    h = threshold / steps
    fp = sum(p((i + 0.5) * h) for i in range(steps)) * h
    h = (1.0 - threshold) / steps
    fn = sum(1.0 - p(threshold + (i + 0.5) * h) for i in range(steps)) * h
    return fp, fn


def reference_banding(threshold: float, num_perm: int, fn_weight: float) -> tuple[int, int]:
    """Brute-force search over every ``bands * rows <= num_perm`` with the reference areas."""
    best: tuple[float, int, int, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp, fn = reference_areas(threshold, bands, rows, steps=2000)
            cost = round((1 - fn_weight) * fp + fn_weight * fn, 6)
            key = (cost, bands * rows, bands, bands, rows)
            best = key if best is None or key < best else best
    assert best is not None
    return best[3], best[4]


@pytest.mark.parametrize(("threshold", "bands", "rows"), [(0.5, 25, 5), (0.8, 9, 13), (0.3, 1, 1), (0.9, 200, 30)])
def test_error_areas_match_midpoint_reference(threshold: float, bands: int, rows: int) -> None:
    fp, fn = error_areas(threshold, bands, rows)
    ref_fp, ref_fn = reference_areas(threshold, bands, rows)
    assert float(fp) == pytest.approx(ref_fp, abs=1e-6)
    assert float(fn) == pytest.approx(ref_fn, abs=1e-6)


@pytest.mark.parametrize(("threshold", "num_perm", "fn_weight"), [(0.5, 16, 0.5), (0.8, 24, 0.5), (0.6, 20, 0.8)])
def test_choose_banding_matches_brute_force(threshold: float, num_perm: int, fn_weight: float) -> None:
    chosen = choose_banding(threshold, num_perm, fn_weight=fn_weight)
    assert (chosen.bands, chosen.rows) == reference_banding(threshold, num_perm, fn_weight)


def test_choose_banding_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match=r"threshold must be strictly between 0 and 1, not 1\.0"):
        choose_banding(1.0, 128)
    with pytest.raises(ValueError, match="num_perm must be a positive int, not 0"):
        choose_banding(0.5, 0)


def test_candidate_probability_matches_simulated_signatures() -> None:
    """Signature pairs agreeing entry by entry with probability s become candidates at the predicted rate."""
    rng = np.random.default_rng(7)
    banding = Banding(8, 4)
    pairs = 4000
    for s in (0.3, 0.5, 0.7):
        base = rng.integers(0, 2**32, size=(pairs, 32), dtype=np.uint32)
        other = rng.integers(0, 2**32, size=(pairs, 32), dtype=np.uint32)
        other = np.where(rng.random((pairs, 32)) < s, base, other)
        sigs = np.empty((2 * pairs, 32), dtype=np.uint32)
        sigs[0::2], sigs[1::2] = base, other
        left, right = candidate_pairs(sigs, banding)
        found = np.count_nonzero((left % 2 == 0) & (right == left + 1)) / pairs
        expected = float(banding.probability(s))
        assert abs(found - expected) < 4 * math.sqrt(expected * (1 - expected) / pairs) + 1e-3


def reference_candidates(sigs: np.ndarray, banding: Banding) -> set[tuple[int, int]]:
    """Every pair of rows with one equal band, by a dict per band."""
    out: set[tuple[int, int]] = set()
    for b in range(banding.bands):
        buckets: dict[tuple[int, ...], list[int]] = {}
        for i, row in enumerate(sigs.tolist()):
            buckets.setdefault(tuple(row[b * banding.rows : (b + 1) * banding.rows]), []).append(i)
        for members in buckets.values():
            out.update(itertools.combinations(members, 2))
    return out


def components_of(n: int, pairs: set[tuple[int, int]]) -> list[list[int]]:
    """Connected components by repeated merging (plain Python)."""
    groups = [{i} for i in range(n)]
    for a, b in pairs:
        ga = next(g for g in groups if a in g)
        gb = next(g for g in groups if b in g)
        if ga is not gb:
            ga |= gb
            groups.remove(gb)
    return sorted(sorted(g) for g in groups)


SIGS = st.integers(1, 40).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 2), min_size=6, max_size=6), min_size=n, max_size=n)
)


@settings(max_examples=60, deadline=None)
@given(SIGS, st.sampled_from([Banding(3, 2), Banding(2, 3), Banding(6, 1)]))
def test_candidate_pairs_match_reference(rows: list[list[int]], banding: Banding) -> None:
    sigs = np.array(rows, dtype=np.uint32)
    reference = reference_candidates(sigs, banding)
    left, right = candidate_pairs(sigs, banding, max_bucket=1000)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == reference
    # Large buckets become stars: fewer pairs, the same components.
    left, right = candidate_pairs(sigs, banding, max_bucket=2)
    star = set(zip(left.tolist(), right.tolist(), strict=True))
    assert star <= reference
    assert components_of(len(rows), star) == components_of(len(rows), reference)


def test_candidate_pairs_only_indexes_given_rows() -> None:
    sigs = np.zeros((4, 4), dtype=np.uint32)
    left, right = candidate_pairs(sigs, Banding(2, 2), rows=[1, 3])
    assert (left.tolist(), right.tolist()) == ([1], [3])
    with pytest.raises(ValueError, match="at least 4 columns"):
        candidate_pairs(sigs[:, :3], Banding(2, 2))


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


@settings(max_examples=40, deadline=None)
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


def edge(n: int) -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30).flatmap(lambda n: st.tuples(st.just(n), st.lists(edge(n), max_size=40))))
def test_components_match_reference(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = case
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    labels = _match_kernels.components(n, left, right)
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(i)
    assert sorted(sorted(g) for g in groups.values()) == components_of(n, set(edges))
    assert all(label == min(g) for label, g in groups.items())


SETS = st.lists(st.sets(st.integers(0, 60), max_size=40), min_size=1, max_size=25)


@settings(max_examples=80, deadline=None)
@given(SETS, st.sampled_from([0.5, 0.8, 0.9, 1.0]), st.integers(1, 4), st.integers(0, 10**6))
def test_containment_pairs_are_exact(sets: list[set[int]], containment: float, groups: int, seed: int) -> None:
    """Every pair in different groups whose smaller set is contained in the larger is found (the prefix
    join misses none, at any size ratio), and every pair found shares a shingle."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, size=len(sets))
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in sets]))).astype(np.int64)
    hashes = np.array([h for x in sets for h in sorted(x)], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rows = np.flatnonzero(np.diff(offsets) > 0)
    left, right = containment_pairs(offsets, hashes, rows, group, containment)
    found = set(zip(left.tolist(), right.tolist(), strict=True))
    for a, b in itertools.combinations(rows.tolist(), 2):
        small, large = sorted((sets[a], sets[b]), key=len)
        if group[a] != group[b] and len(small & large) >= containment * len(small):
            assert (a, b) in found
    assert all(sets[a] & sets[b] and group[a] != group[b] for a, b in found)


def test_containment_pairs_skip_very_common_shingles() -> None:
    """A shingle held by more sets than ``max_postings`` is not joined on."""
    offsets = np.arange(0, 21, 2, dtype=np.int64)
    hashes = np.tile(np.array([5, 6], dtype=np.uint64), 10)
    rows, group = np.arange(10), np.arange(10)
    assert containment_pairs(offsets, hashes, rows, group, 0.9)[0].size == 45
    assert containment_pairs(offsets, hashes, rows, group, 0.9, max_postings=9)[0].size == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 500), st.floats(0.05, 1.0))
def test_prefix_lengths_leave_one_shingle_a_container_holds(size: int, containment: float) -> None:
    overlap = math.ceil(containment * size - 1e-9)
    while overlap > 1 and (overlap - 1) / size >= containment:
        overlap -= 1
    assert prefix_lengths([size], containment)[0] >= size - overlap + 1
