"""Paragraph stores: the matcher's input on disk, in position order, read a window at a time.

A store is a folder of ``.npy`` arrays over ``n`` paragraphs in *position* order (document order of
the keep rule, then place in the document): ``offsets`` and ``hashes`` (the shingle sets, CSR),
``bands`` (``(bands, n)`` LSH band hashes, keyed once positions are final), ``text`` (text digests),
``par`` (paragraph index in its document) and ``doc`` (its document's number). A run writes one
(:class:`StoreWriter`); an index is a list of them (its segments). :class:`Stores` serves several
stores, one after the other, as one :class:`~dedup.near.sets.SetSource`: passes over the sets read
windows of about a budget's worth, and pairs of sets are gathered a chunk at a time, so resident memory
stays bounded whatever the corpus size. Only the part of an array being read is mapped (a window, or
a span of :data:`SPAN_BYTES` while rows are gathered at random), and only while it is read.

>>> import tempfile, pathlib
>>> from dedup.hashing import shingle_hashes
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> sets = shingle_hashes(["a b c d", "a b c", "x y z"])
>>> with StoreWriter(folder, count=3, hashes=int(sets.hashes.size), bands=2) as out:
...     out.write(0, sets, np.zeros((2, 3), np.uint64), {"text": np.arange(3), "par": np.arange(3), "doc": np.zeros(3)})
>>> stores = Stores([Store(folder)], budget=1 << 20)
>>> stores.sizes().tolist(), [float(x) for x in stores.similarity(np.array([1]), np.array([0]))[1]]
([2, 1, 1], [1.0])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.lib import format as npformat
from numpy.lib.format import open_memmap
from numpy.typing import NDArray

from dedup.engines.work import read_json, write_json
from dedup.hashing import ShingleSets

__all__ = ["COLUMNS", "Store", "StoreWriter", "Stores", "joined"]

COLUMNS = ("text", "par", "doc")
"""The per-paragraph int64 columns of a store besides its sets and band hashes."""

MIN_WINDOW = 1 << 16
"""Hashes in the smallest window of :meth:`Stores.windows` (0.5 MB: smaller ones cost more in calls than they save)."""

GATHER_SHARE = 16
"""The sets of one chunk of :meth:`Stores.similarity` hold at most a sixteenth of the budget in hashes (16 MB of a
256 MB sort share), and the temporaries that gather them a few times that: a chunk's pairs are counted by their
sets' sizes, not by number, so large paragraphs make smaller chunks."""

SPAN_BYTES = 32 << 20
"""Bytes of a store array mapped at once while rows are gathered from it at random. The pages a gather
touches stay resident while their mapping lives, so a gather across a whole store (the sets of a chunk of
pairs, spread over every position) maps it one span at a time: otherwise the store's whole ``hashes``
file would count as the process's memory for as long as the gather lasts."""


