"""Sorting under a memory budget: SortedKeys against np.sort, rank_strings against a stable sorted(), on random
inputs with budgets small enough for many runs and merge passes, and large enough for none."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from budget import examples
from dedup.errors import ArgumentTypeError, ArgumentValueError, OutputWriteError, ScratchError, UsageError
from dedup.io import _runs, spill
from dedup.io.spill import MIN_BUDGET, SortedKeys, rank_strings
from dedup.near.sorting import distinct_chunks

TOP = 2**64 - 1
EDGES = [0, 1, 2, 2**32, 2**63 - 1, 2**63, TOP - 1, TOP]
BUDGETS = [MIN_BUDGET, 3 * MIN_BUDGET, 1 << 22]
"""The smallest budget (256 keys in the buffer, four runs a merge), a small one, and one nothing spills under."""


def u64(values: object) -> NDArray[np.uint64]:
    return np.array(values, dtype=np.uint64)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def batches_of(keys: NDArray[np.uint64], sizes: list[int]) -> Iterator[NDArray[np.uint64]]:
    """``keys`` cut into consecutive batches of the given sizes (cycled), empty batches included."""
    start = 0
    for size in itertools.cycle(sizes if any(sizes) else [*sizes, len(keys) + 1]):
        if start >= len(keys):
            return
        yield keys[start : start + size]
        start += size


def random_keys(seed: int, n: int, spread: int) -> NDArray[np.uint64]:
    """``n`` keys: many repeats when ``spread`` is small, edge values mixed in."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    if spread:
        keys = (keys % np.uint64(spread)) << np.uint64(rng.integers(0, 40))
    edges = rng.choice(u64(EDGES), size=n // 10)
    keys[rng.integers(0, n, size=len(edges))] = edges
    return keys


def sorted_chunks(folder: Path, budget: int, keys: NDArray[np.uint64], sizes: list[int], **kw: int) -> list[NDArray]:
    with SortedKeys(folder, budget) as sk:
        for batch in batches_of(keys, sizes):
            sk.add(batch)
        assert sk.count == len(keys)
        chunks = list(sk.chunks(**kw))
    assert files(folder) == []
    return chunks


def check_groups(chunks: list[NDArray[np.uint64]], shift: int) -> None:
    assert all(len(c) for c in chunks)
    if shift:
        for before, after in itertools.pairwise(chunks):
            assert int(before[-1]) >> shift != int(after[0]) >> shift, "a group was split across chunks"


@settings(max_examples=examples(120), deadline=None)
@given(
    st.integers(0, 2**32),
    st.integers(0, 3000),
    st.sampled_from([0, 3, 1000, 2**40]),
    st.lists(st.integers(0, 700), max_size=5),
    st.sampled_from(BUDGETS),
    st.sampled_from([0, 1, 4, 20, 63]),
    st.sampled_from([0, 1, 7, 100, 5000]),
)
def test_chunks_are_the_sorted_keys(
    seed: int, n: int, spread: int, sizes: list[int], budget: int, shift: int, chunk_keys: int
) -> None:
    keys = random_keys(seed, n, spread)
    with tempfile.TemporaryDirectory() as tmp:
        chunks = sorted_chunks(Path(tmp), budget, keys, sizes, group_shift=shift, chunk_keys=chunk_keys)
    got = np.concatenate(chunks) if chunks else u64([])
    assert got.dtype == np.uint64
    assert np.array_equal(got, np.sort(keys))
    check_groups(chunks, shift)
    if chunk_keys and not shift:  # no groups to keep whole: every chunk but the last has exactly chunk_keys
        assert all(len(c) == chunk_keys for c in chunks[:-1])
        assert all(len(c) <= chunk_keys for c in chunks)
    distinct = list(distinct_chunks(chunks))
    assert np.array_equal(np.concatenate(distinct) if distinct else u64([]), np.unique(keys))


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.sampled_from(EDGES) | st.integers(0, TOP), max_size=600), st.sampled_from(BUDGETS))
def test_any_keys_come_back_sorted(values: list[int], budget: int) -> None:
    keys = u64(values)
    with tempfile.TemporaryDirectory() as tmp:
        chunks = sorted_chunks(Path(tmp), budget, keys, [1, 50, 0, 300], group_shift=63, chunk_keys=5)
    assert [int(k) for c in chunks for k in c] == sorted(values)
    check_groups(chunks, 63)  # at most two groups: below 2**63 and from it


