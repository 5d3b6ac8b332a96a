"""The records that flow through the pipeline: documents, paragraphs and removals.

Every stage takes paragraphs and returns paragraphs; a stage that removes one sets its
``removed`` field to a :class:`Removal` saying which stage, which rule and why. Nothing is
deleted before rendering, so the report can list every removal with its evidence.

>>> p = Paragraph(doc_id="a", index=0, line=1, text="Hello.")
>>> p.kept
True
>>> q = p.remove(Removal(stage="exact", rule="exact_repeat", duplicate_of=ParagraphRef("a", 3), similarity=1.0))
>>> (q.kept, q.removed.duplicate_of.index)
(False, 3)
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

Repeat = Literal["exact", "near", "contained"]
"""How a paragraph repeats another: verbatim, nearly (Jaccard), or contained in a longer one."""

Kind = Literal["kept", Repeat]
"""A paragraph's part in a cluster of repeats: the copy kept, or how it repeats that copy."""

Stage = Literal["strip", "template", Repeat]
"""The pipeline step that removed a paragraph."""


class _Pickled:
    """Pickled as a call of its class with its fields in order.

    A slotted dataclass's default pickle stores a state and sets each slot on load; this loads in
    two thirds of the time, which counts when worker processes send every paragraph back.

    >>> import pickle
    >>> pickle.loads(pickle.dumps(Paragraph("a", 0, 1, "Hello."))) == Paragraph("a", 0, 1, "Hello.")
    True
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        cls: Any = type(self)  # a dataclass: hashable, whatever mypy makes of _Pickled's members
        return cls, _field_values(cls)(self)


@functools.cache
def _field_values(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the values of a dataclass's fields, in order, as a tuple."""
    get = operator.attrgetter(*(f.name for f in fields(cls)))
    return get if len(fields(cls)) > 1 else lambda obj: (get(obj),)


@dataclass(frozen=True, slots=True)
class ParagraphRef(_Pickled):
    """Where a paragraph stands: its document id and its position among that document's paragraphs."""

    doc_id: str
    index: int


@dataclass(frozen=True, slots=True)
class Removal(_Pickled):
    """Why a paragraph was removed.

    Attributes:
        stage: the pipeline step that removed it.
        rule: the rule's name (``"exact_repeat"``, ``"chrome:comment_counter"``, ``"classifier"``...).
        detail: a short human explanation, empty when the rule says it all.
        score: the classifier's score, for removals by a learned or scored rule.
        duplicate_of: the kept paragraph this one repeats, for duplicate removals.
        similarity: the similarity to ``duplicate_of`` (Jaccard or containment, 1.0 for exact).
    """

    stage: Stage
    rule: str
    detail: str = ""
    score: float | None = None
    duplicate_of: ParagraphRef | None = None
    similarity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The removal as a JSON-ready dict, leaving out fields that are not set."""
        out: dict[str, Any] = {"stage": self.stage, "rule": self.rule}
        if self.detail:
            out["detail"] = self.detail
        if self.score is not None:
            out["score"] = round(self.score, 4)
        if self.duplicate_of is not None:
            out["duplicate_of"] = {"doc": self.duplicate_of.doc_id, "paragraph": self.duplicate_of.index}
        if self.similarity is not None:
            out["similarity"] = round(self.similarity, 4)
        return out


@dataclass(frozen=True, slots=True)
class Edit(_Pickled):
    """A change made inside a kept paragraph: a cleaner fix or a trimmed span of chrome.

    ``removed`` holds the characters taken out when the edit deletes text (a photo credit,
    a metadata prefix); cleaner fixes that only re-encode or re-space leave it empty.
    """

    step: str
    detail: str = ""
    removed: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The edit as a JSON-ready dict."""
        out: dict[str, Any] = {"step": self.step}
        if self.detail:
            out["detail"] = self.detail
        if self.removed:
            out["removed"] = self.removed
        return out


@dataclass(frozen=True, slots=True)
class Paragraph(_Pickled):
    """One paragraph of one document, in canonical form.

    Attributes:
        doc_id: the document it belongs to.
        index: its position among the document's paragraphs, counted from 0 before any removal.
        line: the 1-based line of the input where it starts.
        text: its canonical text (one line, no surrounding space).
        edits: what the cleaner and the stripper changed inside it, in order.
        removed: why it was removed, or ``None`` while it is kept.
    """

    doc_id: str
    index: int
    line: int
    text: str
    edits: tuple[Edit, ...] = ()
    removed: Removal | None = None

    @property
    def kept(self) -> bool:
        """Whether no stage has removed this paragraph."""
        return self.removed is None

    @property
    def ref(self) -> ParagraphRef:
        """This paragraph's address."""
        return ParagraphRef(self.doc_id, self.index)

    def remove(self, removal: Removal) -> Paragraph:
        """A copy of this paragraph marked as removed for ``removal``."""
        return Paragraph(self.doc_id, self.index, self.line, self.text, self.edits, removal)

    def edit(self, text: str, edit: Edit) -> Paragraph:
        """A copy with ``text`` replaced and ``edit`` appended to its record."""
        return Paragraph(self.doc_id, self.index, self.line, text, (*self.edits, edit), self.removed)


@dataclass(frozen=True, slots=True)
class Document(_Pickled):
    """An input document: an id, its text, and where it came from.

    ``notes`` carries what reading it had to do (a replaced invalid byte, a guessed encoding).
    ``site`` names the source it was scraped from (a JSONL ``site`` field, a URL's host, or the
    input's parent folder); the stripper treats lines repeated across one site's pages as chrome.
    """

    id: str
    text: str
    source: str | None = None
    notes: tuple[str, ...] = ()
    site: str | None = None


@dataclass(frozen=True, slots=True)
class CleanedDocument(_Pickled):
    """A document after the pipeline: every input paragraph, kept or removed, in input order."""

    id: str
    paragraphs: tuple[Paragraph, ...]
    source: str | None = None
    notes: tuple[str, ...] = ()
    site: str | None = None

    @property
    def kept(self) -> tuple[Paragraph, ...]:
        """The paragraphs that survive, in order."""
        return tuple(p for p in self.paragraphs if p.kept)

    @property
    def removed(self) -> tuple[Paragraph, ...]:
        """The paragraphs that some stage removed, in input order."""
        return tuple(p for p in self.paragraphs if not p.kept)

    @property
    def text(self) -> str:
        """The canonical text: kept paragraphs separated by one blank line, ending with one newline.

        A document with nothing kept renders as the empty string.
        """
        kept = [p.text for p in self.paragraphs if p.kept]
        return "\n\n".join(kept) + "\n" if kept else ""

    def report(self) -> dict[str, Any]:
        """What happened to this document, as a JSON-ready dict (one line of ``report.jsonl``)."""
        out: dict[str, Any] = {"id": self.id, "status": "ok"}
        if self.source is not None:
            out["source"] = self.source
        if self.notes:
            out["notes"] = list(self.notes)
        out["paragraphs_in"] = len(self.paragraphs)
        out["paragraphs_out"] = sum(p.kept for p in self.paragraphs)
        out["removed"] = [
            {"paragraph": p.index, "line": p.line, "text": p.text, **p.removed.to_dict()}
            for p in self.paragraphs
            if p.removed is not None
        ]
        out["edited"] = [
            {"paragraph": p.index, "line": p.line, "edits": [e.to_dict() for e in p.edits]}
            for p in self.paragraphs
            if p.edits and p.kept
        ]
        return out
