"""The near-duplicate finder's public face: clusters of repeated paragraphs, their report, the pipeline step.

:func:`find_duplicates` takes paragraphs with their document and position and returns the clusters
that :mod:`dedup.near.match` finds: each cluster's kept paragraph and the ones that repeat it, with the
kind (exact, near, contained) and the similarity to the kept one. :func:`format_clusters` prints them
for people and :meth:`Cluster.to_dict` for JSON. :func:`mark_duplicates` is the pipeline step: it
marks the repeats among the paragraphs still kept, in every document at once.

>>> lede = "Vietnam hopes Russia will play a more important role in cooperation mechanisms in Asia"
>>> paragraphs = [("a", 0, lede + "."), ("a", 1, lede + ", as well as in building a regional structure.")]
>>> [(m.ref, m.kind, m.similarity) for c in find_duplicates(paragraphs) for m in c.removed]
[(ParagraphRef(doc_id='a', index=0), 'contained', 1.0)]
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup._check import check_config, check_int, check_paragraphs, items_of, type_error
from dedup.config import DedupConfig, MinHashConfig, Order
from dedup.errors import ArgumentValueError
from dedup.near.match import KINDS, Matches, match_texts
from dedup.records import CleanedDocument, Kind, Paragraph, ParagraphRef, Removal, Repeat

__all__ = ["Cluster", "Member", "ParagraphLike", "find_duplicates", "format_clusters", "mark_duplicates"]

ParagraphLike = Paragraph | tuple[str, int, str]
"""A paragraph, or a ``(doc_id, position, text)`` triple."""

_REMOVAL_RULES: dict[Kind, tuple[Repeat, str]] = {
    "exact": ("exact", "exact_duplicate"),
    "near": ("near", "near_duplicate"),
    "contained": ("contained", "contained_in"),
}
"""The report's stage and rule for each kind of removed duplicate."""