class StoreWriter:
    """Writes a store of ``count`` paragraphs holding ``hashes`` shingle hashes, a window of consecutive
    positions at a time, in order, by plain file writes (resident memory holds one window, no file pages)."""

    def __init__(self, folder: Path, *, count: int, hashes: int, bands: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.count, self.hashes, self.bands = count, hashes, bands
        shapes = {"offsets": ((count + 1,), np.int64), "hashes": ((hashes,), np.uint64),
                  "bands": ((bands, count), np.uint64)} | dict.fromkeys(COLUMNS, ((count,), np.int64))  # fmt: skip
        for name, (shape, dtype) in shapes.items():
            array = open_memmap(folder / f"{name}.npy", mode="w+", dtype=dtype, shape=shape)
            del array
        self._next = 0
        self._base = 0

    def write(
        self, first: int, sets: ShingleSets, bands: NDArray[np.uint64], columns: Mapping[str, NDArray[np.generic]]
    ) -> None:
        """Write paragraphs ``first .. first + len(sets)`` (each window right after the previous one)."""
        count = sets.offsets.size - 1
        if first != self._next:
            raise ValueError(f"store windows must come in order: expected {self._next}, got {first}")
        if bands.shape != (self.bands, count):
            raise ValueError(f"band hashes of shape {bands.shape} for {self.bands} bands of {count} paragraphs")
        end = self._base + int(sets.hashes.size)
        self._put("offsets", first + 1, sets.offsets[1:] + self._base)
        self._put("hashes", self._base, sets.hashes)
        for band in range(self.bands):
            self._put("bands", band * self.count + first, bands[band])
        for name in COLUMNS:
            self._put(name, first, columns[name])
        self._next, self._base = first + count, end

    def _put(self, name: str, at: int, values: NDArray[np.generic]) -> None:
        """Write ``values`` from element ``at`` of array ``name`` (counted in its flat C order) by plain file
        writes: pages of a writable mapping would count as the process's memory until it was dropped."""
        dtype, start = _header(self.folder / f"{name}.npy", dims=None)
        data = np.ascontiguousarray(values, dtype=dtype)
        with open(self.folder / f"{name}.npy", "r+b") as out:
            out.seek(start + at * dtype.itemsize)
            out.write(data.data.cast("B"))

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()

    def close(self) -> None:
        """Check that every paragraph was written, and write ``meta.json`` (a store without it is incomplete)."""
        if self._next != self.count or self._base != self.hashes:
            raise ValueError(f"store holds {self._next} of {self.count} paragraphs and {self._base} of {self.hashes} "
                             "hashes")  # fmt: skip
        write_json(self.folder / "meta.json", {"count": self.count, "hashes": self.hashes, "bands": self.bands})


class Store:
    """A finished store, read through short-lived mappings."""

    def __init__(self, folder: Path) -> None:
        meta = read_json(folder / "meta.json")
        if not isinstance(meta, dict):
            raise ValueError(f"{folder} is not a finished store (no meta.json)")
        self.folder = folder
        self.count, self.hashes, self.bands = int(meta["count"]), int(meta["hashes"]), int(meta["bands"])
        self._headers: dict[str, tuple[np.dtype[Any], int]] = {}

    def mapped(self, name: str) -> NDArray[np.generic]:
        """Array ``name`` mapped read-only (drop it soon: its pages count as resident while mapped)."""
        array: NDArray[np.generic] = np.load(self.folder / f"{name}.npy", mmap_mode="r")
        return array

    def sizes(self) -> NDArray[np.int32]:
        """Each set's number of hashes (int32), from ``offsets`` read a span at a time."""
        out = np.empty(self.count, dtype=np.int32)
        step = max(1, SPAN_BYTES // 8)
        for lo in range(0, self.count, step):
            hi = min(self.count, lo + step)
            span = self._span("offsets", lo, hi + 1)
            out[lo:hi] = np.diff(span)
            del span
        return out

    def window(self, lo: int, hi: int) -> ShingleSets:
        """Sets ``lo .. hi - 1`` as sets of their own, copied."""
        offsets = np.array(self._span("offsets", lo, hi + 1), dtype=np.int64)
        start, end = int(offsets[0]), int(offsets[-1])
        hashes = self._span("hashes", start, end)
        sets = ShingleSets(offsets - start, np.array(hashes, dtype=np.uint64))
        del hashes
        return sets

    def take(self, ids: NDArray[np.int64]) -> ShingleSets:
        """Sets ``ids`` (in that order), copied; the ``hashes`` file is mapped a span at a time (:data:`SPAN_BYTES`)."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size > 1 and bool((ids[1:] < ids[:-1]).any()):
            order = np.argsort(ids, kind="stable")
            back = np.empty_like(order)
            back[order] = np.arange(order.size)
            return self.take(ids[order]).take(back)
        starts, ends = self.column("offsets", ids), self.column("offsets", ids + 1)
        offsets = np.zeros(ids.size + 1, dtype=np.int64)
        np.cumsum(ends - starts, out=offsets[1:])
        out = np.empty(int(offsets[-1]), dtype=np.uint64)
        for i, j in _runs(starts, ends, SPAN_BYTES // 8):
            lo, hi = int(starts[i]), int(ends[j - 1])
            piece = offsets[i : j + 1] - offsets[i]
            shift = np.repeat(starts[i:j] - lo - piece[:-1], ends[i:j] - starts[i:j])
            where = np.arange(piece[-1], dtype=np.int64) + shift  # each set's hashes, from the span's start
            span = self._span("hashes", lo, hi)
            out[offsets[i] : offsets[j]] = span[where]
            del span
        return ShingleSets(offsets, out)

    def column(self, name: str, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Values of an int64 array (a column, or ``offsets``) at ``ids`` (any order), mapped a span at a time."""
        ids = np.asarray(ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        ranked = ids[order]
        out = np.empty(ids.size, dtype=np.int64)
        for i, j in _runs(ranked, ranked + 1, SPAN_BYTES // 8):
            lo, hi = int(ranked[i]), int(ranked[j - 1]) + 1
            span = self._span(name, lo, hi)
            out[order[i:j]] = span[ranked[i:j] - lo]
            del span
        return out

    def _span(self, name: str, lo: int, hi: int) -> NDArray[np.generic]:
        """Elements ``lo .. hi - 1`` of a one-dimensional array, mapped read-only (only they are mapped)."""
        if name not in self._headers:
            self._headers[name] = _header(self.folder / f"{name}.npy")
        dtype, start = self._headers[name]
        if hi <= lo:
            return np.empty(0, dtype=dtype)
        return np.memmap(self.folder / f"{name}.npy", dtype=dtype, mode="r", offset=start + lo * dtype.itemsize,
                         shape=(hi - lo,))  # fmt: skip

    def band(self, band: int, lo: int, hi: int) -> NDArray[np.uint64]:
        """Band hashes of band ``band`` for paragraphs ``lo .. hi - 1``, copied."""
        array = self.mapped("bands")
        out = np.array(array[band, lo:hi], dtype=np.uint64)
        del array
        return out


class Stores:
    """Several stores one after the other as one :class:`~dedup.near.sets.SetSource`: positions of store ``k``
    come after those of the stores before it. ``budget`` bytes bound each window and chunk of gathered sets."""

    def __init__(self, stores: Sequence[Store], *, budget: int) -> None:
        self.stores = list(stores)
        self.budget = budget
        self.bases = np.zeros(len(self.stores) + 1, dtype=np.int64)
        np.cumsum([s.count for s in self.stores], out=self.bases[1:])
        sizes = [s.sizes() for s in self.stores]  # 4 bytes a paragraph
        self._sizes = np.concatenate(sizes or [np.empty(0, np.int32)])

    @property
    def count(self) -> int:
        """The number of paragraphs."""
        return int(self.bases[-1])

    @property
    def total(self) -> int:
        """The number of hashes in all sets."""
        return sum(s.hashes for s in self.stores)

    def sizes(self) -> NDArray[np.int32]:
        """Each set's number of hashes, by position (int32: one paragraph has fewer than 2**31 shingles)."""
        return self._sizes

    def windows(self) -> Iterator[tuple[int, Store, int, int]]:
        """``(base, store, lo, hi)``: ranges of each store of about a budget's worth of hashes (a tenth of it)."""
        per = max(MIN_WINDOW, self.budget // 80)
        most = max(1, per // 8)
        for base, store in zip(self.bases.tolist(), self.stores, strict=False):
            sizes = self._sizes[base : base + store.count]
            lo = 0
            while lo < store.count:
                ends = np.cumsum(sizes[lo : lo + most], dtype=np.int64)  # a window's worth, not the store's
                hi = lo + max(1, int(np.searchsorted(ends, per, side="right")))
                yield base, store, lo, hi
                lo = hi

    def parts(self) -> Iterator[tuple[NDArray[np.int64], ShingleSets]]:
        """Every set once, a window at a time."""
        for base, store, lo, hi in self.windows():
            yield np.arange(base + lo, base + hi, dtype=np.int64), store.window(lo, hi)

    def take(self, ids: NDArray[np.int64]) -> ShingleSets:
        """Sets at positions ``ids`` (ascending), copied into one CSR."""
        parts: list[ShingleSets] = []
        cuts = np.searchsorted(ids, self.bases)
        for k, store in enumerate(self.stores):
            if cuts[k + 1] > cuts[k]:
                parts.append(store.take(ids[cuts[k] : cuts[k + 1]] - self.bases[k]))
        return joined(parts)

    def column(self, name: str, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """An int64 column at positions ``ids`` (any order)."""
        out = np.empty(ids.size, dtype=np.int64)
        which = np.searchsorted(self.bases, ids, side="right") - 1
        for k, store in enumerate(self.stores):
            hit = which == k
            if hit.any():
                out[hit] = store.column(name, ids[hit] - self.bases[k])
        return out

    def similarity(
        self, left: NDArray[np.int64], right: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Exact ``(jaccard, containment)`` of set pairs, a chunk of pairs at a time."""
        jaccard = np.empty(left.size, dtype=np.float64)
        contained = np.empty(left.size, dtype=np.float64)
        for lo, hi in self._pair_chunks(left, right):
            a, b = left[lo:hi], right[lo:hi]
            ids = np.unique(np.concatenate([a, b]))
            sets = self.take(ids)
            jaccard[lo:hi], contained[lo:hi] = sets.similarity(np.searchsorted(ids, a), np.searchsorted(ids, b))
            del sets
        return jaccard, contained

    def _pair_chunks(self, left: NDArray[np.int64], right: NDArray[np.int64]) -> Iterator[tuple[int, int]]:
        """Ranges of pairs whose sets hold at most :data:`GATHER_SHARE` of the budget in hashes (at least one pair)."""
        limit = max(MIN_WINDOW, self.budget // (GATHER_SHARE * 8))
        ends = np.cumsum(np.add(self._sizes[left], self._sizes[right], dtype=np.int64))
        lo = 0
        while lo < left.size:
            before = int(ends[lo - 1]) if lo else 0
            hi = max(lo + 1, int(np.searchsorted(ends, before + limit, side="right")))
            yield lo, hi
            lo = hi


def _header(path: Path, *, dims: int | None = 1) -> tuple[np.dtype[Any], int]:
    """The dtype of an ``.npy`` file (of ``dims`` dimensions, unless ``None``) and where its data starts."""
    with path.open("rb") as f:
        version = npformat.read_magic(f)
        read = npformat.read_array_header_1_0 if version == (1, 0) else npformat.read_array_header_2_0
        shape, fortran, dtype = read(f)
        if dims is not None and len(shape) != dims:
            raise ValueError(f"{path} is not a {dims}-dimensional array")
        if fortran and len(shape) > 1:
            raise ValueError(f"{path} is in Fortran order")
        return np.dtype(dtype), f.tell()


def _runs(first: NDArray[np.int64], last: NDArray[np.int64], span: int) -> Iterator[tuple[int, int]]:
    """Rows ``i .. j - 1`` at a time whose extent (``first[i]`` to ``last[j - 1]``, both ascending) stays within
    ``span`` elements, or a single row when it alone is longer.

    >>> list(_runs(np.array([0, 2, 9, 10]), np.array([2, 3, 10, 40]), 5))
    [(0, 2), (2, 3), (3, 4)]
    """
    i = 0
    while i < first.size:
        j = max(i + 1, int(np.searchsorted(last, first[i] + span, side="right")))
        yield i, j
        i = j


def joined(parts: Sequence[ShingleSets]) -> ShingleSets:
    """Sets of several CSR parts, one after the other, as one CSR."""
    if len(parts) == 1:
        return parts[0]
    sizes = np.concatenate([np.diff(p.offsets) for p in parts] or [np.empty(0, np.int64)])
    offsets = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    hashes = np.concatenate([p.hashes for p in parts] or [np.empty(0, np.uint64)])
    return ShingleSets(offsets, hashes)
