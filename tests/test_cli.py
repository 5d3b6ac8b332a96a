"""The ``dedup`` command over folders, files, stdin and JSONL, and its handling of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup.io import read, write
from dedup.io.write import MARKER, TEMP_SUFFIX, OutputTree
from dedup.plan import WORK_NAME


def read_tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` but the work folder's (kept after an interruption, so that a rerun resumes)."""
    files = (p for p in sorted(root.rglob("*")) if p.is_file() and WORK_NAME not in p.relative_to(root).parts)
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files}


def report_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "report.jsonl").read_text(encoding="utf-8").splitlines()]


def test_clean_folder_mirrors_tree_and_reports(run_cli, seeds: Path, tmp_path: Path) -> None:
    (seeds / "sub").mkdir()
    (seeds / "sub" / "x.txt").write_text("One.\n\nOne.\n")
    out = tmp_path / "out"
    result = run_cli("clean", str(seeds), "-o", str(out))
    assert result.code == 0
    files = read_tree(out)
    assert set(files) == {p.relative_to(seeds).as_posix() for p in seeds.rglob("*.txt")} | {"report.jsonl", MARKER}
    assert files["sub/x.txt"] == "One.\n"
    report = report_of(out)
    assert [r["id"] for r in report] == sorted(r["id"] for r in report)
    x = next(r for r in report if r["id"] == "sub/x.txt")
    assert x["removed"] == [{"paragraph": 1, "line": 3, "text": "One.", "stage": "exact", "rule": "exact_repeat",
                             "duplicate_of": {"doc": "sub/x.txt", "paragraph": 0}, "similarity": 1.0}]
    assert "6 document(s) cleaned, 0 skipped" in result.err


def test_jobs_do_not_change_output(run_cli, seeds: Path, tmp_path: Path) -> None:
    for i in range(40):  # enough documents for several worker chunks
        (seeds / f"extra{i:02}.txt").write_text(f"Paragraph {i}.\n\nShared line.\n\nShared line.\n")
    assert run_cli("clean", str(seeds), "-o", str(tmp_path / "one"), "--jobs", "1").code == 0
    assert run_cli("clean", str(seeds), "-o", str(tmp_path / "two"), "--jobs", "2").code == 0
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")


def test_stdin_to_stdout(run_cli) -> None:
    result = run_cli("clean", "-", stdin=b"Firstly , the visit.\r\n\r\nFirstly , the visit.\r\n")
    assert (result.code, result.out) == (0, "Firstly, the visit.\n")


def test_jsonl_in_and_out(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "A .\nA ."}) + "\n" + json.dumps({"id": "b", "text": "B"}) + "\n")
    result = run_cli("clean", str(src), "-o", str(tmp_path / "out.jsonl"), "--report", str(tmp_path / "r.jsonl"))
    assert result.code == 0
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert records == [{"id": "a", "text": "A.\n"}, {"id": "b", "text": "B\n"}]
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 2


def test_jsonl_from_stdin_with_a_bad_line(run_cli) -> None:
    result = run_cli("clean", "-", "--jsonl", stdin=b'{"id": "a", "text": "x"}\n{oops\n')
    assert result.code == 1
    assert json.loads(result.out) == {"id": "a", "text": "x\n"}
    assert "error: -:2: line 2: invalid JSON" in result.err


def test_folder_to_jsonl_stdout(run_cli, seeds: Path) -> None:
    result = run_cli("clean", str(seeds), "-o", "-")
    ids = [json.loads(line)["id"] for line in result.out.splitlines()]
    assert ids == sorted(p.name for p in seeds.iterdir())


