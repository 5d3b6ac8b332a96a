"""The prefix join: exact (misses no contained pair), and its prefix lengths."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.hashing.shingle import ShingleSets
from dedup.near.prefix import containment_pairs, prefix_lengths

SETS = st.lists(st.sets(st.integers(0, 60), max_size=40), min_size=1, max_size=25)


@settings(max_examples=examples(80), deadline=None)
@given(SETS, st.sampled_from([0.5, 0.8, 0.9, 1.0]), st.integers(1, 4), st.integers(0, 10**6))
def test_containment_pairs_are_exact(sets: list[set[int]], containment: float, groups: int, seed: int) -> None:
    """Every pair in different groups whose smaller set is contained in the larger is found (the prefix
    join misses none, at any size ratio), and every pair found shares a shingle."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, size=len(sets))
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in sets]))).astype(np.int64)
    hashes = np.array([h for x in sets for h in sorted(x)], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rows = np.flatnonzero(np.diff(offsets) > 0)
    left, right = containment_pairs(ShingleSets(offsets, hashes), rows, group, containment)
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
    assert containment_pairs(ShingleSets(offsets, hashes), rows, group, 0.9)[0].size == 45
    assert containment_pairs(ShingleSets(offsets, hashes), rows, group, 0.9, max_postings=9)[0].size == 0


@settings(max_examples=examples(60), deadline=None)
@given(st.integers(1, 500), st.floats(0.05, 1.0))
def test_prefix_lengths_leave_one_shingle_a_container_holds(size: int, containment: float) -> None:
    overlap = math.ceil(containment * size - 1e-9)
    while overlap > 1 and (overlap - 1) / size >= containment:
        overlap -= 1
    assert prefix_lengths([size], containment)[0] >= size - overlap + 1
