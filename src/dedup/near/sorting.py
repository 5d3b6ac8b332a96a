"""Sorted streams of 64-bit keys: what the finder sorts, in memory or spilled to disk by the caller's sorter.

The finder's big sorts (band keys, prefix-join keys, packed candidate pairs) go through a
:class:`KeySorter`: keys are added in any order and come back ascending, in chunks. :class:`MemoryKeys`
holds them in memory; a streaming engine passes a sorter that spills sorted runs to disk under a memory
budget (:class:`dedup.io.spill.SortedKeys`). The finder's result does not depend on which one sorts.

>>> keys = MemoryKeys()
>>> keys.add(np.array([5, 1, 5], dtype=np.uint64)); keys.add(np.array([3], dtype=np.uint64))
>>> [c.tolist() for c in distinct_chunks(keys.chunks())]
[[1, 3, 5]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dedup.errors import ArgumentValueError
from dedup.near.pairs import distinct

__all__ = ["KeySorter", "MemoryKeys", "Sorters", "distinct_chunks", "memory_sorters"]


class KeySorter(Protocol):
    """Takes uint64 keys in any order and hands them back ascending, once."""

    def add(self, keys: NDArray[np.uint64]) -> None:
        """Add keys (copied: the caller may reuse the array)."""

    def chunks(self, *, group_shift: int = 0, chunk_keys: int = 0) -> Iterator[NDArray[np.uint64]]:
        """Every key added, ascending, in consecutive chunks; with ``group_shift``, keys with equal
        ``key >> group_shift`` are never split across chunks."""
        ...

    def flush(self) -> None:
        """Let go of the memory that holds the keys added so far, where the sorter can (a spilling sorter writes
        them as a sorted run); they still come back from :meth:`chunks`."""

    def close(self) -> None:
        """Release what the sorter holds (files, memory)."""


Sorters = Callable[[], KeySorter]
"""Makes a fresh, empty :class:`KeySorter`."""


class MemoryKeys:
    """A :class:`KeySorter` that holds its keys in memory and sorts them once."""

    def __init__(self) -> None:
        self._parts: list[NDArray[np.uint64]] = []

    def add(self, keys: NDArray[np.uint64]) -> None:
        """Add keys (copied)."""
        if keys.size:
            self._parts.append(np.array(keys, dtype=np.uint64, copy=True))

    def chunks(self, *, group_shift: int = 0, chunk_keys: int = 0) -> Iterator[NDArray[np.uint64]]:
        """All keys, ascending, as one chunk (none when empty)."""
        parts, self._parts = self._parts, []
        if not parts:
            return
        keys = parts[0] if len(parts) == 1 else np.concatenate(parts)
        del parts
        keys.sort()
        yield keys

    def flush(self) -> None:
        """Nothing to do: the keys live in memory."""

    def close(self) -> None:
        """Drop the keys."""
        self._parts = []


def memory_sorters() -> KeySorter:
    """A fresh :class:`MemoryKeys` (the :data:`Sorters` of an in-memory run)."""
    return MemoryKeys()


def distinct_chunks(chunks: Iterable[NDArray[np.uint64]]) -> Iterator[NDArray[np.uint64]]:
    """The chunks of an ascending stream with every repeat dropped, also across chunk boundaries (no empty chunk).

    Raises:
        ArgumentValueError: the stream is not ascending (a sorter that does not sort: a bug).

    >>> [c.tolist() for c in distinct_chunks([np.array([1, 1, 2], dtype=np.uint64), np.array([2, 4], dtype=np.uint64)])]
    [[1, 2], [4]]
    """
    last: np.uint64 | None = None
    for number, chunk in enumerate(chunks):
        if not chunk.size:
            continue
        if (last is not None and chunk[0] < last) or bool(np.any(chunk[1:] < chunk[:-1])):
            raise ArgumentValueError(f"distinct_chunks: chunk {number} breaks the ascending order")
        out = distinct(chunk)
        if last is not None and out[0] == last:
            out = out[1:]
        if out.size:
            last = out[-1]
            yield out
