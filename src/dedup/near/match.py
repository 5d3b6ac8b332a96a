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
from dedup.near import _kernels
from dedup.near.banding import band_keys, choose_banding, index_bits_for, pairs_from_keys
from dedup.near.pairs import Pairs, distinct
from dedup.near.prefix import containment_pairs
from dedup.near.screen import screen_pairs
from dedup.records import Kind

__all__ = ["KINDS", "Matches", "match_texts"]

KINDS: tuple[Kind, ...] = ("kept", "exact", "near", "contained")
"""The kinds by their codes in :attr:`Matches.kind`."""

KEPT, EXACT, NEAR, CONTAINED = 0, 1, 2, 3

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
    jaccard, contained = sets.similarity(*cand)
    ok = _is_duplicate(jaccard, contained, sizes[cand.left], dedup)
    labels = _kernels.components(len(ordered), Pairs(cand.left[ok], cand.right[ok]))
    clustered = _in_clusters(np.arange(len(ordered), dtype=np.int64), labels)
    text_hash = np.zeros(len(ordered), dtype=np.int64)  # only needed to tell exact copies from near ones
    text_hash[clustered] = np.fromiter((hash(ordered[i]) for i in clustered.tolist()), np.int64, clustered.size)
    extends = ok & (jaccard < dedup.threshold) & (sizes[cand.left] < sizes[cand.right])
    rep, kind, sim = _keep_rule(labels, doc, Pairs(cand.left[extends], cand.right[extends]), sets, text_hash, dedup)
    rep[rep >= 0] = order[rep[rep >= 0]]  # partners as input positions
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return Matches(rep[back], kind[back], sim[back], sizes[back], int(cand.left.size), int(np.count_nonzero(ok)))


def _candidates(sets: ShingleSets, doc: NDArray[np.int64], dedup: DedupConfig, minhash: MinHashConfig) -> Pairs:
    """Candidate pairs, oriented so ``left`` has no more shingles than ``right``.

    Paragraphs are sorted by document; signatures are made batch by batch of whole documents, keyed
    for LSH into one array, and screened for containment within each document, then dropped. Across
    documents, containment candidates come from the prefix join on the shingle sets.
    """
    sizes = sets.sizes()
    eligible = np.flatnonzero(sizes >= dedup.min_shingles)
    banding = choose_banding(dedup.lsh_threshold, minhash.num_perm)
    index_bits = index_bits_for(eligible.size)
    keys = np.empty((banding.bands, eligible.size), dtype=np.uint64)
    perms = permutations(minhash.num_perm, minhash.seed)
    screened: list[NDArray[np.uint64]] = []
    for lo, hi in _document_batches(doc):
        rows = eligible[np.searchsorted(eligible, lo) : np.searchsorted(eligible, hi)]
        first = int(np.searchsorted(eligible, lo))
        sigs = sets.subset(lo, hi).signatures(perms)
        local = rows - lo
        band_keys(sigs, banding, local, index_bits=index_bits, first=first, out=keys[:, first : first + rows.size])
        screened.append(_screened(sigs, local, doc[rows], sizes[lo:hi], dedup).of(np.arange(lo, hi)).pack())
    banded = pairs_from_keys(keys, index_bits, eligible)
    del keys
    packed = banded.pack()
    if not dedup.across_documents:
        packed = packed[doc[banded.left] == doc[banded.right]]
    else:
        rows = np.flatnonzero(sizes >= max(dedup.min_shingles, dedup.min_contained_shingles))
        screened.append(containment_pairs(sets, rows, doc, dedup.containment).pack())
    left, right = Pairs.unpack(distinct(np.concatenate([packed, *screened])))
    swap = (sizes[left] > sizes[right]) | ((sizes[left] == sizes[right]) & (left > right))
    return Pairs(np.where(swap, right, left), np.where(swap, left, right))


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


def _keep_rule(
    labels: NDArray[np.int64],
    doc: NDArray[np.int64],
    extends: Pairs,
    sets: ShingleSets,
    text_hash: NDArray[np.int64],
    dedup: DedupConfig,
) -> tuple[NDArray[np.int64], NDArray[np.int8], NDArray[np.float64]]:
    """Apply the keep rule to clusters ``labels`` of paragraphs sorted by document and position.

    Each round picks every open cluster's representative among its members that no other open
    member extends (earliest document, then most shingles, then first), removes the members it
    covers, and leaves the rest for the next round. ``extends`` are the verified pairs
    ``(contained, container)`` that are not near-duplicates: the container is strictly larger, so
    the largest member of a cluster is never extended and every round picks someone. All clusters
    are handled at once, so the rounds are as many as the longest chain, not the number of clusters.

    Returns:
        ``(rep, kind, similarity)`` per paragraph: the index of the kept paragraph it repeats (-1 when
        kept), its kind code and its similarity (NaN when kept).
    """
    n = labels.size
    sizes = sets.sizes()
    rep = np.full(n, -1, dtype=np.int64)
    kind = np.full(n, KEPT, dtype=np.int8)
    sim = np.full(n, np.nan)
    active = _in_clusters(np.arange(n, dtype=np.int64), labels)
    is_active = np.zeros(n, dtype=np.bool_)
    while active.size:
        is_active[active] = True
        extended = np.zeros(n, dtype=np.bool_)
        extended[extends.left[is_active[extends.left] & is_active[extends.right]]] = True
        a = active[np.lexsort((active, -sizes[active], doc[active], extended[active], labels[active]))]
        first = np.r_[True, labels[a][1:] != labels[a][:-1]]
        rep_of = a[first][np.cumsum(first) - 1]
        member, head = a[~first], rep_of[~first]
        jaccard, contained = sets.similarity(member, head)
        near = jaccard >= dedup.threshold
        covered = _is_duplicate(jaccard, contained, sizes[member], dedup)
        exact = covered & (jaccard == 1.0) & (text_hash[member] == text_hash[head])
        done, target = member[covered], head[covered]
        rep[done] = target
        kind[done] = np.where(exact[covered], EXACT, np.where(near[covered], NEAR, CONTAINED))
        sim[done] = np.where(exact[covered], 1.0, np.where(near[covered], jaccard[covered], contained[covered]))
        is_active[active] = False
        active = _in_clusters(member[~covered], labels)
    return rep, kind, sim


def _is_duplicate(
    jaccard: NDArray[np.float64], contained: NDArray[np.float64], smaller: NDArray[np.int64], dedup: DedupConfig
) -> NDArray[np.bool_]:
    """Whether verified pairs are duplicates: near (Jaccard) or contained (with enough shingles)."""
    return np.asarray(
        (jaccard >= dedup.threshold) | ((contained >= dedup.containment) & (smaller >= dedup.min_contained_shingles))
    )


def _in_clusters(nodes: NDArray[np.int64], labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """The ``nodes`` whose label is shared by at least one other of ``nodes``."""
    _, inverse, counts = np.unique(labels[nodes], return_inverse=True, return_counts=True)
    return nodes[counts[inverse] > 1]
