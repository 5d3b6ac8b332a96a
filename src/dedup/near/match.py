"""Near-duplicate paragraphs within and across documents: candidates, verification, clusters, keep rule.

The method, over the whole corpus at once:

1. **Shingles and signatures.** Every paragraph's word n-gram shingles (:mod:`dedup.hashing.shingle`) and
   their MinHash signature (:mod:`dedup.hashing.minhash`), batch by batch of whole documents.
2. **Candidates.** LSH banding tuned for ``DedupConfig.lsh_threshold`` (:mod:`dedup.near.banding`)
   finds similar pairs anywhere in the corpus. A short paragraph inside a much longer one has a
   Jaccard similarity too low for banding: within each document the containment screen
   (:func:`dedup.near.screen.screen_pairs`) finds it, and across documents a prefix join
   (:func:`dedup.near.prefix.containment_pairs`) finds every pair whose smaller paragraph may be contained
   in the larger, whatever their size ratio.
3. **Verification.** The exact Jaccard similarity and containment of the shingle sets. A pair is a
   duplicate when its Jaccard similarity reaches ``threshold`` or the smaller set's containment in the
   larger reaches ``containment``; paragraphs with fewer than ``min_shingles`` shingles never match,
   and a paragraph needs ``min_contained_shingles`` to count as contained.
4. **Clusters.** Connected components of the verified pairs (union-find).
5. **Keep rule.** A paragraph *extends* another when it contains it (containment at least
   ``containment``) and is more than a near-duplicate of it (Jaccard below ``threshold``): a lede
   repeated and then extended, a paragraph with a sentence added. A cluster's *representative* is,
   among its members that no member extends, the one in the earliest document (by
   ``DedupConfig.order``) and, within that document, the most complete one (the most distinct
   shingles), the first among equals. Every member that is an exact copy of the representative, a
   near-duplicate of it, or contained in it is removed and points at it, with that similarity.
   Members left over (joined to the cluster only through others) form clusters again among
   themselves, until none is left.

So within a document the first of equal repeats stays, and the more complete paragraph where one
contains the other; across documents the copy in the earliest document stays, and a paragraph that
extends it replaces it there: a contained paragraph is removed in favour of its container wherever
that is, and a paragraph is never removed in favour of one it contains. The result depends neither on the order of
the input (with ``order="id"``) nor on the number of threads. Every removal points at a kept
paragraph, and its similarity was measured against that paragraph.

>>> texts = ["the cat sat on the mat by the door", "the cat sat on the mat by the door!", "a dog"]
>>> m = match_texts(texts, [0, 1, 1], [0, 0, 1], DedupConfig(min_shingles=2))
>>> m.duplicate_of.tolist(), [KINDS[k] for k in m.kind]
([-1, 0, -1], ['kept', 'near', 'kept'])
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dedup.config import DedupConfig, MinHashConfig
from dedup.errors import ArgumentValueError
from dedup.hashing import ShingleSets, permutations, shingle_hashes
from dedup.near.banding import band_hashes, band_pair_chunks, choose_banding
from dedup.near.decide import KINDS, decide, oriented
from dedup.near.pairs import Pairs
from dedup.near.prefix import containment_pair_chunks
from dedup.near.screen import screen_pairs
from dedup.near.sets import MemorySets
from dedup.near.sorting import MemoryKeys, distinct_chunks, memory_sorters

__all__ = ["KINDS", "Matches", "match_texts"]

_BATCH_ROWS = 1 << 16
"""Paragraphs whose signatures are computed at once (batches end at document boundaries)."""


@dataclass(frozen=True, slots=True, eq=False)
class Matches:
    """The finder's decision for every paragraph, as arrays in input order.

    Attributes:
        duplicate_of: the input position of the kept paragraph each one repeats; -1 when kept.
        kind: code of the :data:`KINDS` entry: 0 kept, 1 exact, 2 near, 3 contained.
        similarity: to ``duplicate_of``: 1.0 for exact, the Jaccard similarity for near, the
            containment for contained; NaN when kept.
        shingles: each paragraph's number of distinct shingles.
        candidates: candidate pairs verified.
        verified: candidate pairs that passed verification.
    """

    duplicate_of: NDArray[np.int64]
    kind: NDArray[np.int8]
    similarity: NDArray[np.float64]
    shingles: NDArray[np.int64]
    candidates: int
    verified: int


def match_texts(
    texts: Sequence[str],
    doc_rank: ArrayLike,
    position: ArrayLike,
    dedup: DedupConfig | None = None,
    minhash: MinHashConfig | None = None,
) -> Matches:
    """Find the near-duplicates among paragraphs given as parallel arrays (the finder's array API).

    Args:
        texts: the paragraphs' texts.
        doc_rank: each paragraph's document, as its rank in the keep rule's document order.
        position: each paragraph's position in its document (distinct within a document).
        dedup, minhash: the finder's and the hashing core's settings (defaults when ``None``).

    Returns:
        The decision for every paragraph; see :class:`Matches` and the module's keep rule.

    Raises:
        ValueError: the arrays differ in length.
    """
    dedup = dedup or DedupConfig()
    minhash = minhash or MinHashConfig()
    doc = np.asarray(doc_rank, dtype=np.int64).ravel()
    pos = np.asarray(position, dtype=np.int64).ravel()
    if not len(texts) == doc.size == pos.size:
        raise ArgumentValueError(f"texts, doc_rank and position differ in length: {len(texts)}, {doc.size}, {pos.size}")
    order = np.lexsort((pos, doc))
    ordered = [texts[i] for i in order.tolist()]
    doc = doc[order]
    sets = shingle_hashes(ordered, ngram=minhash.ngram, hashfunc=minhash.hashfunc, unsegmented=minhash.unsegmented)
    sizes = sets.sizes()
    cand = _candidates(sets, doc, dedup, minhash)

    def text_hashes(nodes: NDArray[np.int64]) -> NDArray[np.int64]:  # only tells exact copies from near ones
        return np.fromiter((hash(ordered[i]) for i in nodes.tolist()), np.int64, nodes.size)

    found = decide(MemorySets(sets), doc, [cand], text_hashes, dedup)
    n = len(ordered)
    rep = np.full(n, -1, dtype=np.int64)
    kind = np.zeros(n, dtype=np.int8)
    sim = np.full(n, np.nan)
    rep[found.nodes], kind[found.nodes], sim[found.nodes] = found.rep, found.kind, found.similarity
    rep[rep >= 0] = order[rep[rep >= 0]]  # partners as input positions
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return Matches(rep[back], kind[back], sim[back], sizes[back], found.candidates, found.verified)


def _candidates(sets: ShingleSets, doc: NDArray[np.int64], dedup: DedupConfig, minhash: MinHashConfig) -> Pairs:
    """Candidate pairs, oriented so ``left`` has no more shingles than ``right``.

    Paragraphs are sorted by document; signatures are made batch by batch of whole documents, hashed
    for LSH into one array of band hashes, and screened for containment within each document, then
    dropped. Across documents, containment candidates come from the prefix join on the shingle sets.
    """
    sizes = sets.sizes()
    eligible = np.flatnonzero(sizes >= dedup.min_shingles)
    banding = choose_banding(dedup.lsh_threshold, minhash.num_perm)
    hashes = np.empty((banding.bands, eligible.size), dtype=np.uint64)
    perms = permutations(minhash.num_perm, minhash.seed)
    found = MemoryKeys()
    for lo, hi in _document_batches(doc):
        rows = eligible[np.searchsorted(eligible, lo) : np.searchsorted(eligible, hi)]
        first = int(np.searchsorted(eligible, lo))
        sigs = sets.subset(lo, hi).signatures(perms)
        local = rows - lo
        band_hashes(sigs, banding, local, out=hashes[:, first : first + rows.size])
        found.add(_screened(sigs, local, doc[rows], sizes[lo:hi], dedup).of(np.arange(lo, hi)).pack())
    _add_band_pairs(found, hashes, eligible, None if dedup.across_documents else doc)
    del hashes
    if dedup.across_documents:
        rows = np.flatnonzero(sizes >= max(dedup.min_shingles, dedup.min_contained_shingles))
        for pairs in containment_pair_chunks(MemorySets(sets), rows, doc, dedup.containment, memory_sorters):
            found.add(pairs.pack())
    packed = next(distinct_chunks(found.chunks()), np.empty(0, dtype=np.uint64))
    return oriented(Pairs.unpack(packed), sizes)


def _add_band_pairs(
    found: MemoryKeys, hashes: NDArray[np.uint64], eligible: NDArray[np.int64], doc: NDArray[np.int64] | None
) -> None:
    """Add the pairs of ``eligible`` rows that share a band key (within a document only, given ``doc``)."""
    numbers = np.arange(eligible.size, dtype=np.int64)
    for pairs in band_pair_chunks(lambda b: [(hashes[b], numbers)], hashes.shape[0], eligible.size, memory_sorters):
        left, right = pairs.of(eligible)
        if doc is not None:
            left, right = left[doc[left] == doc[right]], right[doc[left] == doc[right]]
        found.add(Pairs(left, right).pack())


def _screened(
    sigs: NDArray[np.uint32], local: NDArray[np.int64], doc: NDArray[np.int64], sizes: NDArray[np.int64],
    dedup: DedupConfig,
) -> Pairs:
    """The containment screen's pairs among rows ``local`` of one batch's ``sigs``, grouped by ``doc``."""
    starts = np.searchsorted(doc, np.unique(doc))
    return screen_pairs(
        sigs, local, np.append(starts, local.size).astype(np.int64), sizes, threshold=dedup.threshold,
        containment=dedup.containment, min_contained=dedup.min_contained_shingles,
    )  # fmt: skip


def _document_batches(doc: NDArray[np.int64], rows: int = _BATCH_ROWS) -> list[tuple[int, int]]:
    """Ranges ``(lo, hi)`` of about ``rows`` paragraphs (sorted by document) that end at a document's end.

    >>> _document_batches(np.array([0, 0, 1, 1, 1, 2]), rows=2)
    [(0, 2), (2, 5), (5, 6)]
    """
    n = doc.size
    if n == 0:
        return []
    doc_starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    cuts = np.unique(doc_starts[np.minimum(np.searchsorted(doc_starts, np.arange(rows, n, rows)), doc_starts.size - 1)])
    bounds = sorted({0, *[int(c) for c in cuts if 0 < c < n], n})
    return list(itertools.pairwise(bounds))
