"""Read inputs: files in a folder, JSONL records, or standard input, into documents.

Reading never raises for a bad input: a file that cannot be read, is empty, is binary or is
too large becomes a :class:`Skip` that names the file and says why, and the run goes on.
Text that is not valid UTF-8 is still read: a few bad bytes are replaced (and reported), and
text that is mostly invalid UTF-8 is decoded as Windows-1252, the usual legacy encoding of
scraped pages (and reported).

>>> decode(b"caf\\xc3\\xa9")
('café', ())
>>> decode(b"caf\\xe9 cr\\xe8me br\\xfbl\\xe9e")
('café crème brûlée', ('not UTF-8: decoded as cp1252 (4 invalid bytes)',))
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from dedup.errors import BinaryInputError
from dedup.model import Document

MAX_BYTES = 1 << 30
"""Default largest input file read, 1 GiB; a larger one is skipped (the pipeline holds text in memory)."""

SNIFF_BYTES = 1 << 16
"""How much of a file's start is looked at to tell text from binary."""

BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
"""Byte-order marks, longest first, and the codec each one announces."""

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "gzip"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x7fELF", "ELF executable"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ", "xz"),
    (b"(\xb5/\xfd", "zstd"),
)
"""Signatures of common binary formats, so a skip can say what the file is."""

CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}
"""Bytes that text does not contain (C0 controls other than tab, newline, form feed, CR)."""

MAX_CONTROL_SHARE = 0.05
"""A file whose start has more control bytes than this share is binary."""

MAX_INVALID_SHARE = 0.01
"""Up to this share of invalid UTF-8 bytes are replaced; more means another encoding."""


@dataclass(frozen=True, slots=True)
class Skip:
    """An input that produced no document, and why.

    ``error`` is true when the input could not be read at all (a failure the exit code reports),
    false for inputs skipped on purpose (empty, binary, too large).
    """

    source: str
    reason: str
    error: bool = False
    doc_id: str | None = None

    @property
    def status(self) -> str:
        """``"error"`` for an input that could not be read, ``"skipped"`` for one left out on purpose."""
        return "error" if self.error else "skipped"

    def describe(self) -> str:
        """One line for people: status, source and reason.

        >>> Skip("a.bin", "binary: NUL byte at offset 0").describe()
        'skipped: a.bin: binary: NUL byte at offset 0'
        """
        return f"{self.status}: {self.source}: {self.reason}"

    def report(self) -> dict[str, Any]:
        """The skip as one line of ``report.jsonl``."""
        return {"id": self.doc_id or self.source, "source": self.source, "status": self.status, "reason": self.reason}


def sniff_binary(data: bytes) -> str | None:
    """Name the reason ``data`` is binary, or ``None`` when it looks like text.

    >>> sniff_binary(b"%PDF-1.7 ..."), sniff_binary(b"a\\x00b"), sniff_binary(b"plain")
    ('PDF file', 'NUL byte at offset 1', None)
    """
    for magic, name in MAGIC:
        if data.startswith(magic):
            return f"{name} file"
    head = data[:SNIFF_BYTES]
    nul = head.find(b"\x00")
    if nul >= 0:
        return f"NUL byte at offset {nul}"
    controls = sum(head.count(bytes([b])) for b in CONTROL_BYTES)
    if head and controls / len(head) > MAX_CONTROL_SHARE:
        return f"{controls} control bytes in the first {len(head)}"
    return None


def decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode file bytes into text, with notes on anything that was not plain UTF-8.

    Raises:
        BinaryInputError: the bytes are not text.
    """
    for bom, codec in BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return body.decode(codec), ()
            except UnicodeDecodeError as exc:
                return body.decode(codec, errors="replace"), (f"invalid {codec}: {exc.reason}, bytes replaced",)
    reason = sniff_binary(data)
    if reason is not None:
        raise BinaryInputError(reason)
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    if invalid <= MAX_INVALID_SHARE * len(data):
        return text, (f"invalid UTF-8: {invalid} byte sequence(s) replaced with U+FFFD",)
    return data.decode("cp1252", errors="replace"), (f"not UTF-8: decoded as cp1252 ({invalid} invalid bytes)",)


def site_of_url(url: str) -> str | None:
    """The host of a URL, without ``www.``, as a site name.

    >>> site_of_url("https://www.baoquocte.vn/a-328799.html")
    'baoquocte.vn'
    """
    host = urlsplit(url).hostname
    if not host:
        return None
    return host.removeprefix("www.")


def read_file(path: Path, doc_id: str, *, max_bytes: int = MAX_BYTES) -> Document | Skip:
    """Read one file into a document, or say why it was skipped. Never raises ``OSError``."""
    result = read_path(path, doc_id, max_bytes)
    return dataclasses.replace(result, doc_id=doc_id) if isinstance(result, Skip) else result


def read_path(path: Path, doc_id: str, max_bytes: int) -> Document | Skip:
    """:func:`read_file`, before the skip is given the document id."""
    source = str(path)
    try:
        if path.is_symlink() and not path.exists():
            return Skip(source, "unreadable: broken symbolic link", error=True)
        if path.is_symlink() and path.is_dir():
            return Skip(source, "symbolic link to a folder: not followed")
        if not path.is_file():
            return Skip(source, "unreadable: not a regular file", error=True)
        size = path.stat().st_size
        if size > max_bytes:
            return Skip(source, f"too large: {size} bytes (limit {max_bytes}, see --max-bytes)")
        data = path.read_bytes()
    except OSError as exc:
        return Skip(source, f"unreadable: {exc.strerror or exc}", error=True)
    if not data.strip():
        return Skip(source, "empty" if not data else "only white space")
    try:
        text, notes = decode(data)
    except BinaryInputError as exc:
        return Skip(source, f"binary: {exc}")
    return Document(id=doc_id, text=text, source=source, notes=notes)


def iter_files(root: Path, *, exclude: Path | None = None) -> Iterator[Path]:
    """Every file below ``root`` in sorted path order, leaving out ``exclude`` and hidden entries.

    Symbolic links to folders are not followed. A folder that cannot be listed is yielded as
    itself, so that :func:`read_file` reports it.
    """
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        yield root
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith(".") or (exclude is not None and path == exclude):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from iter_files(path, exclude=exclude)
        else:
            yield path


def parse_record(line: str, number: int, origin: str) -> Document | Skip:
    """One JSONL line as a document: an object with a string ``text`` and an ``id`` (else the line number).

    Optional fields: ``site``, or ``url`` whose host becomes the site.

    >>> parse_record('{"id": "a", "text": "Hi", "url": "https://www.x.org/1"}', 1, "in.jsonl").site
    'x.org'
    >>> parse_record('{"id": "a"}', 7, "in.jsonl").reason
    'line 7: no string field "text"'
    """
    where = f"{origin}:{number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return Skip(where, f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})", error=True)
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return Skip(where, f'line {number}: no string field "text"', error=True)
    doc_id = str(record.get("id", number))
    site = record.get("site")
    if not isinstance(site, str):
        url = record.get("url")
        site = site_of_url(url) if isinstance(url, str) else None
    return Document(id=doc_id, text=record["text"], source=where, site=site)


def read_jsonl(stream: IO[bytes], origin: str) -> Iterator[Document | Skip]:
    """Documents from a JSONL byte stream, one per non-blank line; bad lines become skips."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        line = raw.decode("utf-8", errors="replace")
        yield parse_record(line, number, origin)
