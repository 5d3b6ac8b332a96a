"""Stores gather sets and columns a span of the file at a time: the same values as an in-memory gather, and
never more than a span of a file mapped at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dedup.engines import store as stores_module
from dedup.engines.store import Store, StoreWriter
from dedup.hashing import ShingleSets


def written(folder: Path, rng: np.random.Generator, count: int) -> tuple[Store, ShingleSets]:
    sizes = rng.integers(0, 30, count)
    offsets = np.zeros(count + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    sets = ShingleSets(offsets, rng.integers(0, 2**63, int(offsets[-1]), dtype=np.uint64))
    columns = {"text": np.arange(count) * 7, "par": np.arange(count) % 5, "doc": np.arange(count) // 3}
    with StoreWriter(folder, count=count, hashes=int(sets.hashes.size), bands=2) as out:
        out.write(0, sets, np.zeros((2, count), np.uint64), columns)
    return Store(folder), sets


@pytest.mark.parametrize("seed", range(12))
def test_gathers_by_spans_equal_gathers_in_memory(tmp_path, monkeypatch, seed) -> None:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 400))
    store, sets = written(tmp_path, rng, count)
    monkeypatch.setattr(stores_module, "SPAN_BYTES", int(rng.integers(8, 3000)))  # from one hash to many sets
    for ids in (np.unique(rng.integers(0, count, count // 2 + 1)), rng.integers(0, count, 40), np.arange(0)):
        got, want = store.take(ids), sets.take(ids)  # ascending, then any order with repeats, then none
        assert np.array_equal(got.offsets, want.offsets)
        assert np.array_equal(got.hashes, want.hashes)
        assert store.column("text", ids).tolist() == (ids * 7).tolist()
        assert store.column("offsets", ids + 1).tolist() == sets.offsets[ids + 1].tolist()
    assert store.sizes().tolist() == np.diff(sets.offsets).tolist()
    lo, hi = sorted(rng.integers(0, count + 1, 2).tolist())
    window = store.window(lo, hi)
    assert np.array_equal(window.hashes, sets.take(np.arange(lo, hi)).hashes)
    assert np.array_equal(window.offsets, sets.take(np.arange(lo, hi)).offsets)


def test_a_gather_maps_no_more_than_a_span(tmp_path, monkeypatch) -> None:
    rng = np.random.default_rng(5)
    store, sets = written(tmp_path, rng, 2000)
    monkeypatch.setattr(stores_module, "SPAN_BYTES", 4096)
    mapped: list[int] = []
    real = np.memmap

    def watched(*args, **kwargs):  # every mapping the gather makes, with its size in bytes
        array = real(*args, **kwargs)
        mapped.append(array.nbytes)
        return array

    monkeypatch.setattr(stores_module.np, "memmap", watched)
    ids = np.arange(0, 2000, 3)
    assert np.array_equal(store.take(ids).hashes, sets.take(ids).hashes)
    longest = int(np.diff(sets.offsets).max()) * 8
    assert len(mapped) > 10
    assert max(mapped) <= max(4096, longest)
