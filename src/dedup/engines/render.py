"""The decisions back on the documents: each shard read again and its paragraphs marked, in input order.

:func:`near_removals` turns the keep rule's decisions (positions) into, for each shard, the paragraphs
it removes and whom they repeat (document id and paragraph); :func:`rendered` reads each shard's
results and marks every removal exactly as the in-memory corpus steps do, so the documents, and the
report made from them, are the same.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dedup.engines.corpus import REPEAT, TEMPLATE, pre_path
from dedup.engines.documents import Documents, id_bytes, ids_of
from dedup.engines.shard import load_array, load_results
from dedup.engines.store import Stores
from dedup.errors import InputError
from dedup.io.read import Skip
from dedup.near.decide import KINDS, Decisions
from dedup.records import CleanedDocument, Kind, Paragraph, ParagraphRef, Removal, Repeat
from dedup.strip.templates import template_removal

__all__ = ["DocumentIds", "ShardMarks", "check_unique_ids", "near_path", "near_removals", "rendered",
           "repeated_id_skips"]

_REMOVAL_RULES: dict[Kind, tuple[Repeat, str]] = {
    "exact": ("exact", "exact_duplicate"),
    "near": ("near", "near_duplicate"),
    "contained": ("contained", "contained_in"),
}
"""The report's stage and rule for each kind of removed duplicate (as :mod:`dedup.near.clusters` names them)."""

NearRemoval = tuple[int, int, int, str, int, float]
"""``(document in shard, paragraph, kind code, partner's document id, partner's paragraph, similarity)``."""

DocumentIds = Callable[[NDArray[np.int64]], list[str]]
"""The ids of the documents of an index's paragraphs at some positions."""


def near_path(corpus: Path, shard: int) -> Path:
    """The file of a shard's near-duplicate removals."""
    return corpus / f"near-{shard:06d}.pkl"


def near_removals(
    found: Decisions, stores: Stores, run_base: int, docs: Documents, index_ids: DocumentIds, corpus: Path
) -> None:
    """Save, per shard, the removals among the run's own paragraphs (positions from ``run_base`` on).

    Memory: a few numbers a removal, and its partner's id as bytes in one array; Python objects are made for
    one shard's removals at a time (a string each for millions of removals took hundreds of MB).
    """
    removed = (found.rep >= 0) & (found.nodes >= run_base)
    shard, local = docs.locate(stores.column("doc", found.nodes[removed]))
    order = np.argsort(shard, kind="stable")
    shard, local = shard[order], local[order]
    nodes, reps = found.nodes[removed][order], found.rep[removed][order]
    kinds, sims = found.kind[removed][order], found.similarity[removed][order]
    par, rep_par = stores.column("par", nodes), stores.column("par", reps)
    from_index = reps < run_base
    rep_doc = stores.column("doc", reps)
    run_ids = id_bytes(docs, rep_doc[~from_index])  # an index's partners: ids asked of the index, below
    slot = np.cumsum(~from_index) - 1  # each run partner's place in run_ids
    cuts = np.searchsorted(shard, np.arange(len(docs.shards) + 1))
    for k in range(len(docs.shards)):
        lo, hi = int(cuts[k]), int(cuts[k + 1])
        outside = iter(index_ids(reps[lo:hi][from_index[lo:hi]]))
        rows: list[NearRemoval] = [
            (int(local[i]), int(par[i]), int(kinds[i]), next(outside) if from_index[i] else run_ids.text(int(slot[i])),
             int(rep_par[i]), float(sims[i]))
            for i in range(lo, hi)
        ]  # fmt: skip
        with open(near_path(corpus, k), "wb") as out:
            pickle.dump(rows, out, protocol=pickle.HIGHEST_PROTOCOL)


def _run_ids(docs: Documents, numbers: NDArray[np.int64]) -> list[str]:
    """The ids of the run's documents ``numbers``."""
    return [x.decode("utf-8", "surrogatepass") for x in ids_of(docs, numbers)]


