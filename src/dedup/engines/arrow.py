"""Arrays in and out of Arrow columns, for the partition functions of the Spark engine (no Python object per row).

Shingle sets travel as a binary column (a set's hashes as 8 bytes each), band hashes as a binary column of
fixed width, and unsigned 64-bit values as Spark's signed longs (the same bits).

>>> import pyarrow as pa
>>> sets = ShingleSets(np.array([0, 2, 2, 3]), np.array([5, 7, 9], dtype=np.uint64))
>>> column = sets_column(sets)
>>> back = column_sets(column)
>>> back.offsets.tolist(), back.hashes.tolist()
([0, 2, 2, 3], [5, 7, 9])
>>> column_sets(column.slice(1)).offsets.tolist()
[0, 0, 1]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dedup.hashing import ShingleSets

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["column_rows", "column_sets", "longs", "rows_column", "sets_column", "signed"]


def signed(values: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Unsigned 64-bit values as the signed longs Spark holds (the same bits).

    >>> signed(np.array([2**64 - 1], dtype=np.uint64)).tolist()
    [-1]
    """
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64)


def longs(column: Any, dtype: Any = np.int64) -> NDArray[Any]:
    """A column of Arrow integers (without nulls) as a numpy array of ``dtype``."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=dtype)


def sets_column(sets: ShingleSets) -> pa.Array:
    """Shingle sets as a binary column: row ``i`` holds set ``i``'s hashes, 8 bytes each."""
    return rows_column(np.asarray(sets.offsets, dtype=np.int64), np.ascontiguousarray(sets.hashes, dtype=np.uint64))


def column_sets(column: Any) -> ShingleSets:
    """A binary column of hashes (:func:`sets_column`) as shingle sets (copied)."""
    offsets, data = _binary_parts(column)
    if offsets.size == 0:
        return ShingleSets(np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.uint64))
    start, end = int(offsets[0]), int(offsets[-1])
    hashes = np.frombuffer(data[start:end], dtype=np.uint8)
    return ShingleSets((offsets - start) // 8, hashes.view(np.uint64).copy())


def rows_column(offsets: NDArray[np.int64], values: NDArray[Any]) -> pa.Array:
    """Rows of numbers as a binary column: row ``i`` holds ``values[offsets[i]:offsets[i + 1]]``'s bytes."""
    import pyarrow as pa

    width = values.dtype.itemsize
    bounds = (np.asarray(offsets, dtype=np.int64) * width).astype(np.int32)
    return pa.Array.from_buffers(pa.binary(), int(bounds.size - 1),
                                 [None, pa.py_buffer(bounds.tobytes()), pa.py_buffer(values.tobytes())])  # fmt: skip


def column_rows(column: Any, dtype: Any, width: int) -> NDArray[Any]:
    """A binary column of rows of ``width`` numbers each as a ``(rows, width)`` array of ``dtype`` (copied)."""
    offsets, data = _binary_parts(column)
    size = np.dtype(dtype).itemsize * width
    if offsets.size < 2:
        return np.empty((0, width), dtype=dtype)
    if not bool(np.all(np.diff(offsets) == size)):
        raise ValueError(f"rows of {width} numbers of {np.dtype(dtype).name} expected")
    start = int(offsets[0])
    raw = np.frombuffer(data[start : start + size * (offsets.size - 1)], dtype=np.uint8)
    out: NDArray[Any] = raw.view(dtype).reshape(-1, width).copy()
    return out


def _binary_parts(column: Any) -> tuple[NDArray[np.int64], memoryview]:
    """A binary Arrow column's offsets (of its rows, into the data) and its data buffer."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if column.null_count:
        raise ValueError("a binary column of arrays has nulls")
    buffers = column.buffers()
    wide = pa.types.is_large_binary(column.type)
    raw = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)
    offsets = raw[column.offset : column.offset + len(column) + 1].astype(np.int64)
    data = memoryview(buffers[2]) if buffers[2] is not None else memoryview(b"")
    return offsets, data