def test_bad_inputs_are_reported_and_the_run_goes_on(run_cli, seeds: Path, tmp_path: Path) -> None:
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "binary.bin").write_bytes(b"\x00\x01\x02" * 100)
    (seeds / "archive.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(20))
    (seeds / "latin1.txt").write_bytes("Café crème, déjà vu.".encode("cp1252"))
    (seeds / "badbyte.txt").write_bytes(("Việt Nam. " * 40).encode() + b"\xc3\x28 end.")
    (seeds / "broken.txt").symlink_to(tmp_path / "nowhere")
    out = tmp_path / "out"
    result = run_cli("clean", str(seeds), "-o", str(out))
    assert result.code == 1  # the broken link could not be read
    report = {r["id"]: r for r in report_of(out)}
    assert report["empty.txt"]["status"] == "skipped"
    assert report["binary.bin"]["reason"] == "binary: NUL byte at offset 0"
    assert report["archive.gz"]["reason"] == "binary: gzip file"
    assert report["broken.txt"]["status"] == "error"
    assert "cp1252" in report["latin1.txt"]["notes"][0]
    assert (out / "latin1.txt").read_text() == "Café crème, déjà vu.\n"
    assert "replaced" in report["badbyte.txt"]["notes"][0]
    assert (out / "badbyte.txt").read_text().endswith("\ufffd( end.\n")
    assert not (out / "empty.txt").exists()
    assert not (out / "binary.bin").exists()
    assert (out / "000_e62473a3f13614cc.txt").exists()
    assert "skipped: " in result.err
    assert "error: " in result.err


def test_unreadable_file_is_an_error_not_a_crash(run_cli, seeds: Path, tmp_path: Path, monkeypatch) -> None:
    real = read._read_regular

    def flaky(path: Path, max_bytes: int, follow_links: bool) -> bytes | str:
        if path.name.startswith("001"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, max_bytes, follow_links)

    monkeypatch.setattr(read, "_read_regular", flaky)  # root reads any file: chmod cannot show this
    result = run_cli("clean", str(seeds), "-o", str(tmp_path / "out"))
    assert result.code == 1
    assert "Permission denied" in result.err
    assert len(list((tmp_path / "out").glob("0*.txt"))) == 4


@pytest.mark.slow
def test_huge_single_line_file(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    line = b"word " * (20 * 1024 * 1024)  # 100 MiB, no newline
    (src / "huge.txt").write_bytes(line)
    result = run_cli("clean", str(src), "-o", str(tmp_path / "out"))
    assert result.code == 0
    out = (tmp_path / "out" / "huge.txt").read_bytes()
    assert len(out) == len(line)  # trailing space dropped, final newline added
    assert out.endswith(b"word\n")


def test_output_equal_to_input_is_refused(run_cli, seeds: Path) -> None:
    before = read_tree(seeds)
    result = run_cli("clean", str(seeds), "-o", str(seeds))
    assert result.code == 2
    assert "refusing to overwrite input" in result.err
    assert read_tree(seeds) == before


def test_input_inside_output_is_refused(run_cli, seeds: Path) -> None:
    result = run_cli("clean", str(seeds), "-o", str(seeds.parent))
    assert result.code == 2
    assert "inside output folder" in result.err


def test_output_inside_input_is_not_read_back(run_cli, seeds: Path) -> None:
    before = read_tree(seeds)
    out = seeds / "clean"
    for _ in range(2):  # the second run must not clean the first run's output
        result = run_cli("clean", str(seeds), "-o", str(out))
        assert result.code == 0
        assert "not read as input" in result.err
    assert sorted(read_tree(out)) == sorted([*before, "report.jsonl", MARKER])
    assert {k: v for k, v in read_tree(seeds).items() if not k.startswith("clean/")} == before


def test_foreign_output_folder_is_refused_unless_forced(run_cli, seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    assert run_cli("clean", str(seeds), "-o", str(out)).code == 2
    assert run_cli("clean", str(seeds), "-o", str(out), "--force").code == 0
    assert (out / "notes.txt").read_text() == "precious"


def test_single_file_cannot_overwrite_itself(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("A , b")
    assert run_cli("clean", str(src), "-o", str(src)).code == 2
    assert src.read_text() == "A , b"
    assert run_cli("clean", str(src), "-o", str(tmp_path / "b.txt")).code == 0
    assert (tmp_path / "b.txt").read_text() == "A, b\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["clean", "/no/such/path", "-o", "x"], "does not exist"), (["clean", "{seeds}"], "give an output with -o"),
     (["clean", "{seeds}", "-o", "x", "--jobs", "0"], "--jobs must be at least 1")],
)
def test_usage_errors_are_one_line(run_cli, seeds: Path, argv: list[str], message: str) -> None:
    result = run_cli(*[a.format(seeds=seeds) for a in argv])
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_interrupted_run_is_completed_by_a_rerun(run_cli, seeds: Path, tmp_path: Path, monkeypatch) -> None:
    reference = tmp_path / "ref"
    assert run_cli("clean", str(seeds), "-o", str(reference)).code == 0
    out = tmp_path / "out"
    real = OutputTree.write
    calls = []

    def interrupted(tree: OutputTree, rel: str, text: str) -> None:
        calls.append(rel)
        if len(calls) == 3:
            (tree.root / rel).parent.mkdir(parents=True, exist_ok=True)
            (tree.root / rel).parent.joinpath(write._temp_name()).write_text(text[: len(text) // 2])  # a torn write
            raise KeyboardInterrupt
        real(tree, rel, text)

    monkeypatch.setattr(OutputTree, "write", interrupted)
    assert run_cli("clean", str(seeds), "-o", str(out)).code == 130
    done = read_tree(out)
    ref = read_tree(reference)
    assert any(name.endswith(TEMP_SUFFIX) for name in done)
    assert all(done[name] == ref[name] for name in done if not name.endswith(TEMP_SUFFIX))  # nothing half-written
    monkeypatch.setattr(OutputTree, "write", real)
    assert run_cli("clean", str(seeds), "-o", str(out)).code == 0
    assert read_tree(out) == ref


def test_strip_prints_text_without_chrome(run_cli, seeds: Path) -> None:
    result = run_cli("strip", str(seeds / "002_69fd38b8e611b786.txt"))
    assert result.code == 0
    assert result.out.startswith("New atmosphere in Vietnam-Russia relations\n\n")
    assert "Firstly, the visit" in result.out
    assert "Comment (0)" not in result.out


def test_clean_runs_the_stripper_by_default(run_cli, seeds: Path, tmp_path: Path) -> None:
    result = run_cli("clean", str(seeds), "-o", str(tmp_path / "out"), strip=True)
    assert result.code == 0
    report = {r["id"]: r for r in report_of(tmp_path / "out")}
    stages = {x["stage"] for x in report["002_69fd38b8e611b786.txt"]["removed"]}
    assert "strip" in stages
    assert "Comment (0)" not in (tmp_path / "out" / "002_69fd38b8e611b786.txt").read_text()


def test_python_dash_m(seeds: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "dedup", "clean", "--no-strip", "-"], input=b"A  b .",
                          capture_output=True, check=False)
    assert (done.returncode, done.stdout) == (0, b"A b.\n")


def test_find_prints_clusters(run_cli, seeds: Path) -> None:
    result = run_cli("find", str(seeds))
    assert result.code == 0
    assert result.out.startswith("5 clusters, 5 paragraphs removed")
    assert "contained 0.923 003_08cc82ff5d1a07b3.txt #0" in result.out


def test_find_json_names_partner_kind_and_similarity(run_cli, seeds: Path) -> None:
    (seeds / "copy.txt").write_text((seeds / "004_e94f573d35f87b4a.txt").read_text().replace("Hanoi", "Ha Noi"))
    result = run_cli("find", str(seeds), "--json")
    clusters = [json.loads(line) for line in result.out.splitlines()]
    across = [c for c in clusters if any(m["doc"] == "copy.txt" for m in c["removed"])]
    assert across  # the edited copy repeats document 004, which sorts first and keeps its paragraphs
    for cluster in across:
        assert cluster["kept"]["doc"] == "004_e94f573d35f87b4a.txt"
        for member in cluster["removed"]:
            assert member["kind"] in {"exact", "near", "contained"}
            assert 0.8 <= member["similarity"] <= 1


def test_clean_across_documents_and_within_only(run_cli, seeds: Path, tmp_path: Path) -> None:
    (seeds / "copy.txt").write_text((seeds / "004_e94f573d35f87b4a.txt").read_text())
    assert run_cli("clean", str(seeds), "-o", str(tmp_path / "a")).code == 0
    assert (tmp_path / "a" / "copy.txt").read_text() == ""
    assert run_cli("clean", str(seeds), "-o", str(tmp_path / "b"), "--within-documents").code == 0
    assert (tmp_path / "b" / "copy.txt").read_text() == (tmp_path / "b" / "004_e94f573d35f87b4a.txt").read_text()
