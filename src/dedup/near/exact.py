"""Exact repeats within one document: the first copy stays, later copies are removed.

Paragraphs are compared in canonical form, so repeats that differ only in spacing or encoding
are exact here. Near repeats and containment are the near-duplicate finder's job.

>>> from dedup.records import Paragraph
>>> ps = [Paragraph("d", i, i + 1, t) for i, t in enumerate(["A caption", "Body.", "A caption"])]
>>> [(p.index, p.removed.duplicate_of.index) for p in mark_exact_repeats(ps) if not p.kept]
[(2, 0)]
"""

from __future__ import annotations

from collections.abc import Sequence

from dedup.records import Paragraph, Removal


def mark_exact_repeats(paragraphs: Sequence[Paragraph]) -> list[Paragraph]:
    """Mark every kept paragraph whose text equals an earlier kept one's as removed.

    Paragraphs already removed by an earlier stage are left as they are and never count as the
    first copy. O(n) with one dict.
    """
    first: dict[str, Paragraph] = {}
    out: list[Paragraph] = []
    for p in paragraphs:
        if p.kept:
            original = first.setdefault(p.text, p)
            if (original.index, original.doc_id) != (p.index, p.doc_id):  # not p itself
                p = p.remove(Removal("exact", "exact_repeat", duplicate_of=original.ref, similarity=1.0))
        out.append(p)
    return out
