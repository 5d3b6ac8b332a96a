"""Sorted runs on disk for :mod:`dedup.io.spill`: writing them, reading them back a block at a time, merging.

A run of keys is a file of ascending uint64; a run of ids is two files, their bytes back to back and an
(end offset, number) pair of int64 for each. Every file gets a fresh name from :func:`tempfile.mkstemp`, so
several sorts can share a folder. A failed write deletes what it began and raises
:class:`~dedup.errors.ScratchError`, as does a run that cannot be read back whole.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> runs = [write_keys(folder, [np.array(keys, dtype=np.uint64)]) for keys in ([1, 4, 9], [2, 4, 5, 7])]
>>> [piece.tolist() for piece in merge_keys(runs, block=2)]
[[1, 2, 4, 4], [5, 7, 9]]
"""

from __future__ import annotations

import heapq
import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

from dedup.errors import ScratchError

KEY_BYTES = 8
MIN_BLOCK_KEYS = 16
"""The fewest keys a merge reads from a run at a time; it bounds how many runs one merge may take."""

ENTRY_BYTES = 128
"""What one id costs in memory besides its bytes: its bytes and tuple objects, a list slot, a number."""

MIN_STRING_BLOCK = 1024
"""The fewest bytes a merge of ids reads from a run at a time."""

R = TypeVar("R")


class KeyRun(NamedTuple):
    """A file of ascending uint64 keys."""

    path: Path
    length: int


class StringRun(NamedTuple):
    """A sorted run of ids: their bytes back to back, and for each an (end offset, number) pair of int64."""

    ids: Path
    table: Path
    length: int


def scratch_file(folder: Path, prefix: str) -> tuple[BinaryIO, Path]:
    """A new file in ``folder`` with a name no other sort uses, open for writing."""
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".run", dir=folder)
    except OSError as exc:
        raise ScratchError(exc.errno or 0, f"could not create a sorted run in {folder}: {exc.strerror or exc}") from exc
    return open(fd, "wb"), Path(name)


def failed_write(paths: Sequence[Path], exc: BaseException) -> BaseException:
    """Delete the half-written ``paths``; the error to raise for ``exc`` (an OSError becomes a ScratchError)."""
    for path in paths:
        path.unlink(missing_ok=True)
    if isinstance(exc, OSError) and not isinstance(exc, ScratchError):
        return ScratchError(exc.errno or 0, f"could not write sorted run {paths[0]}: {exc.strerror or exc}")
    return exc


def write_keys(folder: Path, pieces: Iterable[NDArray[np.uint64]]) -> KeyRun:
    """Write ascending ``pieces`` one after another as a new run in ``folder``."""
    file, path = scratch_file(folder, "keys-")
    length = 0
    try:
        with file:
            for piece in pieces:
                piece.tofile(file)
                length += len(piece)
    except BaseException as exc:
        raise failed_write([path], exc) from exc
    return KeyRun(path, length)


def read_keys(run: KeyRun, start: int, count: int) -> NDArray[np.uint64]:
    """Keys ``start`` to ``start + count`` of ``run``."""
    try:
        block = np.fromfile(run.path, dtype=np.uint64, count=count, offset=start * KEY_BYTES)
    except OSError as exc:
        raise ScratchError(exc.errno or 0, f"could not read sorted run {run.path}: {exc.strerror or exc}") from exc
    if len(block) != count:
        raise ScratchError(0, f"sorted run {run.path} was cut short: {len(block)} keys at key {start}, not {count}")
    return block


def merge_keys(runs: Sequence[KeyRun], block: int) -> Iterator[NDArray[np.uint64]]:
    """All keys of ``runs`` ascending, as pieces of at most ``block * len(runs)`` keys.

    Each step takes, from every run's current block, the keys up to the smallest last key among the blocks
    that have more behind them: nothing unread can be smaller, and that block is used up, so each step reads
    at least one new block. O(n log k) for n keys in k runs, without a Python loop per key.
    """
    done = [min(block, run.length) for run in runs]
    heads = [read_keys(run, 0, count) for run, count in zip(runs, done, strict=True)]
    while live := [i for i, head in enumerate(heads) if len(head)]:
        lasts = [heads[i][-1] for i in live if done[i] < runs[i].length]
        bound = min(lasts) if lasts else None
        cuts = [len(heads[i]) if bound is None else int(np.searchsorted(heads[i], bound, "right")) for i in live]
        piece = np.concatenate([heads[i][:cut] for i, cut in zip(live, cuts, strict=True)])
        piece.sort()
        for i, cut in zip(live, cuts, strict=True):
            heads[i] = heads[i][cut:]
            if not len(heads[i]) and done[i] < runs[i].length:
                count = min(block, runs[i].length - done[i])
                heads[i] = read_keys(runs[i], done[i], count)
                done[i] += count
        yield piece