@dataclass(frozen=True, slots=True)
class Member:
    """One paragraph of a cluster.

    Attributes:
        ref: its document and position.
        kind: ``"kept"`` for the cluster's kept paragraph, else how it repeats the kept one.
        similarity: to the kept paragraph: 1.0 for exact copies (and the kept one), the Jaccard
            similarity of the shingle sets for near-duplicates, the containment for contained ones.
        text: its text.
    """

    ref: ParagraphRef
    kind: Kind
    similarity: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The member as a JSON-ready dict."""
        out: dict[str, Any] = {"doc": self.ref.doc_id, "paragraph": self.ref.index}
        if self.kind != "kept":
            out["kind"] = self.kind
            out["similarity"] = round(self.similarity, 4)
        out["text"] = self.text
        return out


@dataclass(frozen=True, slots=True)
class Cluster:
    """A kept paragraph and the paragraphs removed as its repeats (in document order)."""

    kept: Member
    removed: tuple[Member, ...]

    def to_dict(self) -> dict[str, Any]:
        """The cluster as a JSON-ready dict (one line of ``dedup find --json``)."""
        return {"kept": self.kept.to_dict(), "removed": [m.to_dict() for m in self.removed]}


def _document_ranks(doc_ids: Sequence[str], order: Order) -> NDArray[np.int64]:
    """Rank of each document in the keep rule's order: sorted ids, or first appearance.

    >>> _document_ranks(["b", "a", "b"], "id").tolist(), _document_ranks(["b", "a", "b"], "input").tolist()
    ([1, 0, 1], [0, 1, 0])
    """
    distinct = sorted(set(doc_ids)) if order == "id" else list(dict.fromkeys(doc_ids))
    rank = {d: r for r, d in enumerate(distinct)}
    return np.fromiter(map(rank.__getitem__, doc_ids), dtype=np.int64, count=len(doc_ids))


def find_duplicates(
    paragraphs: Sequence[ParagraphLike],
    dedup: DedupConfig | None = None,
    minhash: MinHashConfig | None = None,
) -> list[Cluster]:
    """Clusters of exact, near and contained repeats among paragraphs, within and across documents.

    Args:
        paragraphs: :class:`Paragraph` objects or ``(doc_id, position, text)`` triples; positions must
            be distinct within a document. All are considered (a paragraph's ``removed`` is ignored).
        dedup: the thresholds, keep rule and document order (see :class:`DedupConfig`).
        minhash: the shingles and signatures (see :class:`MinHashConfig`).

    Returns:
        The clusters that remove something, ordered by their kept paragraph (document order, then
        position). Each removed member names its kind and its similarity to the kept one; see
        :mod:`dedup.near.match` for the method and the keep rule.

    Raises:
        ArgumentTypeError: an argument, or a paragraph or one of its fields, is of the wrong type.
        ArgumentValueError: two paragraphs of one document have the same position, or a position does
            not fit in 64 bits.
    """
    triples = check_paragraphs("find_duplicates", paragraphs)
    check_config("find_duplicates", dedup, DedupConfig, "dedup")
    check_config("find_duplicates", minhash, MinHashConfig, "minhash")
    dedup = dedup or DedupConfig()
    doc_ids = [t[0] for t in triples]
    texts = [t[2] for t in triples]
    ranks = _document_ranks(doc_ids, dedup.order)
    try:
        positions = np.fromiter((t[1] for t in triples), dtype=np.int64, count=len(triples))
    except OverflowError:
        raise ArgumentValueError("find_duplicates: paragraph positions must fit in a signed 64-bit int") from None
    _check_distinct(doc_ids, ranks, positions)
    matches = match_texts(texts, ranks, positions, dedup, minhash)
    refs = [ParagraphRef(d, int(i)) for d, i in zip(doc_ids, positions.tolist(), strict=True)]
    return _clusters_of(matches, refs, texts, ranks, positions)


def _check_distinct(doc_ids: Sequence[str], ranks: NDArray[np.int64], positions: NDArray[np.int64]) -> None:
    """Raise ArgumentValueError naming the first two paragraphs at the same position of the same document.

    >>> _check_distinct(["a", "b", "a"], np.array([0, 1, 0]), np.array([4, 4, 4]))
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentValueError: find_duplicates: paragraphs[0] and paragraphs[2] are both at position 4 of doc 'a'
    """
    order = np.lexsort((positions, ranks))
    same = (np.diff(ranks[order]) == 0) & (np.diff(positions[order]) == 0)
    if same.any():
        k = int(np.flatnonzero(same)[0])
        i, j = sorted((int(order[k]), int(order[k + 1])))
        raise ArgumentValueError(
            f"find_duplicates: paragraphs[{i}] and paragraphs[{j}] are both at position {positions[i]}"
            f" of doc {doc_ids[i]!r}"
        )


def _clusters_of(
    matches: Matches,
    refs: Sequence[ParagraphRef],
    texts: Sequence[str],
    ranks: NDArray[np.int64],
    positions: NDArray[np.int64],
) -> list[Cluster]:
    """Group the removed paragraphs of ``matches`` by the kept paragraph they repeat."""
    removed = np.flatnonzero(matches.duplicate_of >= 0)
    removed = removed[np.lexsort((positions[removed], ranks[removed]))]
    groups: dict[int, list[Member]] = {}
    for i in removed.tolist():
        kind = KINDS[matches.kind[i]]
        groups.setdefault(int(matches.duplicate_of[i]), []).append(
            Member(refs[i], kind, float(matches.similarity[i]), texts[i])
        )
    heads = sorted(groups, key=lambda k: (ranks[k], positions[k]))
    return [Cluster(Member(refs[k], "kept", 1.0, texts[k]), tuple(groups[k])) for k in heads]


def format_clusters(clusters: Sequence[Cluster], *, width: int = 100) -> str:
    """The clusters as text for people: the kept paragraph, then each removed one, shortened to ``width``.

    >>> kept = Member(ParagraphRef("a", 3), "kept", 1.0, "The full paragraph, with more words.")
    >>> copy = Member(ParagraphRef("b", 0), "near", 0.8312, "The full paragraph with more words")
    >>> print(format_clusters([Cluster(kept, (copy,))], width=60))
    1 cluster, 1 paragraph removed
    <BLANKLINE>
    [1] kept            a #3: The full paragraph, with more words.
        near      0.831 b #0: The full paragraph with more words
    """
    clusters = items_of("format_clusters", "clusters", clusters, "a sequence of Cluster objects")
    bad = next((i for i, c in enumerate(clusters) if not isinstance(c, Cluster)), None)
    if bad is not None:
        raise type_error("format_clusters", f"clusters[{bad}]", "a Cluster", clusters[bad])
    check_int("format_clusters", "width", width)
    removed = sum(len(c.removed) for c in clusters)
    lines = [f"{_plural(len(clusters), 'cluster')}, {_plural(removed, 'paragraph')} removed"]
    for number, cluster in enumerate(clusters, 1):
        lines.append("")
        lines.append(f"[{number}] {_member_line(cluster.kept, width)}")
        lines.extend(" " * (len(str(number)) + 3) + _member_line(m, width) for m in cluster.removed)
    return "\n".join(lines)


def _member_line(member: Member, width: int) -> str:
    """``kind similarity doc #position: text`` with the text shortened to fit ``width``."""
    label = f"{'kept':<15}" if member.kind == "kept" else f"{member.kind:<9} {member.similarity:.3f}"
    head = f"{label} {member.ref.doc_id} #{member.ref.index}: "
    return head + textwrap.shorten(member.text, max(width - len(head), 20), placeholder=" …")


def _plural(count: int, noun: str) -> str:
    """``"1 cluster"``, ``"2 clusters"``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def mark_duplicates(
    docs: Sequence[CleanedDocument], dedup: DedupConfig, minhash: MinHashConfig
) -> list[CleanedDocument]:
    """The pipeline step: mark repeated paragraphs, within and across documents, as removed.

    Only paragraphs still kept take part. Each repeat gets a :class:`Removal` with stage and rule
    ``exact``/``exact_duplicate``, ``near``/``near_duplicate`` or ``contained``/``contained_in``,
    ``duplicate_of`` the kept paragraph and ``similarity`` to it. Documents come back in the same
    order with the same paragraphs. Does nothing when ``dedup.enabled`` is false.

    >>> from dedup.records import Paragraph
    >>> text = "Taking place when the two countries celebrate, the visit demonstrates the partnership."
    >>> a = CleanedDocument("a", (Paragraph("a", 0, 1, text),))
    >>> b = CleanedDocument("b", (Paragraph("b", 0, 1, text.replace(",", "")),))
    >>> out = mark_duplicates([b, a], DedupConfig(), MinHashConfig())
    >>> out[0].paragraphs[0].removed.to_dict()
    {'stage': 'near', 'rule': 'near_duplicate', 'duplicate_of': {'doc': 'a', 'paragraph': 0}, 'similarity': 1.0}
    """
    if not dedup.enabled:
        return list(docs)
    order = sorted(range(len(docs)), key=lambda d: docs[d].id) if dedup.order == "id" else range(len(docs))
    doc_rank = np.empty(len(docs), dtype=np.int64)
    doc_rank[list(order)] = np.arange(len(docs))
    where = [(d, j) for d, doc in enumerate(docs) for j, p in enumerate(doc.paragraphs) if p.kept]
    texts = [docs[d].paragraphs[j].text for d, j in where]
    ranks = doc_rank[np.fromiter((d for d, _ in where), dtype=np.int64, count=len(where))]
    positions = np.fromiter((docs[d].paragraphs[j].index for d, j in where), dtype=np.int64, count=len(where))
    matches = match_texts(texts, ranks, positions, dedup, minhash)
    paragraphs = [list(doc.paragraphs) for doc in docs]
    for i in np.flatnonzero(matches.duplicate_of >= 0).tolist():
        d, j = where[i]
        kd, kj = where[int(matches.duplicate_of[i])]
        stage, rule = _REMOVAL_RULES[KINDS[matches.kind[i]]]
        partner = docs[kd].paragraphs[kj].ref
        removal = Removal(stage, rule, duplicate_of=partner, similarity=float(matches.similarity[i]))
        paragraphs[d][j] = paragraphs[d][j].remove(removal)
    return [dataclasses.replace(doc, paragraphs=tuple(ps)) for doc, ps in zip(docs, paragraphs, strict=True)]
