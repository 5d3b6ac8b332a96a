"""Sorting under a memory budget: sorted runs spill to a scratch folder and are merged back a block at a time.

- :class:`SortedKeys` collects uint64 keys and hands them back ascending, in chunks; with ``group_shift``
  every group of keys (equal ``key >> group_shift``) comes whole in one chunk.
- :func:`rank_strings` sorts byte strings (document ids) stably and lists the ones given more than once.

Runs are files in a folder the caller owns, under names unique to each sort (several sorts may share the
folder), deleted once the sort has been read or closed. A merge holds one block of each run, so resident
memory stays within the budget however many keys come; when there are too many runs for the blocks to fit,
groups of runs are first merged into longer runs on disk.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> with SortedKeys(folder, budget=4096) as keys:
...     keys.add(np.array([5, 3, 5, 1], dtype=np.uint64))
...     [chunk.tolist() for chunk in keys.chunks()]
[[1, 3, 5, 5]]
>>> rank_strings([[b"b", b"a"], [b"b"]], folder, budget=4096)
StringOrder(order=array([1, 0, 2]), duplicates=array([[0, 2]]))
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from dedup._check import check_int, check_type, type_error
from dedup._memory import release
from dedup.errors import ArgumentTypeError, ArgumentValueError, UsageError
from dedup.io._runs import (
    ENTRY_BYTES,
    KEY_BYTES,
    MIN_BLOCK_KEYS,
    MIN_STRING_BLOCK,
    KeyRun,
    StringRun,
    delete_strings,
    merge_keys,
    merge_strings,
    reduce_runs,
    sort_ids,
    write_keys,
    write_strings,
)

__all__ = ["MIN_BUDGET", "SortedKeys", "StringOrder", "rank_strings"]

MIN_BUDGET = 4096
"""The smallest memory budget, in bytes, a sort accepts (small budgets work, with many runs and merge passes)."""


class StringOrder(NamedTuple):
    """What :func:`rank_strings` finds: the stable sort order of the ids and the repeated ones."""

    order: NDArray[np.int64]
    """The numbers of the ids sorted by (id bytes, number): a stable argsort."""
    duplicates: NDArray[np.int64]
    """Shape (k, 2): (first number, later number) for each later occurrence of an id, by later number."""


def _check_budget(func: str, folder: Path, budget: int) -> None:
    """Raise unless ``folder`` is an existing folder and ``budget`` an int of at least :data:`MIN_BUDGET`."""
    check_type(func, "folder", folder, Path)
    check_int(func, "budget", budget)
    if budget < MIN_BUDGET:
        raise ArgumentValueError(f"{func}: budget must be at least {MIN_BUDGET} bytes, not {budget}")
    if not folder.is_dir():
        raise ArgumentValueError(f"{func}: folder {folder} is not an existing folder")


def _split(keys: NDArray[np.uint64], size: int, shift: int, final: bool) -> tuple[list[NDArray[np.uint64]], int]:
    """Cut ascending ``keys`` into chunks of about ``size``, never inside a group of equal ``key >> shift``.

    Returns the chunks and where the rest begins: unless ``final``, the keys after the last cut are held back
    for the next call (they include the last group, which more keys may extend).

    >>> keys = np.array([1, 2, 3, 8, 9, 10, 17], dtype=np.uint64)
    >>> chunks, rest = _split(keys, 2, 3, final=False)
    >>> [c.tolist() for c in chunks], keys[rest:].tolist()
    ([[1, 2, 3], [8, 9, 10]], [17])
    """
    n = len(keys)
    cuts = np.arange(size, n if shift else n + 1, size)
    if shift:  # move every cut back to the start of its group
        mask = np.uint64(((1 << 64) - 1) ^ ((1 << shift) - 1))
        cuts = np.searchsorted(keys, keys[cuts] & mask, "left")
        cuts = np.unique(cuts[cuts > 0])
    end = n if final else int(cuts[-1]) if len(cuts) else 0
    bounds = [0, *cuts[cuts < end].tolist(), end]
    return [keys[a:b] for a, b in itertools.pairwise(bounds) if b > a], end


def _rechunk(pieces: Iterable[NDArray[np.uint64]], size: int, shift: int) -> Iterator[NDArray[np.uint64]]:
    """The keys of ascending ``pieces`` again, in chunks of about ``size`` keys that keep every group whole."""
    pending: list[NDArray[np.uint64]] = []
    held = 0
    need = size
    for piece in pieces:
        pending.append(piece)
        held += len(piece)
        if held >= need:
            keys = np.concatenate(pending)
            chunks, rest = _split(keys, size, shift, final=False)
            pending = [keys[rest:].copy()] if rest < len(keys) else []
            held = len(keys) - rest
            need = max(size, 2 * held)  # a huge group is joined O(log) times, not once per piece
            del keys
            yield from chunks
    if pending:
        yield from _split(np.concatenate(pending), size, shift, final=True)[0]


class SortedKeys:
    """Collects uint64 keys and hands them back ascending (repeats kept), spilling sorted runs past a budget.

    Keys go into a buffer of half the budget; when it is full and more come, it is sorted in place and written
    to ``folder`` as a run. Reading merges the runs a block at a time; without runs, it is one sort in place.
    The buffer is reserved whole at the first key: its pages take memory only as keys fill them, and it is
    never copied to grow (a doubling buffer would hold its old and new halves at once).

    Args:
        folder: an existing private scratch folder; run files get names unique to this object.
        budget: bytes of memory this object may use: half for the buffer, the rest for sorting and merging.

    >>> import tempfile
    >>> keys = SortedKeys(Path(tempfile.mkdtemp()), budget=4096)
    >>> keys.add(np.arange(1000, 0, -1, dtype=np.uint64))  # 8000 bytes: more than the buffer holds
    >>> keys.count, keys.spilled
    (1000, True)
    >>> chunks = list(keys.chunks(group_shift=4, chunk_keys=100))
    >>> np.array_equal(np.concatenate(chunks), np.arange(1, 1001))
    True
    >>> [(int(c[0]), int(c[-1])) for c in chunks[:3]]  # about 100 keys each, cut where key >> 4 changes
    [(1, 95), (96, 191), (192, 287)]
    """

    def __init__(self, folder: Path, budget: int) -> None:
        _check_budget("SortedKeys", folder, budget)
        self._folder = folder
        self._budget = int(budget)
        self._capacity = self._budget // (2 * KEY_BYTES)
        self._buffer: NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._fill = 0
        self._count = 0
        self._runs: list[KeyRun] = []
        self._spilled = False
        self._state: Literal["open", "read", "closed"] = "open"

    @property
    def count(self) -> int:
        """How many keys were added so far."""
        return self._count

    @property
    def spilled(self) -> bool:
        """Whether any run went to disk."""
        return self._spilled

    def add(self, keys: NDArray[np.uint64]) -> None:
        """Add a copy of ``keys`` (a 1-D uint64 array of any length)."""
        if not isinstance(keys, np.ndarray) or keys.dtype != np.uint64 or keys.ndim != 1:
            got = f"a {keys.ndim}-D {keys.dtype} array" if isinstance(keys, np.ndarray) else type(keys).__name__
            raise ArgumentTypeError(f"SortedKeys.add: keys must be a 1-D uint64 array, not {got}")
        self._check_open("add")
        done = 0
        while done < len(keys):
            if self._fill == self._capacity:
                self._spill()
            take = min(self._capacity - self._fill, len(keys) - done)
            self._reserve(self._fill + take)
            self._buffer[self._fill : self._fill + take] = keys[done : done + take]
            self._fill += take
            self._count += take
            done += take

    def chunks(self, *, group_shift: int = 0, chunk_keys: int = 0) -> Iterator[NDArray[np.uint64]]:
        """Every key added, ascending, as consecutive chunks, each a fresh array the caller may keep or change.

        Args:
            group_shift: if above 0, no chunk boundary falls between two keys with equal ``key >> group_shift``:
                every such group comes whole in one chunk, even if that makes the chunk larger than usual.
            chunk_keys: about how many keys per chunk; 0 takes it from the budget (an eighth of it), spilled or
                not, so what a caller makes from a chunk stays bounded however many keys came.

        Raises:
            UsageError: the keys were already read, or the object is closed (the keys can be read once).

        The run files are deleted when the iteration ends or the iterator is closed (as when it is dropped
        half-way), and by :meth:`close` (which a ``with`` block calls) in any case.
        """
        check_int("SortedKeys.chunks", "group_shift", group_shift)
        check_int("SortedKeys.chunks", "chunk_keys", chunk_keys)
        if not 0 <= group_shift < 64:
            raise ArgumentValueError(f"SortedKeys.chunks: group_shift must be in 0..63, not {group_shift}")
        if chunk_keys < 0:
            raise ArgumentValueError(f"SortedKeys.chunks: chunk_keys must be at least 0, not {chunk_keys}")
        self._check_open("chunks")
        self._state = "read"
        return self._chunks(int(group_shift), int(chunk_keys))

    def flush(self) -> None:
        """Write the buffered keys as a run now and give the buffer back (its memory returns to the system); a
        later :meth:`add` reserves a new one. Lets a long-lived sort make room for another one's buffer.

        Raises:
            UsageError: the keys were already read, or the object is closed.
        """
        self._check_open("flush")
        if self._fill:
            self._spill()
        self._buffer = np.empty(0, dtype=np.uint64)
        release()

    def close(self) -> None:
        """Delete the run files, drop the buffer and hand the heap's freed memory back; calling it again does
        nothing.

        A sort leaves the heap full of freed blocks of a few megabytes (its chunks and what the caller made
        from them): handed back (:func:`dedup._memory.release`), they no longer add to the next sort's peak
        (100 MB of the band step's peak at 3 M records, one sort per band).
        """
        if self._state == "closed":
            return
        for run in self._runs:
            run.path.unlink(missing_ok=True)
        self._runs = []
        self._buffer = np.empty(0, dtype=np.uint64)
        self._fill = 0
        self._state = "closed"
        release()

    def __enter__(self) -> SortedKeys:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_open(self, method: str) -> None:
        if self._state == "read":
            raise UsageError(f"SortedKeys.{method}: the keys were already read (chunks can be called once)")
        if self._state == "closed":
            raise UsageError(f"SortedKeys.{method}: the object is closed")

    def _reserve(self, size: int) -> None:
        """Reserve the whole buffer when it has to hold keys (``size`` of them) for the first time."""
        if size > len(self._buffer):
            self._buffer = np.empty(self._capacity, dtype=np.uint64)

    def _spill(self) -> None:
        """Sort the buffer in place and write it as a run."""
        keys = self._buffer[: self._fill]
        keys.sort()
        self._runs.append(write_keys(self._folder, [keys]))
        self._spilled = True
        self._fill = 0

    def _chunks(self, shift: int, size: int) -> Iterator[NDArray[np.uint64]]:
        try:
            if not self._runs:
                keys = self._buffer[: self._fill]
                self._buffer = np.empty(0, dtype=np.uint64)
                keys.sort()
                if len(keys):
                    yield from _split(keys, size or self._chunk_keys(), shift, final=True)[0]
                return
            if self._fill:
                self._spill()
            self._buffer = np.empty(0, dtype=np.uint64)
            fan_in = max(2, self._budget // (8 * KEY_BYTES * MIN_BLOCK_KEYS))
            reduce_runs(self._runs, fan_in, self._merge_to_run, lambda run: run.path.unlink(missing_ok=True))
            pieces = merge_keys(self._runs, self._block(len(self._runs)))
            yield from _rechunk(pieces, size or self._chunk_keys(), shift)
        finally:
            self.close()

    def _chunk_keys(self) -> int:
        """Keys per chunk when the caller does not say: an eighth of the budget's worth."""
        return max(1, self._budget // (8 * KEY_BYTES))

    def _block(self, runs: int) -> int:
        """Keys to read from each of ``runs`` runs at a time: all blocks together take an eighth of the budget."""
        return max(MIN_BLOCK_KEYS, self._budget // (8 * KEY_BYTES * runs))

    def _merge_to_run(self, runs: list[KeyRun]) -> KeyRun:
        return write_keys(self._folder, merge_keys(runs, self._block(len(runs))))


def rank_strings(batches: Iterable[Sequence[bytes]], folder: Path, budget: int) -> StringOrder:
    """Sort ids (UTF-8 bytes, so in code point order) stably within a memory budget and find the repeated ones.

    The i-th id of all the batches gets number i. Ids are held until they cost ``budget`` bytes (their
    length and :data:`ENTRY_BYTES` each), then sorted and written to ``folder`` as a run; the runs are merged
    a block at a time. Memory: the two output arrays (8 bytes an id, 16 a repeat) and about ``budget``.

    Raises:
        ArgumentTypeError: an id is not bytes.
        ScratchError: a run could not be written or read back.

    >>> import tempfile
    >>> found = rank_strings([[b"b", "é".encode(), b"a"], [b"b", b"b"]], Path(tempfile.mkdtemp()), budget=4096)
    >>> found.order.tolist(), found.duplicates.tolist()
    ([2, 0, 3, 4, 1], [[0, 3], [0, 4]])
    """
    _check_budget("rank_strings", folder, budget)
    budget = int(budget)
    runs: list[StringRun] = []

    def merge(group: list[StringRun]) -> StringRun:
        return write_strings(folder, merge_strings(group, budget))

    try:
        held, count = _take_ids(batches, folder, budget, runs)
        if not runs:
            return _collect([sort_ids(held, 0)], count)
        if held:
            runs.append(write_strings(folder, [sort_ids(held, count - len(held))]))
        del held
        reduce_runs(runs, max(2, budget // (2 * MIN_STRING_BLOCK)), merge, delete_strings)
        return _collect(merge_strings(runs, budget), count)
    finally:
        for run in runs:
            delete_strings(run)


def _take_ids(
    batches: Iterable[Sequence[bytes]], folder: Path, budget: int, runs: list[StringRun]
) -> tuple[list[bytes], int]:
    """Number the ids, adding a sorted run to ``runs`` whenever those held cost ``budget`` bytes.

    Returns the ids still held (the last ones) and how many ids there were.
    """
    held: list[bytes] = []
    cost = 0
    number = 0
    for batch in batches:
        _check_batch(batch, number)
        costs = np.cumsum(np.fromiter(map(len, batch), np.int64, len(batch)) + ENTRY_BYTES)
        start = 0
        while start < len(batch):
            before = int(costs[start - 1]) if start else 0
            stop = min(len(batch), int(np.searchsorted(costs, before + budget - cost, "left")) + 1)
            held.extend(batch[start:stop])
            cost += int(costs[stop - 1]) - before
            number += stop - start
            start = stop
            if cost >= budget:
                runs.append(write_strings(folder, [sort_ids(held, number - len(held))]))
                held = []
                cost = 0
    return held, number


def _check_batch(batch: Sequence[bytes], number: int) -> None:
    """Raise unless ``batch`` is a sequence of bytes (its first id being number ``number``)."""
    if isinstance(batch, bytes | bytearray | str):
        got = type(batch).__name__
        raise ArgumentTypeError(f"rank_strings: a batch must be a sequence of ids, not a single {got}")
    if not set(map(type, batch)) <= {bytes}:
        bad = next(i for i, ident in enumerate(batch) if type(ident) is not bytes)
        raise type_error("rank_strings", f"id {number + bad}", "bytes", batch[bad])


def _collect(blocks: Iterable[tuple[Sequence[bytes], NDArray[np.int64]]], count: int) -> StringOrder:
    """The :class:`StringOrder` of ``count`` (id, number) entries that come in (id, number) order, in blocks.

    Within a block the repeats are found with numpy: an id equal to the one before it is a later occurrence,
    and the first occurrence is the number at the start of its run of equal ids.
    """
    order = np.empty(count, dtype=np.int64)
    filled = 0
    found: list[NDArray[np.int64]] = []
    previous: bytes | None = None
    first = -1
    for ids, numbers in blocks:
        if not len(ids):
            continue
        order[filled : filled + len(ids)] = numbers
        filled += len(ids)
        same = np.empty(len(ids), dtype=bool)
        same[0] = ids[0] == previous
        same[1:] = np.fromiter(map(operator.eq, ids[1:], ids), dtype=bool, count=len(ids) - 1)
        starts = np.concatenate([[first], numbers[~same]])  # the run that goes on from the block before first
        firsts = starts[np.cumsum(~same)]
        found.append(np.stack([firsts[same], numbers[same]], axis=1))
        previous, first = ids[-1], int(firsts[-1])
    pairs = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
    return StringOrder(order, pairs[np.argsort(pairs[:, 1], kind="stable")])
