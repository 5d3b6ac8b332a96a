"""Hostile and changing input: every bad record is reported with its line, nothing crashes."""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path

import pytest

from dedup import pipeline
from dedup.engines import shard
from dedup.io.jsonl import read_jsonl
from dedup.io.read import Skip, decode, read_file
from dedup.records import Document


def jsonl(*lines: bytes) -> list[Document | Skip]:
    return list(read_jsonl(io.BytesIO(b"\n".join(lines) + b"\n"), "in.jsonl", max_bytes=200))


def test_utf8_with_a_few_percent_stray_bytes_stays_utf8() -> None:
    text = "Thủ tướng Phạm Minh Chính tiếp Đại sứ Nhật Bản tại Hà Nội về hợp tác kinh tế. " * 40
    data = bytearray(text.encode())
    rng = random.Random(7)
    for at in sorted(rng.sample(range(len(data)), len(data) * 17 // 1000), reverse=True):
        data[at:at] = bytes([rng.choice([0x80, 0x9f, 0xff, 0xfe, 0xc0])])
    decoded, notes = decode(bytes(data))
    assert "Thủ tướng" in decoded
    assert "Đại sứ" in decoded
    assert notes[0].startswith("invalid UTF-8:")
    assert "replaced with U+FFFD" in notes[0]


def test_legacy_bytes_are_still_decoded_as_cp1252() -> None:
    decoded, notes = decode("Les crêpes et la crème brûlée, à Noël.".encode("cp1252"))
    assert decoded == "Les crêpes et la crème brûlée, à Noël."
    assert notes == ("not UTF-8: decoded as cp1252 (6 invalid bytes)",)


def test_jsonl_bom_invalid_utf8_and_surrogates_are_noted() -> None:
    out = jsonl(b'\xef\xbb\xbf{"id": "a", "text": "x"}', b'{"id": "b", "text": "caf\xe9"}',
                b'{"id": "c", "text": "a\\ud800b"}')
    assert [type(r).__name__ for r in out] == ["Document", "Document", "Document"]
    assert out[1].text == "caf\ufffd"
    assert out[1].notes == ("invalid UTF-8: 1 byte sequence(s) replaced with U+FFFD",)
    assert out[2].text == "a\ufffdb"
    assert out[2].notes == ("lone surrogate(s) replaced with U+FFFD",)


@pytest.mark.parametrize(
    ("line", "reason"),
    [(b'{"id": null, "text": "x"}', '"id" must be a string or an integer, not null'),
     (b'{"id": {"x": 1}, "text": "x"}', '"id" must be a string or an integer, not dict'),
     (b'{"id": 1.5, "text": "x"}', '"id" must be a string or an integer, not float'),
     (b'{"id": true, "text": "x"}', '"id" must be a string or an integer, not bool'),
     (b'{"id": "", "text": "x"}', '"id" is empty'),
     (b'{"id": "\\udc80", "text": "x"}', '"id" holds a lone surrogate'),
     (b'[1, 2]', 'no string field "text"'),
     (b'{"id": "z", "text": "' + b"x" * 300 + b'"}', "too large: over 200 bytes")],
)
def test_hostile_records_are_reported_with_their_line(line: bytes, reason: str) -> None:
    out = jsonl(b'{"id": "ok", "text": "fine"}', line)
    assert isinstance(out[0], Document)
    assert isinstance(out[1], Skip)
    assert out[1].reason.startswith("line 2: ")
    assert reason in out[1].reason
    assert out[1].source == "in.jsonl:2"


def test_deeply_nested_json_is_a_bad_record_not_a_crash() -> None:
    nested = b'{"id": "n", "text": "x", "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    out = list(read_jsonl(io.BytesIO(nested), "in.jsonl"))
    assert isinstance(out[0], Skip)
    assert out[0].reason == "line 1: invalid JSON (nested too deeply)"


def test_duplicate_ids_are_errors_naming_both_lines() -> None:
    out = jsonl(b'{"id": "a", "text": "x"}', b'{"id": 7, "text": "y"}', b'{"id": "7", "text": "z"}',
                b'{"text": "no id: line 4"}', b'{"id": "a", "text": "w"}')
    reasons = [r.reason if isinstance(r, Skip) else r.id for r in out]
    assert reasons == ["a", "7", 'line 3: duplicate id "7" (first on line 2)', "4",
                       'line 5: duplicate id "a" (first on line 1)']
    assert all(r.error for r in out if isinstance(r, Skip))


def test_a_long_line_is_skipped_without_reading_it_whole() -> None:
    class Counting(io.BytesIO):
        largest = 0

        def readline(self, size: int | None = -1) -> bytes:
            line = super().readline(size)
            Counting.largest = max(Counting.largest, len(line))
            return line

    stream = Counting(b'{"id": "a", "text": "' + b"x" * 5_000_000 + b'"}\n{"id": "b", "text": "y"}\n')
    out = list(read_jsonl(stream, "in.jsonl", max_bytes=1000))
    assert isinstance(out[0], Skip)
    assert "too large" in out[0].reason
    assert isinstance(out[1], Document)
    assert out[1].id == "b"
    assert Counting.largest <= 1 << 20


def test_jsonl_cli_reports_bad_records_and_goes_on(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "One ."}\n{"id": null, "text": "x"}\n{"id": "a", "text": "y"}\n')
    result = run_cli("clean", str(src), "-o", str(tmp_path / "out.jsonl"), "--report", str(tmp_path / "r.jsonl"))
    assert result.code == 1
    assert [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()] == [{"id": "a", "text": "One.\n"}]
    statuses = [json.loads(x)["status"] for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert statuses == ["ok", "error", "error"]
    assert "line 2" in result.err
    assert "line 3: duplicate id" in result.err


def test_a_file_that_vanishes_or_changes_during_the_run(run_cli, tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in "abcd":
        (src / f"{name}.txt").write_text(f"Paragraph {name}.\n")
    real = pipeline.read_file
    seen: list[str] = []

    def meddling(path: Path, doc_id: str, **kwargs: object) -> Document | Skip:
        if not seen:  # after the folder was listed, before the files are read
            (src / "b.txt").unlink()
            (src / "c.txt").write_text("Changed after listing.\n")
            with (src / "d.txt").open("a") as grow:
                grow.write("Appended.\n")
        seen.append(doc_id)
        return real(path, doc_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "read_file", meddling)  # the in-memory engine's reader
    monkeypatch.setattr(shard, "read_file", meddling)  # the streaming engine's
    result = run_cli("clean", str(src), "-o", str(tmp_path / "out"))
    assert result.code == 1
    assert "error: " in result.err
    assert "b.txt: unreadable: No such file or directory" in result.err
    assert (tmp_path / "out" / "c.txt").read_text() == "Changed after listing.\n"
    assert (tmp_path / "out" / "d.txt").read_text() == "Paragraph d.\n\nAppended.\n"


def test_an_unlistable_folder_reports_its_own_error(run_cli, tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "in"
    (src / "locked").mkdir(parents=True)
    (src / "a.txt").write_text("Text.\n")
    real = os.scandir

    def scandir(path):  # root may list any folder: chmod cannot show this
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run_cli("clean", str(src), "-o", str(tmp_path / "out"))
    assert result.code == 1
    assert "locked: unreadable folder: Permission denied" in result.err


def test_a_file_growing_past_the_limit_while_read(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x" * 100)
    assert isinstance(read_file(path, "a", max_bytes=100), Document)
    path.write_text("x" * 101)
    skip = read_file(path, "a", max_bytes=100)
    assert isinstance(skip, Skip)
    assert skip.reason.startswith("too large")
