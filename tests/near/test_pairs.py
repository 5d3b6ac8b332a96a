"""Positions and pairs as the finder keeps them: narrowed to int32 where they fit, the same values as numpy's."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.near import pairs as pairs_module
from dedup.near.pairs import narrowed, nonzero_positions, searched


@pytest.mark.parametrize("seed", range(6))
def test_nonzero_positions_chunk_by_chunk_are_flatnonzero_as_int32(monkeypatch, seed) -> None:
    rng = np.random.default_rng(seed)
    monkeypatch.setattr(pairs_module, "_NONZERO_CHUNK", int(rng.integers(1, 50)))  # many chunks, some empty
    mask = rng.random(int(rng.integers(0, 600))) < rng.random()
    got = nonzero_positions(mask)
    assert got.dtype == np.int32
    assert got.tolist() == np.flatnonzero(mask).tolist()


def test_narrowed_keeps_int64_past_two_to_the_31() -> None:
    assert narrowed(np.array([0, 2**31 - 1])).dtype == np.int32
    big = narrowed(np.array([0, 2**31]))
    assert big.dtype == np.int64
    assert big.tolist() == [0, 2**31]


@pytest.mark.parametrize("seed", range(6))
def test_searched_finds_what_searchsorted_finds_whatever_the_dtypes(seed) -> None:
    rng = np.random.default_rng(seed)
    rows = np.unique(rng.integers(0, 1000, int(rng.integers(0, 200))))
    values = rng.integers(-5, 1100, 300)
    if seed % 2:
        values[::7] = 2**40  # some past int32: searched in int64 then
    for haystack in (rows.astype(np.int32), rows.astype(np.int64)):
        for needles in (values.astype(np.int64), values.astype(np.int32) if seed % 2 == 0 else values):
            assert searched(haystack, needles).tolist() == np.searchsorted(rows, needles).tolist()
