"""Fuzzing the readers: bytes of every encoding kind, hostile records and file names.

Properties: reading never raises (a bad input is a skip that names its line), decoded text is
always writable as UTF-8, and a folder of hostile names is written only inside the output folder.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.cli import main
from dedup.errors import BinaryInputError
from dedup.io.jsonl import read_jsonl
from dedup.io.read import Skip, decode
from dedup.records import Document

ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "cp1252", "latin-1", "cp1258", "shift_jis", "gb18030", "koi8-r"]


def encoded(text: str, codec: str) -> bytes:
    return text.encode(codec, errors="replace")


any_bytes = st.one_of(
    st.binary(max_size=2000),
    st.builds(encoded, st.text(max_size=500), st.sampled_from(ENCODINGS)),
    st.builds(lambda a, b: a + b, st.text(max_size=300).map(str.encode), st.binary(max_size=50)),
)


@settings(max_examples=examples(400), deadline=None)
@given(any_bytes)
def test_decode_gives_writable_text_or_says_binary(data: bytes) -> None:
    try:
        text, notes = decode(data)
    except BinaryInputError:
        return
    text.encode("utf-8")  # no lone surrogate
    assert all(isinstance(n, str) for n in notes)
    assert decode(data) == (text, notes)  # deterministic


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
records = st.fixed_dictionaries(
    {}, optional={"id": json_values | st.text(max_size=10), "text": st.text(max_size=50) | json_values,
                  "site": json_values, "url": st.text(max_size=30)},
).map(lambda r: json.dumps(r).encode())
lines = st.lists(records | st.binary(max_size=80).filter(lambda b: b"\n" not in b), max_size=12)


@settings(max_examples=examples(300), deadline=None)
@given(lines)
def test_every_jsonl_line_gives_one_result_that_names_it(raw_lines: list[bytes]) -> None:
    stream = io.BytesIO(b"\n".join(raw_lines) + b"\n")
    out = list(read_jsonl(stream, "in.jsonl", max_bytes=500))
    bare = [line.removeprefix(b"\xef\xbb\xbf") if n == 0 else line for n, line in enumerate(raw_lines)]
    expected = [n for n, line in enumerate(bare, 1) if line.strip()]
    assert [int(r.source.rsplit(":", 1)[1]) for r in out if r.source] == expected
    ids = [r.id for r in out if isinstance(r, Document)]
    assert len(ids) == len(set(ids))
    for r in out:
        if isinstance(r, Skip):
            assert r.reason.startswith("line ")
        else:
            (r.id + r.text + (r.site or "")).encode("utf-8")


name_bytes = st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\x00" not in b)
SPECIAL_NAMES = [b"report.jsonl", b".dedup-output", b".1.0123abcd.dedup-tmp", b"..x", b"-o", b"\n", b" ", b"\xff\xfe",
                 b"caf\xe9.txt", b"\x1b[31mred", "ｆｕｌｌ".encode(), "e\u0301".encode(), "\u00e9".encode()]
names = st.lists((name_bytes | st.sampled_from(SPECIAL_NAMES)).filter(lambda b: b not in (b".", b"..")),
                 min_size=1, max_size=6, unique=True)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names, st.sampled_from(["tree", "jsonl"]))
def test_hostile_file_names_stay_inside_the_output(tmp_path: Path, capsys, file_names: list[bytes], kind) -> None:
    root = tmp_path / "case"
    shutil.rmtree(root, ignore_errors=True)
    src = root / "in"
    src.mkdir(parents=True)
    for i, name in enumerate(file_names):
        with open(os.path.join(os.fsencode(src), name), "wb") as handle:
            handle.write(f"Paragraph number {i} of a hostile name.\n".encode())
    out = root / ("out" if kind == "tree" else "out.jsonl")
    code = main(["clean", str(src), "-o", str(out), "--no-progress", "--no-strip", "-q"])
    err = capsys.readouterr().err
    if code == 2:  # refused before writing: an input named like the report
        assert b"report.jsonl" in file_names
        assert "pass --report" in err
        assert not out.exists()
        return
    assert code in (0, 1), err
    outside = {p for p in root.rglob("*") if not p.is_relative_to(src) and not p.is_relative_to(out)}
    assert outside <= {src, out}
    visible = [n for n in file_names if not n.startswith(b".")]
    if kind == "tree":
        report = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
        assert len(report) == len(file_names)
        written = {os.fsencode(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
        ok = [r for r in report if r["status"] == "ok"]
        assert len(written - {b"report.jsonl", b".dedup-output"}) == len(ok) <= len(visible)
    else:
        ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
        assert len(ids) == len(set(ids)) <= len(visible)
