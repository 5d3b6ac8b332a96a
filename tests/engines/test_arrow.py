"""Arrays through Arrow columns (the Spark engine's partition functions): shingle sets and fixed-width rows come
back as they went, from whole columns, slices and chunked columns."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.engines.arrow import column_rows, column_sets, rows_column, sets_column, signed
from dedup.hashing import ShingleSets

pa = pytest.importorskip("pyarrow")


def random_sets(rng: np.random.Generator, count: int) -> ShingleSets:
    sizes = rng.integers(0, 12, size=count)
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return ShingleSets(offsets, rng.integers(0, 2**64, size=int(offsets[-1]), dtype=np.uint64))


@pytest.mark.parametrize("seed", range(5))
def test_sets_come_back_whole_sliced_and_chunked(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sets = random_sets(rng, 50)
    column = sets_column(sets)
    back = column_sets(column)
    assert back.offsets.tolist() == sets.offsets.tolist()
    assert back.hashes.tolist() == sets.hashes.tolist()
    lo, hi = sorted(rng.integers(0, 51, size=2).tolist())
    part = column_sets(column.slice(lo, hi - lo))
    want = sets.take(np.arange(lo, hi))
    assert part.offsets.tolist() == want.offsets.tolist()
    assert part.hashes.tolist() == want.hashes.tolist()
    chunked = column_sets(pa.chunked_array([column.slice(0, 20), column.slice(20)]))
    assert chunked.hashes.tolist() == sets.hashes.tolist()


def test_empty_columns_give_no_sets_and_no_rows() -> None:
    empty = column_sets(pa.array([], pa.binary()))
    assert empty.offsets.tolist() == [0]
    assert empty.hashes.size == 0
    assert column_rows(pa.array([], pa.binary()), np.uint64, 3).shape == (0, 3)


def test_rows_of_fixed_width_come_back_and_a_wrong_width_is_refused() -> None:
    values = np.arange(12, dtype=np.uint64) * np.uint64(2**61)
    column = rows_column(np.arange(5, dtype=np.int64) * 3, values)
    assert column_rows(column, np.uint64, 3).tolist() == values.reshape(4, 3).tolist()
    assert column_rows(column.slice(1, 2), np.uint64, 3).tolist() == values.reshape(4, 3)[1:3].tolist()
    with pytest.raises(ValueError, match="rows of 2 numbers"):
        column_rows(column, np.uint64, 2)


def test_a_binary_column_with_nulls_is_refused() -> None:
    with pytest.raises(ValueError, match="nulls"):
        column_sets(pa.array([b"\0" * 8, None], pa.binary()))


def test_unsigned_values_keep_their_bits_as_signed_longs() -> None:
    values = np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64)
    assert signed(values).view(np.uint64).tolist() == values.tolist()
