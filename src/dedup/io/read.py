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
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dedup.errors import BinaryInputError
from dedup.records import Document

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

LEGACY_SHARE = 0.25
"""Text is decoded as cp1252 only when its valid non-ASCII UTF-8 characters number fewer than this
share of its invalid byte sequences: legacy single-byte text almost never forms valid UTF-8, while
UTF-8 text with stray bytes has far more valid non-ASCII characters than bad bytes."""

READ_CHUNK = 1 << 20
"""Bytes read at a time from a file descriptor or while skipping an over-large JSONL line."""

UTF8_BOM = b"\xef\xbb\xbf"


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
        return printable(f"{self.status}: {self.source}: {self.reason}")

    def report(self) -> dict[str, Any]:
        """The skip as one line of ``report.jsonl``."""
        return {"id": self.doc_id or self.source, "source": self.source, "status": self.status, "reason": self.reason}


def _sniff_binary(data: bytes) -> str | None:
    """Name the reason ``data`` is binary, or ``None`` when it looks like text.

    >>> _sniff_binary(b"%PDF-1.7 ..."), _sniff_binary(b"a\\x00b"), _sniff_binary(b"plain")
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


def count_invalid(text: str, data: bytes) -> int:
    """How many U+FFFD in ``text`` (``data`` decoded with replacement) stand for invalid bytes."""
    return text.count("\ufffd") - data.count("\ufffd".encode())


def _non_ascii(text: str) -> int:
    """The number of non-ASCII characters in ``text``.

    >>> _non_ascii("Việt Nam")
    1
    """
    return len(text) - len(text.encode("ascii", errors="ignore"))


def decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode file bytes into text, with notes on anything that was not plain UTF-8.

    Invalid UTF-8 is replaced with U+FFFD, unless the bytes look like a legacy single-byte
    encoding (almost no valid non-ASCII UTF-8 among the invalid bytes, see :data:`LEGACY_SHARE`):
    then they are decoded as cp1252. Either way a note says so.

    >>> decode("Việt Nam đẹp ".encode() * 3 + b"\\xff")[1]
    ('invalid UTF-8: 1 byte sequence(s) replaced with U+FFFD',)

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
    reason = _sniff_binary(data)
    if reason is not None:
        raise BinaryInputError(reason)
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    invalid = count_invalid(text, data)
    valid = _non_ascii(text) - text.count("\ufffd")
    if valid >= LEGACY_SHARE * invalid:
        return text, (f"invalid UTF-8: {invalid} byte sequence(s) replaced with U+FFFD",)
    return data.decode("cp1252", errors="replace"), (f"not UTF-8: decoded as cp1252 ({invalid} invalid bytes)",)


def printable(text: str) -> str:
    """``text`` safe to show on a terminal or in JSON: control characters, lone surrogates (a file
    name that is not UTF-8) and other unprintable characters as backslash escapes.

    >>> printable("caf\\udce9.txt"), printable("a\\x1b[31mb\\n"), printable("Việt")
    ('caf\\\\xe9.txt', 'a\\\\x1b[31mb\\\\n', 'Việt')
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in text)


def _escape_char(ch: str) -> str:
    """One unprintable character as an escape: ``\\xNN`` for a byte that was not UTF-8."""
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape: the byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return ch.encode("unicode_escape").decode("ascii")


def site_of_url(url: str) -> str | None:
    """The host of a URL, without ``www.``, as a site name.

    >>> site_of_url("https://www.baoquocte.vn/a-328799.html")
    'baoquocte.vn'
    """
    host = urlsplit(url).hostname
    if not host:
        return None
    return host.removeprefix("www.")


def read_file(path: Path, doc_id: str, *, max_bytes: int = MAX_BYTES, follow_links: bool = True) -> Document | Skip:
    """Read one file into a document, or say why it was skipped. Never raises ``OSError``.

    With ``follow_links=False`` (files found in a folder) a symbolic link is skipped, not read: a
    link could point anywhere, and the folder's owner asked for the folder. The file is opened
    without following a link and without blocking (a FIFO is skipped unread), then checked.
    """
    result = _read_path(path, max_bytes, follow_links)
    if isinstance(result, Skip):
        return dataclasses.replace(result, doc_id=doc_id)
    text, notes = result
    return Document(id=doc_id, text=text, source=printable(str(path)), notes=notes)


def _read_path(path: Path, max_bytes: int, follow_links: bool) -> tuple[str, tuple[str, ...]] | Skip:
    """:func:`read_file`'s work: the decoded text and its notes, or a skip without its document id."""
    source = printable(str(path))
    try:
        link = _link_skip(path, source, follow_links)
        if link is not None:
            return link
        data = _read_regular(path, max_bytes, follow_links)
    except OSError as exc:
        return Skip(source, f"unreadable: {exc.strerror or exc}", error=True)
    if isinstance(data, str):
        return Skip(source, data, error=data.startswith("unreadable"))
    if not data.strip():
        return Skip(source, "empty" if not data else "only white space")
    try:
        return decode(data)
    except BinaryInputError as exc:
        return Skip(source, f"binary: {exc}")


def _link_skip(path: Path, source: str, follow_links: bool) -> Skip | None:
    """The skip for a symbolic link that is not read, or ``None`` to go on and open ``path``."""
    if not path.is_symlink():
        return None
    if not path.exists():
        return Skip(source, "unreadable: broken symbolic link", error=True)
    if path.is_dir():
        return Skip(source, "symbolic link to a folder: not followed")
    if not follow_links:
        return Skip(source, "symbolic link: not followed (it could point outside the input folder)")
    return None


def _read_regular(path: Path, max_bytes: int, follow_links: bool) -> bytes | str:
    """The bytes of a regular file, or a reason it is not read (not a regular file, too large).

    At most ``max_bytes + 1`` bytes are read, so a file that grows while it is read stays bounded.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "unreadable: not a regular file"
        if info.st_size > max_bytes:
            return f"too large: {info.st_size} bytes (limit {max_bytes}, see --max-bytes)"
        chunks: list[bytes] = []
        got = 0
        while got <= max_bytes:
            chunk = os.read(fd, min(READ_CHUNK, max_bytes + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > max_bytes:
            return f"too large: grew past {max_bytes} bytes while read (see --max-bytes)"
        return b"".join(chunks)
    finally:
        os.close(fd)


def is_hidden(name: str) -> bool:
    """Whether a file or folder name is hidden (starts with a dot)."""
    return name.startswith(".")


def iter_files(root: Path, *, exclude: Path | None = None) -> Iterator[Path | Skip]:
    """Every entry below ``root`` to read or report, in sorted path order, leaving out ``exclude``.

    Symbolic links to folders are not followed (they are yielded, for the reader to report).
    Hidden files and folders are yielded as themselves (a hidden folder is not entered), so the
    caller can report them. A folder that cannot be listed becomes an error :class:`Skip` that
    says why.
    """
    try:
        with os.scandir(root) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        yield Skip(printable(str(root)), f"unreadable folder: {exc.strerror or exc}", error=True)
        return
    for entry in entries:
        path = Path(entry.path)
        if exclude is not None and path == exclude:
            continue
        try:
            folder = entry.is_dir(follow_symlinks=False)
        except OSError:
            folder = False
        if folder and not is_hidden(entry.name):
            yield from iter_files(path, exclude=exclude)
        else:
            yield path
