"""LSH banding: the error areas, the choice of bands, and candidate pairs against plain-Python references."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.near.banding import Banding, candidate_pairs, choose_banding, error_areas
from reference_near import components_of


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


SIGS = st.integers(1, 40).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 2), min_size=6, max_size=6), min_size=n, max_size=n)
)


@settings(max_examples=examples(60), deadline=None)
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
