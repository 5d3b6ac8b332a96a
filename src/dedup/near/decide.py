"""From candidate pairs to decisions: exact verification, clusters and the keep rule (the method is
:mod:`dedup.near.match`'s).

Candidates come in chunks (from memory, or from a sorter that spilled them to disk) and are verified
chunk by chunk on the exact shingle sets, so only the verified pairs are ever held. Clusters and the
keep rule then work on the paragraphs in verified pairs only (*nodes*, numbered by their order among
positions), not on every paragraph of the corpus.

>>> from dedup.config import DedupConfig
>>> from dedup.hashing import shingle_hashes
>>> from dedup.near.sets import MemorySets
>>> sets = shingle_hashes(["one two three four five six", "one two three four five six", "seven eight nine"])
>>> found = decide(MemorySets(sets), np.array([0, 1, 2]), [Pairs(np.array([0]), np.array([1]))],
...                lambda nodes: nodes * 0, DedupConfig(min_shingles=2))
>>> found.nodes.tolist(), found.rep.tolist(), [KINDS[k] for k in found.kind]
([0, 1], [-1, 0], ['kept', 'exact'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.config import DedupConfig
from dedup.near import _kernels
from dedup.near.pairs import Pairs, narrowed
from dedup.near.sets import SetSource
from dedup.records import Kind

__all__ = ["KINDS", "Decisions", "decide", "is_duplicate", "keep_rule", "oriented"]

KINDS: tuple[Kind, ...] = ("kept", "exact", "near", "contained")
"""The kinds by their codes in :attr:`Decisions.kind`."""

KEPT, EXACT, NEAR, CONTAINED = 0, 1, 2, 3

TextHashes = Callable[[NDArray[np.int64]], NDArray[np.int64]]
"""The texts' hashes at some positions: equal for equal texts (tells an exact copy from a near one)."""

Similarity = Callable[[NDArray[np.int64], NDArray[np.int64]], tuple[NDArray[np.float64], NDArray[np.float64]]]


@dataclass(frozen=True, slots=True, eq=False)
class Decisions:
    """The keep rule's decision for every paragraph in a cluster (every other paragraph is kept).

    Attributes:
        nodes: the positions of the paragraphs in verified pairs, ascending.
        rep: per node, the position of the kept paragraph it repeats; -1 when kept.
        kind: per node, the code of its :data:`KINDS` entry.
        similarity: per node, to ``rep``: 1.0 for exact, the Jaccard similarity for near, the
            containment for contained; NaN when kept.
        candidates: candidate pairs verified.
        verified: candidate pairs that passed verification.
    """

    nodes: NDArray[np.int64]
    rep: NDArray[np.int64]
    kind: NDArray[np.int8]
    similarity: NDArray[np.float64]
    candidates: int
    verified: int


def oriented(pairs: Pairs, sizes: NDArray[np.integer[Any]]) -> Pairs:
    """The pairs with ``left`` the set with fewer shingles (the smaller position among equals).

    >>> oriented(Pairs(np.array([0, 1]), np.array([2, 2])), np.array([5, 3, 3]))
    Pairs(left=array([2, 1]), right=array([0, 2]))
    """
    left, right = pairs
    swap = (sizes[left] > sizes[right]) | ((sizes[left] == sizes[right]) & (left > right))
    return Pairs(np.where(swap, right, left), np.where(swap, left, right))