def reduce_runs(runs: list[R], fan_in: int, merge: Callable[[list[R]], R], delete: Callable[[R], None]) -> None:
    """Merge the oldest ``fan_in`` runs into one until at most ``fan_in`` are left.

    ``runs`` changes in place and always names every file that exists, so its owner can delete them all
    after a failure.
    """
    while len(runs) > fan_in:
        group = runs[:fan_in]
        runs.append(merge(group))
        for run in group:
            delete(run)
        del runs[:fan_in]


def write_strings(folder: Path, blocks: Iterable[tuple[Sequence[bytes], NDArray[np.int64]]]) -> StringRun:
    """Write sorted ids as a new run in ``folder``, from blocks of (ids, their numbers)."""
    ids_file, ids_path = scratch_file(folder, "ids-")
    try:
        table_file, table_path = scratch_file(folder, "index-")
    except BaseException as exc:
        ids_file.close()
        raise failed_write([ids_path], exc) from exc
    length = 0
    offset = 0
    try:
        with ids_file, table_file:
            for ids, numbers in blocks:
                if not len(ids):
                    continue
                ids_file.writelines(ids)  # no joined copy of the block
                table = np.empty((len(ids), 2), dtype=np.int64)
                np.cumsum(np.fromiter(map(len, ids), np.int64, len(ids)), out=table[:, 0])
                table[:, 0] += offset
                table[:, 1] = numbers
                table_file.write(table.tobytes())
                offset = int(table[-1, 0])
                length += len(ids)
    except BaseException as exc:
        raise failed_write([ids_path, table_path], exc) from exc
    return StringRun(ids_path, table_path, length)


def delete_strings(run: StringRun) -> None:
    """Delete the files of ``run`` (those that are there)."""
    run.ids.unlink(missing_ok=True)
    run.table.unlink(missing_ok=True)


def read_exact(path: Path, start: int, size: int) -> bytes:
    """Bytes ``start`` to ``start + size`` of the run file ``path``."""
    try:
        with open(path, "rb") as file:
            file.seek(start)
            data = file.read(size)
    except OSError as exc:
        raise ScratchError(exc.errno or 0, f"could not read sorted run {path}: {exc.strerror or exc}") from exc
    if len(data) != size:
        raise ScratchError(0, f"sorted run {path} was cut short: {len(data)} bytes at byte {start}, not {size}")
    return data


def read_strings(run: StringRun, block: int) -> Iterator[tuple[bytes, int]]:
    """The (id, number) entries of ``run`` in order, reading about ``block`` bytes of it at a time."""
    entry = 0
    start = 0
    per_block = max(1, block // ENTRY_BYTES)
    while entry < run.length:
        count = min(per_block, run.length - entry)
        index = np.frombuffer(read_exact(run.table, 16 * entry, 16 * count), dtype=np.int64).reshape(-1, 2)
        take = max(1, int(np.searchsorted(index[:, 0], start + block, "right")))
        end = int(index[take - 1, 0])
        blob = read_exact(run.ids, start, end - start)
        bounds = (index[:take, 0] - start).tolist()
        ids = [blob[a:b] for a, b in itertools.pairwise([0, *bounds])]
        yield from zip(ids, index[:take, 1].tolist(), strict=True)
        entry += take
        start = end


def sort_ids(ids: list[bytes], first: int) -> tuple[list[bytes], NDArray[np.int64]]:
    """``ids``, numbered from ``first`` on, sorted stably: (the ids, their numbers) in (id, number) order."""
    perm = sorted(range(len(ids)), key=ids.__getitem__)
    return [ids[i] for i in perm], first + np.fromiter(perm, np.int64, len(perm))


def merge_strings(runs: Sequence[StringRun], budget: int) -> Iterator[tuple[Sequence[bytes], NDArray[np.int64]]]:
    """The entries of ``runs`` in (id, number) order, as blocks of (ids, their numbers).

    The blocks read from the runs take half of ``budget``, each block given out about a quarter.
    """
    block = max(MIN_STRING_BLOCK, budget // (2 * len(runs)))
    merged = heapq.merge(*(read_strings(run, block) for run in runs))
    while entries := list(itertools.islice(merged, max(1, budget // (4 * ENTRY_BYTES)))):
        ids, numbers = zip(*entries, strict=True)
        yield ids, np.array(numbers, dtype=np.int64)
