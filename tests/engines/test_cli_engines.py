"""``dedup clean`` and ``strip`` write the same bytes with either engine: folders, JSONL with bad and repeated
records, standard input, every matching option, one or two jobs, shards of a few documents."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from dedup.engines import sources

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"


def jsonl_corpus(path: Path, seed: int = 1) -> Path:
    """Records from the seed articles (copied, cut, on several sites), with the bad lines readers meet."""
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    lines = []
    for i in range(30):
        text = rng.choice(texts)
        paragraphs = text.split("\n\n")
        start = rng.randrange(len(paragraphs))
        record = {"id": f"r{rng.randrange(1000):03d}-{i}", "text": "\n\n".join(paragraphs[start:] + paragraphs[:start])}
        if i % 3:
            record["url"] = f"https://www.site{i % 4}.example/a/{i}"
        lines.append(json.dumps(record, ensure_ascii=i % 2 == 0))
    lines[7] = json.dumps({"id": "r-repeated", "text": texts[0]})
    lines[19] = json.dumps({"id": "r-repeated", "text": texts[1]})  # a repeated id: an error skip
    lines.insert(5, "{not json")
    lines.insert(9, "")
    lines.insert(12, json.dumps({"id": None, "text": "x"}))
    path.write_bytes("\n".join(lines).encode("utf-8") + b"\n")
    return path


def tree_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "SHARD_BYTES", 2000)


OPTIONS = {
    "default": [],
    "two-jobs": ["--jobs", "2"],
    "input-order": ["--order", "input", "--threshold", "0.6"],
    "within": ["--within-documents", "--containment", "0.7"],
    "no-dedup": ["--no-dedup"],
    "no-strip": ["--no-strip"],
    "small-budget": ["--memory", "64M"],
}


@pytest.mark.parametrize("options", sorted(OPTIONS))
def test_jsonl_to_jsonl_is_the_same_with_either_engine(run_cli, tmp_path, small_shards, options) -> None:
    src = jsonl_corpus(tmp_path / "in.jsonl")
    outputs = {}
    for engine in ("memory", "stream"):
        out, report = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.report.jsonl"
        result = run_cli("clean", str(src), "-o", str(out), "--report", str(report), "--engine", engine,
                         *OPTIONS[options], strip=True)
        assert result.code == 1, result.err  # the bad lines are errors
        outputs[engine] = (out.read_bytes(), report.read_bytes(), result.err.replace(f"/{engine}.", "/OUT."))
    assert outputs["stream"] == outputs["memory"]
    assert b'duplicate id \\"r-repeated\\" (first on line' in outputs["stream"][1]


@pytest.mark.parametrize("command", ["clean", "strip"])
def test_a_folder_of_sites_is_the_same_with_either_engine(run_cli, tmp_path, small_shards, command) -> None:
    src = tmp_path / "in"
    for i in range(12):
        folder = src / f"site{i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        for seed in sorted(SEEDS.glob("*.txt"))[i % 3 : i % 3 + 2]:
            shutil.copy(seed, folder / f"{i:02}-{seed.name}")
    (src / ".hidden.txt").write_text("not read")
    (src / "empty.txt").write_text("")
    trees = {}
    for engine in ("memory", "stream"):
        out = tmp_path / engine
        result = run_cli(command, str(src), "-o", str(out), "--engine", engine, "--jobs", "2", strip=True)
        assert result.code == 0, result.err
        trees[engine] = tree_of(out)
    assert trees["stream"] == trees["memory"]
    assert not (tmp_path / "stream" / ".dedup-work").exists()  # a finished run removes its work


def test_standard_input_is_the_same_with_either_engine(run_cli, tmp_path, small_shards) -> None:
    data = jsonl_corpus(tmp_path / "in.jsonl").read_bytes()
    got = {e: run_cli("clean", "-", "--jsonl", "--engine", e, stdin=data, strip=True) for e in ("memory", "stream")}
    assert got["stream"].out == got["memory"].out
    assert got["stream"].code == got["memory"].code == 1


@pytest.mark.parametrize(
    "content",
    [b"", b"\n\n", b'{"text": 5}\n{not json\n', json.dumps({"id": "a", "text": "   "}).encode() + b"\n"],
    ids=["empty", "blank-lines", "only-bad-records", "only-white-space"],
)
def test_inputs_with_nothing_to_clean_are_the_same_with_either_engine(run_cli, tmp_path, content) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(content)
    got = {}
    for engine in ("memory", "stream"):
        out, report = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.report.jsonl"
        result = run_cli("clean", str(src), "-o", str(out), "--report", str(report), "--engine", engine)
        got[engine] = (result.code, out.read_bytes(), report.read_bytes())
    assert got["stream"] == got["memory"]


def test_against_without_dedup_or_in_memory_is_refused(run_cli, tmp_path) -> None:
    src = jsonl_corpus(tmp_path / "in.jsonl")
    built = run_cli("index", "build", str(src), "-o", str(tmp_path / "idx"))
    assert built.code == 1  # the bad records are errors, reported, the repeated id too
    assert "29 document(s) added, 3 skipped" in built.err
    assert 'duplicate id "r-repeated"' in built.err
    for extra, message in ((["--no-dedup"], "--against needs de-duplication"), (["--engine", "memory"], "streaming")):
        result = run_cli("clean", str(src), "-o", str(tmp_path / "o.jsonl"), "--against", str(tmp_path / "idx"), *extra)
        assert result.code == 2
        assert message in result.err