@dataclass(frozen=True, slots=True, eq=False)
class ShardMarks:
    """What the corpus steps decided for one shard's paragraphs, compact enough to send to where its documents
    are (a Spark executor): the marked paragraphs only.

    Attributes:
        doc_par: each document's first paragraph in the shard (length documents + 1).
        rows: the shard's paragraphs marked as template lines or exact repeats, ascending; ``code``, ``aux``
            and ``aux2`` their marks (see :func:`dedup.engines.corpus.mark_shard`).
        near: the near-duplicate removals, by document in the shard.
    """

    doc_par: NDArray[np.int64]
    rows: NDArray[np.int64]
    code: NDArray[np.uint8]
    aux: NDArray[np.int64]
    aux2: NDArray[np.int64]
    near: dict[int, list[NearRemoval]]

    @classmethod
    def load(cls, corpus: Path, k: int, shard: Path, *, near: bool) -> ShardMarks:
        """Shard ``k``'s marks, from the files of the corpus steps (``near``: its near-duplicate removals too)."""
        with np.load(pre_path(corpus, k)) as npz:
            marks = {name: npz[name] for name in ("code", "aux", "aux2")}
        removals = _by_document(near_path(corpus, k)) if near else {}
        return cls.of(np.asarray(load_array(shard, "doc_par"), dtype=np.int64), marks, removals)

    @classmethod
    def of(
        cls, doc_par: NDArray[np.int64], marks: Mapping[str, NDArray[np.generic]], near: dict[int, list[NearRemoval]]
    ) -> ShardMarks:
        """A shard's marks from its ``code``, ``aux`` and ``aux2`` per paragraph
        (:func:`dedup.engines.corpus.shard_marks`), the marked paragraphs only, and its removals by document."""
        code = np.asarray(marks["code"], dtype=np.uint8)
        rows = np.flatnonzero(code)
        aux, aux2 = np.asarray(marks["aux"], dtype=np.int64), np.asarray(marks["aux2"], dtype=np.int64)
        return cls(doc_par, rows, code[rows], aux[rows], aux2[rows], near)

    def apply(self, doc: CleanedDocument, local: int) -> CleanedDocument:
        """Document ``local`` of the shard (counting documents only) with its removals marked."""
        first = int(self.doc_par[local])
        lo, hi = np.searchsorted(self.rows, [first, first + len(doc.paragraphs)]).tolist()
        near = self.near.get(local, [])
        if lo == hi and not near:
            return doc
        paragraphs = list(doc.paragraphs)
        for j in range(lo, hi):
            i, code = int(self.rows[j]) - first, int(self.code[j])
            p: Paragraph = paragraphs[i]
            if code == TEMPLATE:
                paragraphs[i] = p.remove(template_removal(int(self.aux[j]), int(self.aux2[j]), str(doc.site)))
            elif code == REPEAT:
                original = ParagraphRef(doc.id, int(self.aux[j]))
                paragraphs[i] = p.remove(Removal("exact", "exact_repeat", duplicate_of=original, similarity=1.0))
        for _, index, kind, rep_id, rep_par, similarity in near:
            stage, rule = _REMOVAL_RULES[KINDS[kind]]
            removal = Removal(stage, rule, duplicate_of=ParagraphRef(rep_id, rep_par), similarity=similarity)
            paragraphs[index] = paragraphs[index].remove(removal)
        return dataclasses.replace(doc, paragraphs=tuple(paragraphs))

    def render(self, results: list[CleanedDocument | Skip]) -> Iterator[CleanedDocument | Skip]:
        """The shard's results with their removals marked (a shard without repeated ids)."""
        local = 0
        for result in results:
            if isinstance(result, Skip):
                yield result
                continue
            yield self.apply(result, local)
            local += 1


def check_unique_ids(docs: Documents) -> None:
    """Refuse a run whose documents repeat an id (the library's rule).

    Raises:
        InputError: two documents share an id.
    """
    if docs.first_of:
        later = min(docs.first_of)
        first = docs.first_of[later]
        doc_id = _run_ids(docs, np.array([later]))[0]
        raise InputError(f"documents {first} and {later} have the same id {doc_id!r}: ids must be unique")


def rendered(
    docs: Documents, corpus: Path, *, near: bool, refuse_repeated_ids: bool
) -> Iterator[CleanedDocument | Skip]:
    """Every result of the run, in input order, with its removals marked.

    Raises:
        InputError: ``refuse_repeated_ids`` and two documents share an id (the library's rule).
    """
    if refuse_repeated_ids:
        check_unique_ids(docs)
    lines = _first_lines(docs)
    for k, shard in enumerate(docs.shards):
        marks = ShardMarks.load(corpus, k, shard, near=near)
        number = int(docs.bases[k])
        for result in load_results(shard):
            if isinstance(result, Skip):
                yield result
                continue
            if number in docs.first_of:
                yield _repeated_id(result, lines[number])
            else:
                yield marks.apply(result, number - int(docs.bases[k]))
            number += 1


def repeated_id_skips(docs: Documents) -> list[Skip]:
    """The error skips of the documents dropped for an id an earlier document has, in input order."""
    lines = _first_lines(docs)
    numbers = sorted(docs.first_of)
    shard, local = docs.locate(np.array(numbers, dtype=np.int64))
    out: list[Skip] = []
    loaded, found = -1, []
    for number, k, i in zip(numbers, shard.tolist(), local.tolist(), strict=True):
        if k != loaded:
            loaded, found = k, [r for r in load_results(docs.shards[k]) if isinstance(r, CleanedDocument)]
        out.append(_repeated_id(found[i], lines[number]))
    return out


def _first_lines(docs: Documents) -> dict[int, tuple[int, int]]:
    """For each dropped document: its JSONL line and that of the document that first had its id."""
    wanted = sorted({*docs.first_of, *docs.first_of.values()})
    shard, local = docs.locate(np.array(wanted, dtype=np.int64))
    places = zip(wanted, shard.tolist(), local.tolist(), strict=True)
    line = {d: int(load_array(docs.shards[s], "doc_line")[i]) for d, s, i in places}
    return {later: (line[later], line[first]) for later, first in docs.first_of.items()}


def _repeated_id(doc: CleanedDocument, lines: tuple[int, int]) -> Skip:
    """The error skip of a JSONL record whose id an earlier record has (as :func:`read_jsonl` words it)."""
    number, first = lines
    return Skip(doc.source or str(number), f'line {number}: duplicate id "{doc.id}" (first on line {first})',
                error=True)  # fmt: skip


def _by_document(path: Path) -> dict[int, list[NearRemoval]]:
    """A shard's near-duplicate removals, by document."""
    with open(path, "rb") as stream:
        rows: list[NearRemoval] = pickle.load(stream)
    out: dict[int, list[NearRemoval]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return out
