"""Reading inputs: encodings, binary detection, skips with reasons, JSONL records."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from dedup.errors import BinaryInputError
from dedup.io import read
from dedup.io.jsonl import read_jsonl
from dedup.io.read import Skip, decode, iter_files, read_file
from dedup.records import Document


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"plain", "plain"),
        ("Việt Nam".encode(), "Việt Nam"),
        ("\ufeffBOM".encode(), "BOM"),
        ("UTF-16 café".encode("utf-16"), "UTF-16 café"),
    ],
)
def test_decode_text(data: bytes, text: str) -> None:
    assert decode(data) == (text, ())


def test_a_few_invalid_bytes_are_replaced_and_reported() -> None:
    data = ("Việt Nam " * 50).encode() + b"\xff" + b" end"
    text, notes = decode(data)
    assert text.endswith("\ufffd end")
    assert notes == ("invalid UTF-8: 1 byte sequence(s) replaced with U+FFFD",)


def test_legacy_encoding_is_decoded_as_cp1252_and_reported() -> None:
    text, notes = decode("Crème brûlée “quoted”".encode("cp1252"))
    assert text == "Crème brûlée “quoted”"
    assert "cp1252" in notes[0]


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"%PDF-1.4\n...", "PDF file"), (b"\x1f\x8b\x08\x00", "gzip file"), (b"ab\x00cd", "NUL byte at offset 2"),
     (bytes(range(1, 9)) * 10, "control bytes")],
)
def test_binary_is_detected(data: bytes, reason: str) -> None:
    found = read._sniff_binary(data)
    assert found is not None
    assert reason in found
    with pytest.raises(BinaryInputError, match=reason.split()[0]):
        decode(data)


def test_read_file_skips_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b" \n\t\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    (tmp_path / "big.txt").write_bytes(b"x" * 101)
    (tmp_path / "broken").symlink_to(tmp_path / "missing")
    (tmp_path / "folder").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "folder")
    os.mkfifo(tmp_path / "fifo")  # reading it would block: it must be skipped unread
    results = {p.name: read_file(p, p.name, max_bytes=100) for p in sorted(tmp_path.iterdir())}
    reasons = {name: (r.reason, r.error) for name, r in results.items() if isinstance(r, Skip)}
    assert reasons == {
        "big.txt": ("too large: 101 bytes (limit 100, see --max-bytes)", False),
        "blank.txt": ("only white space", False),
        "broken": ("unreadable: broken symbolic link", True),
        "empty.txt": ("empty", False),
        "fifo": ("unreadable: not a regular file", True),
        "folder": ("unreadable: not a regular file", True),  # a folder given where a file was expected
        "image.png": ("binary: PNG file", False),
        "linked": ("symbolic link to a folder: not followed", False),
    }


def test_read_file_reports_os_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("text")

    def deny(path: Path, max_bytes: int, follow_links: bool) -> bytes:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(read, "_read_regular", deny)
    result = read_file(path, "secret.txt")
    assert isinstance(result, Skip)
    assert (result.reason, result.error) == ("unreadable: Permission denied", True)


def test_iter_files_is_sorted_and_leaves_out_excluded(tmp_path: Path) -> None:
    for rel in ["b.txt", "a/z.txt", "a/y.txt", ".hidden", "out/x.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("t")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path, exclude=tmp_path / "out")]
    assert found == [".hidden", "a/y.txt", "a/z.txt", "b.txt"]  # hidden entries are yielded, to be reported


def test_jsonl_records_and_bad_lines() -> None:
    stream = io.BytesIO(
        b'{"id": "a", "text": "One", "url": "https://www.site.vn/x"}\n\n'
        b'not json\n{"id": 7, "text": "Two", "site": "s"}\n{"text": 3}\n'
    )
    out = list(read_jsonl(stream, "in.jsonl"))
    assert out[0] == Document(id="a", text="One", source="in.jsonl:1", site="site.vn")
    assert isinstance(out[1], Skip)
    assert out[1].error
    assert out[1].reason.startswith("line 3: invalid JSON")
    assert out[2] == Document(id="7", text="Two", source="in.jsonl:4", site="s")
    assert isinstance(out[3], Skip)
    assert out[3].reason == 'line 5: no string field "text"'
