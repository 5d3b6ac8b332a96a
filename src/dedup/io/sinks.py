"""Where a run's results go, one at a time: cleaned text, JSONL records or files of a folder, the report, and the
tally the closing summary is made from.

Every output is written as the results come (so none is held whole) and appears whole or not at all: a
file output and the report are written under temporary names and renamed when the run completes; a
folder output writes each document's file atomically as it comes (:class:`~dedup.io.write.OutputTree`).

>>> import io
>>> from dedup.records import CleanedDocument, Paragraph
>>> out = io.BytesIO()
>>> with ResultSink("jsonl", stream=out) as sink:
...     sink.add(CleanedDocument("a", (Paragraph("a", 0, 1, "Hi."),)))
...     sink.commit()
>>> out.getvalue()
b'{"id": "a", "text": "Hi.\\\\n"}\\n'
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from dedup.io.read import Skip
from dedup.io.write import STREAM_CHUNK, AtomicFile, OutputTree, write_stream
from dedup.records import CleanedDocument

__all__ = ["ResultSink", "Tally", "jsonl_line"]

BUFFER_CHARS = STREAM_CHUNK
"""Characters gathered before they are written to a stream."""


def jsonl_line(record: dict[str, Any]) -> str:
    """One JSON object on one line, UTF-8 text kept readable."""
    return json.dumps(record, ensure_ascii=False) + "\n"


@dataclass
class Tally:
    """What a run read, kept, removed (by stage) and skipped, counted as results go by."""

    documents: int = 0
    paragraphs: int = 0
    kept: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    skips: list[Skip] = field(default_factory=list)

    def add(self, result: CleanedDocument | Skip) -> None:
        """Count one result."""
        if isinstance(result, Skip):
            self.skips.append(result)
            return
        self.documents += 1
        self.paragraphs += len(result.paragraphs)
        for p in result.paragraphs:
            if p.removed is None:
                self.kept += 1
            else:
                self.stages[p.removed.stage] += 1

    @property
    def errors(self) -> bool:
        """Whether some input could not be read."""
        return any(s.error for s in self.skips)

    def summary(self, notes: tuple[str, ...], written: list[str]) -> str:
        """One paragraph for stderr: what was read, kept, removed (by stage) and skipped."""
        lines = [*notes, f"dedup: {self.documents} document(s) cleaned, {len(self.skips)} skipped; "
                 f"{self.paragraphs} paragraphs in, {self.kept} kept"]  # fmt: skip
        if self.stages:
            lines.append("removed: " + ", ".join(f"{stage} {n}" for stage, n in sorted(self.stages.items())))
        lines.extend(s.describe() for s in self.skips)
        if written:
            lines.append("wrote " + " and ".join(written))
        return "\n".join(lines) + "\n"


class ResultSink:
    """Writes results as they come: ``mode`` ``"tree"`` (a file per document in ``tree``, at ``paths[id]``),
    ``"jsonl"`` or ``"text"`` (to ``out``, or to ``stream`` when there is no file), and the report (to
    ``report``, or at ``report_rel`` inside the tree). Nothing appears at a file output or the report until
    :meth:`commit`; leaving a ``with`` block without it removes the temporary files."""

    def __init__(
        self,
        mode: str,
        *,
        out: Path | None = None,
        stream: BinaryIO | None = None,
        tree: OutputTree | None = None,
        paths: Mapping[str, str] | None = None,
        report: Path | None = None,
        report_rel: str | None = None,
    ) -> None:
        self.mode, self.tree, self.paths = mode, tree, paths or {}
        self.stream = stream
        self.tally = Tally()
        self._buffer: list[str] = []
        self._size = 0
        self._reported: list[str] = []
        self._reported_size = 0
        self._files: list[AtomicFile] = []
        self._out = self._open(out) if mode != "tree" and out is not None else None
        self._report: AtomicFile | None = None
        if tree is not None and report_rel is not None:
            self._report = tree.atomic(report_rel)
        elif report is not None:
            self._report = AtomicFile.at(report)
        if self._report is not None:
            self._files.append(self._report)

    def _open(self, path: Path) -> AtomicFile:
        out = AtomicFile.at(path)
        self._files.append(out)
        return out

    def add(self, result: CleanedDocument | Skip) -> None:
        """Write one result, then its report line."""
        self.tally.add(result)
        if isinstance(result, CleanedDocument):
            if self.mode == "tree" and self.tree is not None:
                self.tree.write(self.paths[result.id], result.text)
            elif self.mode == "text":
                self._emit(result.text)
            else:
                site = {"site": result.site} if result.site else {}
                self._emit(jsonl_line({"id": result.id, "text": result.text, **site}))
        if self._report is not None:
            self._reported.append(jsonl_line(result.report()))
            self._reported_size += len(self._reported[-1])
            if self._reported_size >= BUFFER_CHARS:
                self._flush_report()

    def _emit(self, text: str) -> None:
        """Append output text, written in chunks of about :data:`BUFFER_CHARS`."""
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= BUFFER_CHARS:
            self._flush()

    def _flush(self) -> None:
        text = "".join(self._buffer)
        self._buffer, self._size = [], 0
        if self._out is not None:
            self._out.write(text)
        elif self.stream is not None and text:
            write_stream(self.stream, text)

    def _flush_report(self) -> None:
        text = "".join(self._reported)
        self._reported, self._reported_size = [], 0
        if self._report is not None and text:
            self._report.write(text)

    def commit(self) -> None:
        """Write what is buffered and put every file output in place."""
        self._flush()
        self._flush_report()
        if self.stream is not None and self._out is None:
            write_stream(self.stream, "")
        for file in self._files:
            file.commit()
        self._files = []

    def __enter__(self) -> ResultSink:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for file in self._files:
            file.abort()
        self._files = []