def decide(
    source: SetSource,
    doc: NDArray[np.integer[Any]],
    candidates: Iterable[Pairs],
    text_hashes: TextHashes,
    dedup: DedupConfig,
) -> Decisions:
    """Verify candidate pairs of positions and apply the keep rule to the clusters they form.

    Args:
        source: the shingle sets, by position (document order, then place in the document).
        doc: each position's document, as its rank in the keep rule's document order.
        candidates: candidate pairs in chunks, each pair once overall (either orientation).
        text_hashes: gives the text hashes of positions.
        dedup: thresholds and limits.
    """
    sizes = source.sizes()
    left, right, extends, count = _verified(source, sizes, candidates, dedup)
    verified = int(left.size)
    nodes = _distinct(np.concatenate([left, right]))
    pairs = Pairs(narrowed(np.searchsorted(nodes, left)), narrowed(np.searchsorted(nodes, right)))
    del left, right  # the pairs as node numbers replace them (4 bytes a number where nodes are fewer than 2**31)
    labels = _kernels.components(nodes.size, pairs)

    def similarity(a: NDArray[np.int64], b: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return source.similarity(nodes[a], nodes[b])

    ext = Pairs(pairs.left[extends], pairs.right[extends])
    rep, kind, sim = keep_rule(labels, doc[nodes], sizes[nodes], ext, similarity, text_hashes(nodes), dedup)
    rep = np.where(rep >= 0, nodes[np.maximum(rep, 0)], -1).astype(np.int64)
    return Decisions(nodes.astype(np.int64), rep, kind, sim, count, verified)


def _verified(
    source: SetSource, sizes: NDArray[np.integer[Any]], candidates: Iterable[Pairs], dedup: DedupConfig
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_], int]:
    """The candidates that are duplicates, oriented, whether each one *extends* (the larger contains the
    smaller but is no near-duplicate of it), and how many candidates were checked; positions held as int32 where
    they fit (:func:`~dedup.near.pairs.narrowed`)."""
    lefts, rights, extends = [np.empty(0, np.int32)], [np.empty(0, np.int32)], [np.empty(0, np.bool_)]
    count = 0
    for chunk in candidates:
        left, right = oriented(chunk, sizes)
        jaccard, contained = source.similarity(left, right)
        ok = is_duplicate(jaccard, contained, sizes[left], dedup)
        lefts.append(narrowed(left[ok]))
        rights.append(narrowed(right[ok]))
        extends.append(((jaccard < dedup.threshold) & (sizes[left] < sizes[right]))[ok])
        count += left.size
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(extends), count


def _distinct(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """The distinct values, ascending (a sort: see :func:`dedup.near.pairs.distinct`)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def keep_rule(
    labels: NDArray[np.int64],
    doc: NDArray[np.integer[Any]],
    sizes: NDArray[np.integer[Any]],
    extends: Pairs,
    similarity: Similarity,
    text_hash: NDArray[np.int64],
    dedup: DedupConfig,
) -> tuple[NDArray[np.int64], NDArray[np.int8], NDArray[np.float64]]:
    """Apply the keep rule to clusters ``labels`` of nodes in position order.

    Each round picks every open cluster's representative among its members that no other open
    member extends (earliest document, then most shingles, then first), removes the members it
    covers, and leaves the rest for the next round. ``extends`` are the verified pairs
    ``(contained, container)`` that are not near-duplicates: the container is strictly larger, so
    the largest member of a cluster is never extended and every round picks someone. All clusters
    are handled at once, so the rounds are as many as the longest chain, not the number of clusters.

    Returns:
        ``(rep, kind, similarity)`` per node: the node it repeats (-1 when kept), its kind code and its
        similarity (NaN when kept).
    """
    n = labels.size
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
        jaccard, contained = similarity(member, head)
        near = jaccard >= dedup.threshold
        covered = is_duplicate(jaccard, contained, sizes[member], dedup)
        exact = covered & (jaccard == 1.0) & (text_hash[member] == text_hash[head])
        done, target = member[covered], head[covered]
        rep[done] = target
        kind[done] = np.where(exact[covered], EXACT, np.where(near[covered], NEAR, CONTAINED))
        sim[done] = np.where(exact[covered], 1.0, np.where(near[covered], jaccard[covered], contained[covered]))
        is_active[active] = False
        active = _in_clusters(member[~covered], labels)
    return rep, kind, sim


def is_duplicate(
    jaccard: NDArray[np.float64], contained: NDArray[np.float64], smaller: NDArray[np.integer[Any]],
    dedup: DedupConfig,
) -> NDArray[np.bool_]:
    """Whether verified pairs are duplicates: near (Jaccard) or contained (with enough shingles)."""
    return np.asarray(
        (jaccard >= dedup.threshold) | ((contained >= dedup.containment) & (smaller >= dedup.min_contained_shingles))
    )


def _in_clusters(nodes: NDArray[np.int64], labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """The ``nodes`` whose label is shared by at least one other of ``nodes``."""
    _, inverse, counts = np.unique(labels[nodes], return_inverse=True, return_counts=True)
    return nodes[counts[inverse] > 1]
