"""The corpus's documents as a few integers each: where they are, their rank in the keep rule's order, which
ids repeat, and how many pages each site has.

Built from the finished shards' per-document arrays (:mod:`dedup.engines.extract`); ids are sorted under
the memory budget (:func:`dedup.io.spill.rank_strings`), so no id is held as a Python object beyond a
sorted run. A document whose id an earlier document has is *dropped*: a JSONL stream reports it as an
error skip (as :func:`dedup.io.jsonl.read_jsonl` does), and the library refuses the input.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.config import Order
from dedup.engines.shard import load_array
from dedup.io.spill import rank_strings
from dedup.near.pairs import narrowed

__all__ = ["Documents", "IdBytes", "id_bytes", "ids_of", "read_documents", "site_index"]


@dataclass(frozen=True, slots=True, eq=False)
class Documents:
    """The documents of a run, numbered in input order (skips left out).

    Attributes:
        shards: the finished shard folders, in input order.
        bases: ``bases[s]`` is the number of shard ``s``'s first document (length ``len(shards) + 1``).
        rank: each document's rank in the keep rule's order (sorted ids, or input order).
        by_rank: the documents in rank order.
        first_of: for each dropped document (a repeated id), the document that first had the id.
        sites: the distinct site digests of the documents kept, ``(k, 2)`` sorted, and ``pages``: how
            many documents have each.
    """

    shards: tuple[Path, ...]
    bases: NDArray[np.int64]
    rank: NDArray[np.signedinteger[Any]]
    by_rank: NDArray[np.signedinteger[Any]]
    first_of: dict[int, int]
    sites: NDArray[np.uint64]
    pages: NDArray[np.int64]

    @property
    def count(self) -> int:
        """The number of documents."""
        return int(self.bases[-1])

    def dropped(self) -> NDArray[np.bool_]:
        """Which documents are dropped (their id repeats an earlier one's)."""
        out = np.zeros(self.count, dtype=np.bool_)
        out[list(self.first_of)] = True
        return out

    def locate(self, docs: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(shard, local number)`` of documents."""
        shard = np.searchsorted(self.bases, docs, side="right") - 1
        return shard, docs - self.bases[shard]


def read_documents(shards: Sequence[Path], order: Order, scratch: Path, budget: int) -> Documents:
    """The documents of finished ``shards``: ranks by ``order``, repeated ids, site page counts."""
    counts = [int(load_array(s, "doc_line").size) for s in shards]
    bases = np.zeros(len(shards) + 1, dtype=np.int64)
    np.cumsum(counts, out=bases[1:])
    sorted_ids = rank_strings(_id_batches(shards), scratch, budget)
    first_of = {int(later): int(first) for first, later in sorted_ids.duplicates.tolist()}
    n = int(bases[-1])
    by_rank = narrowed(np.asarray(sorted_ids.order) if order == "id" else np.arange(n))  # int32: 4 bytes a document
    rank = np.empty_like(by_rank)
    rank[by_rank] = np.arange(n, dtype=by_rank.dtype)
    dropped = np.zeros(n, dtype=np.bool_)
    dropped[list(first_of)] = True
    sites, pages = _site_pages(shards, dropped, bases)
    return Documents(tuple(shards), bases, rank, by_rank, first_of, sites, pages)


def ids_of(docs: Documents, numbers: NDArray[np.int64]) -> list[bytes]:
    """The UTF-8 ids of documents ``numbers``, in that order; each shard's ids are read once, whatever the order
    (the keep rule's order visits the shards at random)."""
    out: list[bytes] = [b""] * numbers.size
    shard, local = docs.locate(numbers)
    order = np.argsort(shard, kind="stable")
    cuts = np.searchsorted(shard[order], np.arange(len(docs.shards) + 1))
    for k in np.flatnonzero(np.diff(cuts)).tolist():
        ids = _shard_ids(docs.shards[k])
        for i in order[cuts[k] : cuts[k + 1]].tolist():
            out[i] = ids[int(local[i])]
    return out


@dataclass(frozen=True, slots=True, eq=False)
class IdBytes:
    """Ids as one byte array: id ``i`` is ``blob[offsets[i]:offsets[i + 1]]`` (UTF-8), a few bytes each where a
    Python string takes some 60 bytes more."""

    blob: NDArray[np.uint8]
    offsets: NDArray[np.int64]

    def text(self, i: int) -> str:
        """Id ``i`` as a string."""
        return self.blob[self.offsets[i] : self.offsets[i + 1]].tobytes().decode("utf-8", "surrogatepass")


def id_bytes(docs: Documents, numbers: NDArray[np.int64]) -> IdBytes:
    """The ids of documents ``numbers``, in that order, as :class:`IdBytes`; each shard's id offsets, then its id
    bytes, are read once, whatever the order."""
    shard, local = docs.locate(numbers)
    order = np.argsort(shard, kind="stable")
    cuts = np.searchsorted(shard[order], np.arange(len(docs.shards) + 1))
    present = np.flatnonzero(np.diff(cuts)).tolist()
    begins = np.zeros(numbers.size, dtype=np.int64)  # where each id starts in its shard's id bytes
    lengths = np.zeros(numbers.size, dtype=np.int64)
    for k in present:
        which = order[cuts[k] : cuts[k + 1]]
        starts = np.asarray(load_array(docs.shards[k], "doc_id_off"), dtype=np.int64)
        begins[which] = starts[local[which]]
        lengths[which] = starts[local[which] + 1] - begins[which]
    offsets = np.zeros(numbers.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    blob = np.empty(int(offsets[-1]), dtype=np.uint8)
    for k in present:
        which = order[cuts[k] : cuts[k + 1]]
        starts = begins[which]
        sizes = lengths[which]
        inside = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        blob[np.repeat(offsets[which], sizes) + inside] = load_array(docs.shards[k], "doc_ids")[
            np.repeat(starts, sizes) + inside
        ]
    return IdBytes(blob, offsets)


def _shard_ids(shard: Path) -> list[bytes]:
    """A shard's document ids as UTF-8 bytes (whose byte order is the ids' code point order)."""
    blob = load_array(shard, "doc_ids").tobytes()
    offsets = load_array(shard, "doc_id_off").tolist()
    return [blob[a:b] for a, b in itertools.pairwise(offsets)]


def _id_batches(shards: Sequence[Path]) -> Iterator[list[bytes]]:
    """Each shard's document ids."""
    return map(_shard_ids, shards)


def _site_pages(
    shards: Sequence[Path], dropped: NDArray[np.bool_], bases: NDArray[np.int64]
) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
    """The distinct site digests of the documents kept (sorted) and their page counts."""
    digests = []
    for k, shard in enumerate(shards):
        has = np.array(load_array(shard, "doc_has_site"), dtype=np.bool_) & ~dropped[bases[k] : bases[k + 1]]
        digests.append(np.asarray(load_array(shard, "doc_site"), dtype=np.uint64)[has])
    sites = np.concatenate(digests) if digests else np.zeros((0, 2), np.uint64)
    if not sites.size:
        return np.zeros((0, 2), np.uint64), np.zeros(0, np.int64)
    order = np.lexsort((sites[:, 1], sites[:, 0]))
    sites = sites[order]
    new = np.r_[True, (sites[1:] != sites[:-1]).any(axis=1)]
    starts = np.flatnonzero(new)
    pages = np.diff(np.append(starts, sites.shape[0]))
    return sites[starts], pages.astype(np.int64)


def site_index(sites: NDArray[np.uint64], digests: NDArray[np.uint64]) -> NDArray[np.int64]:
    """The row of each digest in the sorted ``sites`` (-1 where absent).

    >>> sites = np.array([[1, 5], [1, 7], [3, 0]], np.uint64)
    >>> site_index(sites, np.array([[1, 7], [3, 1], [0, 0]], np.uint64)).tolist()
    [1, -1, -1]
    """
    out = np.full(digests.shape[0], -1, dtype=np.int64)
    if not sites.size or not digests.size:
        return out
    every = np.concatenate([sites, digests])
    order = np.lexsort((np.arange(every.shape[0]), every[:, 1], every[:, 0]))  # a site row before equal digests
    ordered = every[order]
    new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    head = np.maximum.accumulate(np.where(new, np.arange(order.size), 0))
    found = order[head]  # the first row of each run of equal values: a site row if the site is there
    is_digest = order >= sites.shape[0]
    hit = is_digest & (found < sites.shape[0])
    out[order[hit] - sites.shape[0]] = found[hit]
    return out
