"""Every output path against every input path: no run may overwrite an input or another output.

The matrix runs ``dedup clean`` with each input kind, each ``-o`` and each ``--report`` taken
from a set of dangerous and ordinary paths, and checks the invariants: inputs are byte-identical
afterwards, a run either succeeds with distinct, complete outputs or is refused with exit 2 and
writes nothing, and there is never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from dedup.errors import OutputError
from dedup.io.write import MARKER, OutputTree

INPUTS = ["IN", "page.txt", "records.jsonl"]
OUTPUTS = ["-", "IN", "IN/a.txt", "IN/sub/b.txt", "IN/new.jsonl", "page.txt", "records.jsonl", "OUT", "out.jsonl"]
REPORTS = [None, "IN/a.txt", "IN/r.jsonl", "page.txt", "records.jsonl", "OUT/report.jsonl", "OUT/a.txt", "OUT/sub",
           "out.jsonl", "rep.jsonl"]


def make_inputs(root: Path) -> None:
    (root / "IN" / "sub").mkdir(parents=True)
    (root / "IN" / "a.txt").write_text("Alpha , one.\n\nAlpha , one.\n")
    (root / "IN" / "sub" / "b.txt").write_text("Beta two.\n")
    (root / "page.txt").write_text("Page , text.\n")
    (root / "records.jsonl").write_text('{"id": "r1", "text": "Rec one."}\n{"id": "r2", "text": "Rec two."}\n')


def snapshot(root: Path, names: list[str]) -> dict[str, str]:
    """A digest of every file under the given input paths."""
    out = {}
    for name in names:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            if "OUT" not in path.parts and path.name != "new.jsonl":
                out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def all_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow  # 270 runs, about 25 s: CI runs them
@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("source", INPUTS)
def test_no_output_lands_on_an_input_or_another_output(run_cli, tmp_path, monkeypatch, source, output, report) -> None:
    make_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path, [source])  # other paths are not this run's input: writing there was asked for
    files_before = all_files(tmp_path)
    argv = ["clean", source, "-o", output] + (["--report", report] if report else [])
    result = run_cli(*argv)
    assert "Traceback" not in result.err
    assert snapshot(tmp_path, [source]) == before, "an input changed"
    if result.code != 0:
        assert result.code == 2, result.err
        assert all_files(tmp_path) == files_before, "a refused run wrote something"
        return
    written = []
    if output != "-":
        written.append(tmp_path / output)
    if report is not None:
        written.append(tmp_path / report)
    elif source == "IN" and output == "OUT":
        written.append(tmp_path / "OUT" / "report.jsonl")
    assert len({p.resolve() for p in written}) == len(written), "two outputs share a path"
    tree = source == "IN" and output == "OUT"
    reports = [tmp_path / report] if report else [tmp_path / "OUT" / "report.jsonl"] if tree else []
    for path in reports:
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert all("status" in line for line in lines), f"{path} is not the report"
    if source == "IN" and output == "OUT":
        assert (tmp_path / "OUT" / "a.txt").read_text() == "Alpha, one.\n"
        assert (tmp_path / "OUT" / "sub" / "b.txt").read_text() == "Beta two.\n"


def test_an_input_named_like_the_report_is_refused_not_overwritten(run_cli, tmp_path) -> None:
    make_inputs(tmp_path)
    (tmp_path / "IN" / "report.jsonl").write_text("my own notes\n")
    result = run_cli("clean", str(tmp_path / "IN"), "-o", str(tmp_path / "OUT"))
    assert result.code == 2
    assert "pass --report" in result.err
    assert not (tmp_path / "OUT").exists()
    result = run_cli("clean", str(tmp_path / "IN"), "-o", str(tmp_path / "OUT"), "--report", str(tmp_path / "r.jsonl"))
    assert result.code == 0
    assert (tmp_path / "OUT" / "report.jsonl").read_text() == "my own notes\n"
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 3


def test_a_link_in_the_input_folder_is_not_read(run_cli, tmp_path) -> None:
    make_inputs(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("Outside the input folder.\n")
    (tmp_path / "IN" / "link.txt").symlink_to(secret)
    result = run_cli("clean", str(tmp_path / "IN"), "-o", str(tmp_path / "OUT"))
    assert result.code == 0
    assert "link.txt: symbolic link: not followed" in result.err
    assert not (tmp_path / "OUT" / "link.txt").exists()
    assert "Outside" not in (tmp_path / "OUT" / "report.jsonl").read_text()


def test_a_link_inside_the_output_folder_is_not_written_through(run_cli, tmp_path) -> None:
    make_inputs(tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    out = tmp_path / "OUT"
    out.mkdir()
    (out / MARKER).touch()
    (out / "sub").symlink_to(victim)
    result = run_cli("clean", str(tmp_path / "IN"), "-o", str(out))
    assert result.code == 2
    assert "symbolic link" in result.err
    assert list(victim.iterdir()) == []


def test_a_link_that_appears_during_the_run_is_not_written_through(tmp_path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    with OutputTree.open(tmp_path / "OUT") as tree:
        tree.write("sub/x.txt", "before\n")
        os.rename(tmp_path / "OUT" / "sub", tmp_path / "moved")
        (tmp_path / "OUT" / "sub").symlink_to(victim)
        with pytest.raises(OutputError, match="symbolic link"):
            tree.write("sub/y.txt", "after\n")
        with pytest.raises(OutputError, match="leaves the output folder"):
            tree.write("../escape.txt", "after\n")
    assert list(victim.iterdir()) == []
    assert not (tmp_path / "escape.txt").exists()


def test_hidden_entries_are_reported_not_silently_dropped(run_cli, tmp_path) -> None:
    make_inputs(tmp_path)
    (tmp_path / "IN" / ".draft.txt").write_text("Hidden.\n")
    (tmp_path / "IN" / ".git").mkdir()
    (tmp_path / "IN" / ".git" / "config").write_text("x\n")
    result = run_cli("clean", str(tmp_path / "IN"), "-o", str(tmp_path / "OUT"))
    assert result.code == 0
    assert "skipped: " in result.err
    assert ".draft.txt: hidden file: not read" in result.err
    assert ".git: hidden folder: not read" in result.err
    assert "config" not in result.err  # a hidden folder is reported once, not entered
    statuses = {r["id"]: r["status"] for r in map(json.loads, (tmp_path / "OUT" / "report.jsonl").open())}
    assert statuses == {"a.txt": "ok", "sub/b.txt": "ok", ".draft.txt": "skipped", ".git": "skipped"}


def test_file_names_that_are_not_utf8(run_cli, tmp_path) -> None:
    src = tmp_path / "IN"
    src.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (src / name).write_text("Caf\u00e9 , au lait.\n")
    (src / "caf\\xe9.txt").write_text("A name that prints the same.\n")
    result = run_cli("clean", str(src), "-o", str(tmp_path / "OUT"))
    assert result.code == 1  # the second name (in sorted order) is shown like the first: a duplicate id, reported
    assert (tmp_path / "OUT" / "caf\\xe9.txt").read_text() == "A name that prints the same.\n"
    report = [json.loads(line) for line in (tmp_path / "OUT" / "report.jsonl").read_bytes().decode().splitlines()]
    assert [(r["id"], r["status"]) for r in report] == [("caf\\xe9.txt", "ok"), ("caf\\xe9.txt", "error")]
    (src / "caf\\xe9.txt").unlink()
    result = run_cli("clean", str(src), "-o", str(tmp_path / "OUT"))
    assert result.code == 0
    assert (tmp_path / "OUT" / name).read_text() == "Café, au lait.\n"  # same bytes in the output name
    result = run_cli("clean", str(src), "-o", str(tmp_path / "out.jsonl"))
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().decode().splitlines()]
    assert records == [{"id": "caf\\xe9.txt", "text": "Café, au lait.\n", "site": "."}]


@pytest.mark.parametrize("value", ["-5", "0"])
def test_max_bytes_must_be_positive(run_cli, tmp_path, value) -> None:
    make_inputs(tmp_path)
    result = run_cli("clean", str(tmp_path / "page.txt"), "--max-bytes", value)
    assert result.code == 2
    assert f"--max-bytes must be at least 1, not {value}" in result.err
