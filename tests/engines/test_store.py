"""Stores gather sets and columns a span of the file at a time: the same values as an in-memory gather, and
never more than a span of a file mapped at once."""

from __future__ import annotations

import itertools
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


def test_a_store_written_in_windows_reads_back_whole(tmp_path) -> None:
    rng = np.random.default_rng(9)
    count, bands = 300, 3
    sizes = rng.integers(0, 20, count)
    offsets = np.zeros(count + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    sets = ShingleSets(offsets, rng.integers(0, 2**63, int(offsets[-1]), dtype=np.uint64))
    band_hashes = rng.integers(0, 2**63, (bands, count), dtype=np.uint64)
    columns = {name: rng.integers(0, 10**9, count) for name in ("text", "par", "doc")}
    cuts = [0, 1, 57, 58, 200, count]  # windows of one paragraph and of many
    with StoreWriter(tmp_path, count=count, hashes=int(sets.hashes.size), bands=bands) as out:
        for lo, hi in itertools.pairwise(cuts):
            window = sets.take(np.arange(lo, hi))
            out.write(lo, window, band_hashes[:, lo:hi], {k: v[lo:hi] for k, v in columns.items()})
    store = Store(tmp_path)
    assert np.array_equal(store.window(0, count).hashes, sets.hashes)
    assert store.sizes().tolist() == sizes.tolist()
    for band in range(bands):
        assert np.array_equal(store.band(band, 0, count), band_hashes[band])
    for name, values in columns.items():
        assert store.column(name, np.arange(count)).tolist() == values.tolist()


def test_a_store_writer_refuses_windows_out_of_order_or_of_the_wrong_shape(tmp_path) -> None:
    sets = ShingleSets(np.array([0, 2, 3]), np.arange(3, dtype=np.uint64))
    columns = {name: np.zeros(2, np.int64) for name in ("text", "par", "doc")}
    out = StoreWriter(tmp_path, count=4, hashes=6, bands=2)
    with pytest.raises(ValueError, match="in order"):
        out.write(2, sets, np.zeros((2, 2), np.uint64), columns)
    with pytest.raises(ValueError, match="shape"):
        out.write(0, sets, np.zeros((3, 2), np.uint64), columns)
    out.write(0, sets, np.zeros((2, 2), np.uint64), columns)
    with pytest.raises(ValueError, match="holds 2 of 4"):
        out.close()


@pytest.mark.parametrize("seed", range(4))
def test_similarity_in_chunks_bounded_by_hashes_equals_similarity_in_memory(tmp_path, monkeypatch, seed) -> None:
    rng = np.random.default_rng(seed)
    store, sets = written(tmp_path, rng, 600)
    stores = stores_module.Stores([store], budget=1)
    monkeypatch.setattr(stores_module, "MIN_WINDOW", int(rng.integers(1, 200)))  # a few pairs' hashes a chunk
    gathered: list[int] = []
    real = Store.take

    def watched(self, ids):  # the hashes each chunk gathers
        out = real(self, ids)
        gathered.append(int(out.hashes.size))
        return out

    monkeypatch.setattr(Store, "take", watched)
    left, right = rng.integers(0, 600, 500), rng.integers(0, 600, 500)
    jaccard, contained = stores.similarity(left, right)
    want_j, want_c = sets.similarity(left, right)
    assert np.array_equal(jaccard, want_j, equal_nan=True)
    assert np.array_equal(contained, want_c, equal_nan=True)
    longest = 2 * int(np.diff(sets.offsets).max())
    assert len(gathered) > 5
    assert max(gathered) <= max(stores_module.MIN_WINDOW, longest)