def test_edge_keys_with_many_runs(tmp_path: Path) -> None:
    keys = np.tile(u64([TOP, 0, TOP - 1, 1, 2**63, 2**63 - 1]), 1000)
    with SortedKeys(tmp_path, MIN_BUDGET) as sk:
        sk.add(keys)
        assert sk.spilled
        chunks = list(sk.chunks(chunk_keys=64))
    assert np.array_equal(np.concatenate(chunks), np.sort(keys))
    assert [c.tolist() for c in distinct_chunks(chunks)] == [[0], [1], [2**63 - 1], [2**63], [TOP - 1], [TOP]]


def test_chunk_sizes_follow_chunk_keys_and_groups(tmp_path: Path) -> None:
    keys = np.arange(10_000, dtype=np.uint64)[::-1].copy()  # groups of 16 keys with group_shift=4
    chunks = sorted_chunks(tmp_path, MIN_BUDGET, keys, [999], group_shift=4, chunk_keys=100)
    check_groups(chunks, 4)
    assert max(map(len, chunks)) <= 100 + 15  # a cut moves at most back to its group's start
    assert len(chunks) >= 10_000 // 115


def test_a_group_larger_than_everything_comes_whole(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    group = np.uint64(2**50)  # the keys with key >> 8 == 2**50
    before = rng.integers(0, group << np.uint64(8), size=3000, dtype=np.uint64)
    huge = (group << np.uint64(8)) + rng.integers(0, 256, size=20_000, dtype=np.uint64)
    after = rng.integers((group + np.uint64(1)) << np.uint64(8), TOP, size=3000, dtype=np.uint64, endpoint=True)
    keys = rng.permutation(np.concatenate([before, huge, after]))
    chunks = sorted_chunks(tmp_path, MIN_BUDGET, keys, [4000], group_shift=8, chunk_keys=50)
    assert np.array_equal(np.concatenate(chunks), np.sort(keys))
    check_groups(chunks, 8)
    holding = [c for c in chunks if np.any(c >> np.uint64(8) == group)]
    assert len(holding) == 1
    assert np.count_nonzero(holding[0] >> np.uint64(8) == group) == len(huge)
    assert len(holding[0]) < len(huge) + 100
    assert len(chunks) > 6000 // 100  # the keys before and after it still come in small chunks


def test_without_spilling_one_chunk_sorted_in_place(tmp_path: Path) -> None:
    keys = random_keys(1, 5000, 0)
    with SortedKeys(tmp_path, 1 << 20) as sk:
        sk.add(keys[:10])
        sk.add(u64([]))
        sk.add(keys[10:])
        assert (sk.count, sk.spilled, files(tmp_path)) == (5000, False, [])
        chunks = list(sk.chunks(group_shift=8))
    assert len(chunks) == 1
    assert np.array_equal(chunks[0], np.sort(keys))
    chunks[0][:] = 0  # the caller's to change: the source array is untouched
    assert not np.array_equal(keys, np.zeros_like(keys))


def test_without_spilling_the_keys_still_come_in_chunks_of_an_eighth_of_the_budget(tmp_path: Path) -> None:
    budget = 1 << 16  # a buffer of 4096 keys, chunks of about 1024
    keys = random_keys(2, 3000, 0)
    keys[100:400] = keys[100]  # one group of 300 equal keys
    with SortedKeys(tmp_path, budget) as sk:
        sk.add(keys)
        assert not sk.spilled
        chunks = list(sk.chunks(group_shift=4))
    assert np.array_equal(np.concatenate(chunks), np.sort(keys))
    assert len(chunks) >= 3
    assert all(len(c) <= budget // 64 + 300 for c in chunks)
    assert all(a[-1] >> np.uint64(4) != b[0] >> np.uint64(4) for a, b in itertools.pairwise(chunks))  # groups whole


def test_empty_input(tmp_path: Path) -> None:
    with SortedKeys(tmp_path, MIN_BUDGET) as sk:
        sk.add(u64([]))
        assert (sk.count, sk.spilled) == (0, False)
        assert list(sk.chunks(group_shift=3, chunk_keys=10)) == []
    assert list(distinct_chunks([])) == []
    assert list(distinct_chunks([u64([]), u64([])])) == []


def test_spilled_and_count_follow_the_buffer(tmp_path: Path) -> None:
    sk = SortedKeys(tmp_path, MIN_BUDGET)
    sk.add(u64(range(100)))
    assert (sk.count, sk.spilled, files(tmp_path)) == (100, False, [])
    sk.add(np.arange(100_000, dtype=np.uint64))  # far past the budget: several runs from one array
    assert sk.count == 100_100
    assert sk.spilled
    assert len(files(tmp_path)) >= 100_000 * 8 // MIN_BUDGET
    sk.close()
    assert files(tmp_path) == []
    sk.close()  # idempotent


def test_buffer_runs_stay_within_the_budget(tmp_path: Path) -> None:
    budget = 3 * MIN_BUDGET
    sk = SortedKeys(tmp_path, budget)
    for batch in batches_of(random_keys(2, 20_000, 0), [1, 333, 5000, 17]):
        sk.add(batch)
        assert all((tmp_path / name).stat().st_size <= budget // 2 for name in files(tmp_path))
    assert len(files(tmp_path)) >= 20_000 * 8 // (budget // 2)
    sk.close()


def test_merges_read_blocks_within_the_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    budget = 2 * MIN_BUDGET
    merges: list[tuple[int, int]] = []
    reads: list[int] = []
    pieces: list[int] = []
    merge_keys, read_keys = spill.merge_keys, _runs.read_keys

    def counting_merge(runs: list[_runs.KeyRun], block: int) -> Iterator[NDArray[np.uint64]]:
        merges.append((len(runs), block))
        for piece in merge_keys(runs, block):
            pieces.append(len(piece))
            yield piece

    def counting_read(run: _runs.KeyRun, start: int, count: int) -> NDArray[np.uint64]:
        reads.append(count)
        return read_keys(run, start, count)

    monkeypatch.setattr(spill, "merge_keys", counting_merge)
    monkeypatch.setattr(_runs, "read_keys", counting_read)
    keys = random_keys(3, 30_000, 1000)
    chunks = sorted_chunks(tmp_path, budget, keys, [30_000])
    assert np.array_equal(np.concatenate(chunks), np.sort(keys))
    assert len(merges) > 1, "expected merge passes before the last merge"
    assert all(runs * block * 8 <= budget // 8 for runs, block in merges)
    assert max(reads) <= max(block for _, block in merges)
    assert max(pieces) * 8 <= budget // 8
    assert max(map(len, chunks)) * 8 <= budget // 8  # the default chunk size takes an eighth too


def test_run_files_go_when_reading_stops_early(tmp_path: Path) -> None:
    sk = SortedKeys(tmp_path, MIN_BUDGET)
    sk.add(random_keys(4, 5000, 0))
    chunks = sk.chunks(chunk_keys=10)
    first = next(chunks)
    assert len(first) == 10
    assert files(tmp_path)
    sk.close()
    assert files(tmp_path) == []
    with SortedKeys(tmp_path, MIN_BUDGET) as sk:
        sk.add(random_keys(4, 5000, 0))
        for _ in sk.chunks(chunk_keys=10):
            break
    assert files(tmp_path) == []


def test_run_files_go_when_the_iterator_is_closed(tmp_path: Path) -> None:
    sk = SortedKeys(tmp_path, MIN_BUDGET)
    sk.add(random_keys(4, 5000, 0))
    chunks = sk.chunks()
    next(chunks)
    chunks.close()  # as when the consumer drops it
    assert files(tmp_path) == []


def test_two_sorts_share_a_folder(tmp_path: Path) -> None:
    one_keys, two_keys = random_keys(6, 4000, 0), random_keys(7, 3000, 50)
    one, two = SortedKeys(tmp_path, MIN_BUDGET), SortedKeys(tmp_path, 2 * MIN_BUDGET)
    for i in range(10):  # interleaved, so that both write runs while the other has some
        one.add(one_keys[300 * i : 300 * (i + 1)])
        two.add(two_keys[250 * i : 250 * (i + 1)])
    one.add(one_keys[300 * 10 :])
    two.add(two_keys[250 * 10 :])
    assert one.spilled
    assert two.spilled
    two_chunks = two.chunks(chunk_keys=100)
    first_two = next(two_chunks)
    got_one = np.concatenate(list(one.chunks(chunk_keys=100)))
    assert np.array_equal(got_one, np.sort(one_keys))
    assert files(tmp_path), "finishing one sort deleted the other's runs"
    got_two = np.concatenate([first_two, *two_chunks])
    assert np.array_equal(got_two, np.sort(two_keys))
    assert files(tmp_path) == []


def test_keys_are_read_once(tmp_path: Path) -> None:
    sk = SortedKeys(tmp_path, MIN_BUDGET)
    sk.add(u64([3, 1]))
    assert [c.tolist() for c in sk.chunks()] == [[1, 3]]
    with pytest.raises(UsageError, match="closed"):
        sk.chunks()
    with pytest.raises(UsageError, match="closed"):
        sk.add(u64([1]))
    sk = SortedKeys(tmp_path, MIN_BUDGET)
    sk.chunks()
    with pytest.raises(UsageError, match="already read"):
        sk.chunks()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda p: SortedKeys(p, MIN_BUDGET - 1), ArgumentValueError, "budget must be at least 4096 bytes, not 4095"),
        (lambda p: SortedKeys(p / "missing", MIN_BUDGET), ArgumentValueError, "missing is not an existing folder"),
        (lambda p: SortedKeys(str(p), MIN_BUDGET), ArgumentTypeError, "folder must be Path, not str"),
        (lambda p: SortedKeys(p, MIN_BUDGET).add(np.arange(3)), ArgumentTypeError, "1-D uint64 array, not a 1-D int64"),
        (lambda p: SortedKeys(p, MIN_BUDGET).add([1, 2]), ArgumentTypeError, "uint64 array, not list"),
        (lambda p: SortedKeys(p, MIN_BUDGET).chunks(group_shift=64), ArgumentValueError, "in 0..63, not 64"),
        (lambda p: SortedKeys(p, MIN_BUDGET).chunks(chunk_keys=-1), ArgumentValueError, "at least 0, not -1"),
        (lambda p: rank_strings([[b"a", "b"]], p, MIN_BUDGET), ArgumentTypeError, "id 1 must be bytes, not str"),
        (lambda p: rank_strings([b"ab"], p, MIN_BUDGET), ArgumentTypeError, "sequence of ids, not a single bytes"),
        (lambda p: rank_strings([], p, 100), ArgumentValueError, "rank_strings: budget must be at least"),
    ],
)
def test_bad_arguments_are_named(tmp_path: Path, call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call(tmp_path)  # type: ignore[operator]


def test_distinct_chunks_refuses_a_descending_stream() -> None:
    with pytest.raises(ArgumentValueError, match="chunk 1 breaks"):
        list(distinct_chunks([u64([1, 5]), u64([4, 6])]))
    with pytest.raises(ArgumentValueError, match="chunk 0 breaks"):
        list(distinct_chunks([u64([2, 1])]))


def test_a_run_cut_short_is_a_scratch_error(tmp_path: Path) -> None:
    sk = SortedKeys(tmp_path, MIN_BUDGET)
    sk.add(random_keys(8, 3000, 0))
    chunks = sk.chunks(chunk_keys=10)
    next(chunks)
    for name in files(tmp_path):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(ScratchError, match=r"sorted run .*keys-.* was cut short: 0 keys at key") as caught:
        list(chunks)
    assert isinstance(caught.value, OutputWriteError)
    assert files(tmp_path) == []


def test_a_run_that_cannot_be_written_is_a_scratch_error(tmp_path: Path) -> None:
    folder = tmp_path / "scratch"
    folder.mkdir()
    sk = SortedKeys(folder, MIN_BUDGET)
    folder.rmdir()
    with pytest.raises(ScratchError, match=r"could not create a sorted run in .*scratch: No such file"):
        sk.add(np.arange(1000, dtype=np.uint64))


def utf8_ids() -> st.SearchStrategy[bytes]:
    """Short ids over a few code points of every UTF-8 length: shared prefixes and repeats are common."""
    return st.text(alphabet="ab\u00e9\u00ff\u65e5\U0001f600", max_size=4).map(str.encode) | st.binary(max_size=3)


def reference(ids: list[bytes]) -> tuple[list[int], list[tuple[int, int]]]:
    first: dict[bytes, int] = {}
    duplicates = []
    for number, ident in enumerate(ids):
        if ident in first:
            duplicates.append((first[ident], number))
        else:
            first[ident] = number
    return sorted(range(len(ids)), key=lambda i: (ids[i], i)), duplicates


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(utf8_ids(), max_size=400), st.lists(st.integers(0, 150), max_size=4), st.sampled_from(BUDGETS))
def test_rank_strings_is_a_stable_argsort(ids: list[bytes], sizes: list[int], budget: int) -> None:
    batches = [ids[a:b] for a, b in itertools.pairwise([0, *itertools.accumulate(sizes or [len(ids)]), len(ids)])]
    with tempfile.TemporaryDirectory() as tmp:
        found = rank_strings(batches, Path(tmp), budget)
        assert files(Path(tmp)) == []
    order, duplicates = reference(ids)
    assert found.order.dtype == np.int64
    assert found.duplicates.dtype == np.int64
    assert found.order.tolist() == order
    assert found.duplicates.shape == (len(duplicates), 2)
    assert [tuple(row) for row in found.duplicates.tolist()] == duplicates


def test_utf8_byte_order_is_code_point_order(tmp_path: Path) -> None:
    texts = ["b", "a", "\uffff", "\U00010000", "é", "\u07ff", "\u0800", "", "z", "\U0010ffff", "ab", "a\x00"]
    found = rank_strings([[t.encode() for t in texts]], tmp_path, MIN_BUDGET)
    assert [texts[i] for i in found.order] == sorted(texts)


def test_rank_strings_with_many_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(9)
    words = [bytes(rng.integers(97, 100, size=rng.integers(0, 12)).astype(np.uint8)) for _ in range(3000)]
    ids = [words[i] for i in rng.integers(0, 1500, size=6000)] + ["Ünïcödé".encode()] * 3
    budget = 2 * MIN_BUDGET
    held: list[int] = []  # the cost of the ids of each run sorted in memory
    merged: list[int] = []  # the runs of each merge
    blocks: list[int] = []  # the bytes read from a run at a time, for each run of each merge
    sort_ids, merge_strings, read_strings = spill.sort_ids, spill.merge_strings, _runs.read_strings

    def recording_sort(ids: list[bytes], first: int) -> tuple[list[bytes], NDArray[np.int64]]:
        held.append(sum(len(ident) + _runs.ENTRY_BYTES for ident in ids))
        return sort_ids(ids, first)

    def recording_merge(runs: list[_runs.StringRun], budget: int) -> Iterator[tuple[list[bytes], NDArray]]:
        merged.append(len(runs))
        return merge_strings(runs, budget)

    def recording_read(run: _runs.StringRun, block: int) -> Iterator[tuple[bytes, int]]:
        blocks.append(block)
        return read_strings(run, block)

    monkeypatch.setattr(spill, "sort_ids", recording_sort)
    monkeypatch.setattr(spill, "merge_strings", recording_merge)
    monkeypatch.setattr(_runs, "read_strings", recording_read)
    found = rank_strings((ids[i : i + 700] for i in range(0, len(ids), 700)), tmp_path, budget)
    order, duplicates = reference(ids)
    assert found.order.tolist() == order
    assert [tuple(row) for row in found.duplicates.tolist()] == duplicates
    assert len(held) >= 6000 * _runs.ENTRY_BYTES // budget
    assert max(held) <= budget + 12 + _runs.ENTRY_BYTES  # the budget, passed by at most one id
    assert len(merged) > 1, "expected merge passes before the last merge"
    assert sum(merged) == len(blocks)
    for runs, start in zip(merged, itertools.accumulate([0, *merged]), strict=False):
        assert runs * blocks[start] <= budget // 2  # the blocks of one merge take half the budget
    assert files(tmp_path) == []


def test_rank_strings_deletes_its_runs_when_the_input_fails(tmp_path: Path) -> None:
    def batches() -> Iterator[list[bytes]]:
        yield [b"%d" % i for i in range(500)]
        assert files(tmp_path), "expected runs on disk by now"
        raise RuntimeError("input broke")

    with pytest.raises(RuntimeError, match="input broke"):
        rank_strings(batches(), tmp_path, MIN_BUDGET)
    assert files(tmp_path) == []


def test_rank_strings_of_nothing(tmp_path: Path) -> None:
    found = rank_strings([[], []], tmp_path, MIN_BUDGET)
    assert found.order.shape == (0,)
    assert found.duplicates.shape == (0, 2)


def test_flush_writes_the_buffer_as_a_run_and_the_keys_still_come_back(tmp_path: Path) -> None:
    keys = random_keys(3, 3000, 0)
    with SortedKeys(tmp_path, 1 << 20) as sk:  # room for every key: nothing would spill
        sk.flush()  # nothing buffered: no run
        assert (sk.spilled, files(tmp_path)) == (False, [])
        sk.add(keys[:1000])
        sk.flush()
        assert sk.spilled
        assert len(files(tmp_path)) == 1
        sk.add(keys[1000:])
        chunks = list(sk.chunks())
        with pytest.raises(UsageError):
            sk.flush()
    assert np.array_equal(np.concatenate(chunks), np.sort(keys))
    assert files(tmp_path) == []
