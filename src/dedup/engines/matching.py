"""Near-duplicates over stores: the finder of :mod:`dedup.near` on paragraphs that live on disk.

The candidates are the finder's own: pairs sharing an LSH band key (each band's keys sorted on their
own, spilling under the budget), the screen's pairs within documents (saved in each store), and the
prefix join across documents; they are made distinct by a spilling sort and verified chunk by chunk
(:func:`dedup.near.decide.decide`). The stores are an index's segments (earlier crawls, which come first
in the keep rule's order) and the run's own store, one after the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup._memory import release
from dedup.config import Config
from dedup.engines.store import Stores
from dedup.near.banding import band_pair_chunks, choose_banding
from dedup.near.decide import Decisions, decide
from dedup.near.pairs import Pairs, nonzero_positions
from dedup.near.prefix import containment_pair_chunks
from dedup.near.sorting import KeySorter, Sorters, distinct_chunks

__all__ = ["CANDIDATE_CHUNK", "match_stores"]

CANDIDATE_CHUNK = 1 << 20
"""Candidate pairs verified at a time (8 MB packed; unpacked, oriented and scored, some 60 MB in all)."""


def match_stores(
    stores: Stores, doc: NDArray[np.integer[Any]], config: Config, sorters: Sorters, *, found: KeySorter | None = None
) -> Decisions:
    """The keep rule's decisions for the paragraphs of ``stores``, ``doc`` giving each position's document rank.

    ``found`` gathers the candidate pairs (default: one of ``sorters``; it takes ownership). It lives through
    the band step and the prefix join, beside their own sorts, so a streaming run gives it a smaller share.
    """
    dedup = config.dedup
    sizes = stores.sizes()
    found = sorters() if found is None else found
    try:
        _add_band_pairs(found, stores, doc, config, sorters)
        found.flush()  # the band pairs so far go to disk: the prefix join's sort needs the room
        release()
        for base, store in zip(stores.bases.tolist(), stores.stores, strict=False):
            screened = np.load(store.folder / "screen.npy") + base
            found.add(Pairs(screened[:, 0], screened[:, 1]).pack())
        if dedup.across_documents:
            rows = nonzero_positions(sizes >= max(dedup.min_shingles, dedup.min_contained_shingles))
            for pairs in containment_pair_chunks(stores, rows, doc, dedup.containment, sorters):
                found.add(pairs.pack())
            del rows
            release()

        def text_hashes(nodes: NDArray[np.int64]) -> NDArray[np.int64]:
            return stores.column("text", nodes)

        candidates = _unpacked(distinct_chunks(found.chunks(chunk_keys=CANDIDATE_CHUNK)))
        return decide(stores, doc, candidates, text_hashes, dedup)
    finally:
        found.close()


def _add_band_pairs(
    found: KeySorter, stores: Stores, doc: NDArray[np.integer[Any]], config: Config, sorters: Sorters
) -> None:
    """Add the pairs of eligible paragraphs that share a band key (within a document only, unless across)."""
    sizes = stores.sizes()
    eligible = nonzero_positions(sizes >= config.dedup.min_shingles)
    bands = choose_banding(config.dedup.lsh_threshold, config.minhash.num_perm).bands

    def hashes_of(band: int) -> Iterator[tuple[NDArray[np.uint64], NDArray[np.int64]]]:
        before = 0  # eligible positions in the windows before: windows come in position order
        for base, store, lo, hi in stores.windows():
            keep = sizes[base + lo : base + hi] >= config.dedup.min_shingles
            count = int(np.count_nonzero(keep))
            yield store.band(band, lo, hi)[keep], np.arange(before, before + count, dtype=np.int64)
            before += count

    for pairs in band_pair_chunks(hashes_of, bands, eligible.size, sorters):
        left, right = pairs.of(eligible)
        if not config.dedup.across_documents:
            same = doc[left] == doc[right]
            left, right = left[same], right[same]
        found.add(Pairs(left, right).pack())


def _unpacked(chunks: Iterator[NDArray[np.uint64]]) -> Iterator[Pairs]:
    """Packed pairs as pairs."""
    for chunk in chunks:
        yield Pairs.unpack(chunk)
