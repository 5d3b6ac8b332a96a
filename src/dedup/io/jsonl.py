"""Read JSONL records: one document per line, every bad line a skip that names it.

A record is an object with a string ``text`` and an ``id`` (a string or an integer; the line
number when it has none). Ids must be unique. A BOM, invalid UTF-8 and lone surrogates are
repaired and noted; a line over the size limit is skipped without being held in memory.

>>> import io
>>> [d.id for d in read_jsonl(io.BytesIO(b'{"id": "a", "text": "x"}\\n\\n{"text": "y"}\\n'), "in.jsonl")]
['a', '3']
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import IO, Any

from dedup.io.read import MAX_BYTES, READ_CHUNK, UTF8_BOM, Skip, count_invalid, site_of_url
from dedup.records import Document
from dedup.text.normalize import SURROGATE, fix_surrogates

__all__ = ["bounded_lines", "duplicate_skip", "parse_line", "parse_record", "read_jsonl", "unreadable_line"]


def parse_record(line: str, number: int, origin: str) -> Document | Skip:
    """One JSONL line as a document: an object with a string ``text`` and an ``id`` (else the line number).

    The id must be a string or an integer (not ``null``, a float or an object: those are errors, as
    turning them into text would make ids that nobody wrote). Optional fields: ``site``, or ``url``
    whose host becomes the site. Lone surrogates (``"\\ud800"`` escapes) in the text are replaced
    with U+FFFD, and noted.

    >>> parse_record('{"id": "a", "text": "Hi", "url": "https://www.x.org/1"}', 1, "in.jsonl").site
    'x.org'
    >>> parse_record('{"id": "a"}', 7, "in.jsonl").reason
    'line 7: no string field "text"'
    >>> parse_record('{"id": null, "text": "Hi"}', 2, "in.jsonl").reason
    'line 2: "id" must be a string or an integer, not null'
    """
    where = f"{origin}:{number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return Skip(where, f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})", error=True)
    except RecursionError:
        return Skip(where, f"line {number}: invalid JSON (nested too deeply)", error=True)
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return Skip(where, f'line {number}: no string field "text"', error=True)
    doc_id, problem = _record_id(record, number)
    if problem:
        return Skip(where, f"line {number}: {problem}", error=True)
    text, notes = _replace_surrogates(record["text"])
    site = record.get("site")
    if not isinstance(site, str) or _has_surrogates(site):
        url = record.get("url")
        site = site_of_url(url) if isinstance(url, str) else None
    return Document(id=doc_id, text=text, source=where, site=site, notes=notes)


def _record_id(record: dict[str, Any], number: int) -> tuple[str, str]:
    """A record's id as text (its line number when it has none), and what is wrong with it (or "")."""
    if "id" not in record:
        return str(number), ""
    value = record["id"]
    if isinstance(value, bool) or not isinstance(value, str | int):
        kind = "null" if value is None else type(value).__name__
        return "", f'"id" must be a string or an integer, not {kind}'
    doc_id = str(value)
    if not doc_id:
        return "", '"id" is empty'
    if _has_surrogates(doc_id):
        return "", '"id" holds a lone surrogate (not valid Unicode)'
    return doc_id, ""


def _has_surrogates(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (it cannot be written as UTF-8)."""
    return SURROGATE.search(text) is not None


def _replace_surrogates(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with lone surrogates replaced by U+FFFD, and a note when there were any.

    >>> _replace_surrogates("a\\ud800b")
    ('a\\ufffdb', ('lone surrogate(s) replaced with U+FFFD',))
    """
    if not _has_surrogates(text):
        return text, ()
    return fix_surrogates(text)[0], ("lone surrogate(s) replaced with U+FFFD",)


def read_jsonl(
    stream: IO[bytes], origin: str, *, max_bytes: int = MAX_BYTES, unique: bool = True
) -> Iterator[Document | Skip]:
    """Documents from a JSONL byte stream, one per non-blank line; bad lines become skips.

    A UTF-8 byte-order mark before the first record is dropped. Invalid UTF-8 is replaced and
    noted on the record. A line longer than ``max_bytes`` is skipped unread (memory stays bounded).
    A record whose id an earlier record already has is an error: ids name outputs and report lines
    (``unique=False`` leaves that check to the caller, which then holds no id). A stream that fails
    while read ends with an error skip.

    >>> import io
    >>> lines = io.BytesIO(b'\\xef\\xbb\\xbf{"id": "a", "text": "x"}\\n{"id": "a", "text": "y"}\\n')
    >>> [r.id if isinstance(r, Document) else r.reason for r in read_jsonl(lines, "in.jsonl")]
    ['a', 'line 2: duplicate id "a" (first on line 1)']
    """
    seen: dict[str, int] = {}
    number = 0
    try:
        for number, raw in enumerate(bounded_lines(stream, max_bytes), start=1):
            record = parse_line(raw, number, origin, max_bytes)
            if record is not None:
                yield duplicate_skip(record, number, seen) if unique else record
    except OSError as exc:
        yield unreadable_line(origin, number + 1, exc)


def unreadable_line(origin: str, number: int, exc: OSError) -> Skip:
    """The error skip for a stream that failed while line ``number`` was read."""
    return Skip(f"{origin}:{number}", f"line {number}: unreadable: {exc.strerror or exc}", error=True)


def parse_line(raw: bytes | None, number: int, origin: str, max_bytes: int) -> Document | Skip | None:
    """Line ``number`` of a JSONL stream (``None``: a line over ``max_bytes``) as a record, a skip, or
    ``None`` for a blank line.

    >>> parse_line(b'\\xef\\xbb\\xbf{"text": "x"}\\n', 1, "in.jsonl", 100).id
    '1'
    >>> parse_line(None, 4, "in.jsonl", 100).reason
    'line 4: too large: over 100 bytes (see --max-bytes)'
    """
    if raw is None:
        return Skip(f"{origin}:{number}", f"line {number}: too large: over {max_bytes} bytes (see --max-bytes)")
    if number == 1:
        raw = raw.removeprefix(UTF8_BOM)
    if not raw.strip():
        return None
    return _jsonl_record(raw, number, origin)


def _jsonl_record(raw: bytes, number: int, origin: str) -> Document | Skip:
    """One line's bytes as a record, with a note when its UTF-8 was invalid."""
    try:
        return parse_record(raw.decode("utf-8"), number, origin)
    except UnicodeDecodeError:
        pass
    line = raw.decode("utf-8", errors="replace")
    record = parse_record(line, number, origin)
    if isinstance(record, Skip):
        return record
    note = f"invalid UTF-8: {count_invalid(line, raw)} byte sequence(s) replaced with U+FFFD"
    return dataclasses.replace(record, notes=(note, *record.notes))


def duplicate_skip(record: Document | Skip, number: int, seen: dict[str, int]) -> Document | Skip:
    """``record``, or an error skip when an earlier line (in ``seen``: id -> line) has its id."""
    if isinstance(record, Skip):
        return record
    first = seen.setdefault(record.id, number)
    if first == number:
        return record
    return Skip(record.source or str(number), f'line {number}: duplicate id "{record.id}" (first on line {first})',
                error=True)


def bounded_lines(stream: IO[bytes], max_bytes: int) -> Iterator[bytes | None]:
    """The lines of ``stream``, each read with at most ``max_bytes + 1`` bytes in memory;
    ``None`` stands for a longer line, which is read past and dropped."""
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(READ_CHUNK)
        yield None
