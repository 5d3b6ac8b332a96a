"""The persistent index: a run against an index of earlier crawls gives what one run over them all gives its
documents; settings that change matches are checked; writes are atomic; readers and writers are locked apart."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_stream import corpus, same_results

from budget import examples
from dedup import Document, clean_documents
from dedup.config import Config, DedupConfig, StripConfig
from dedup.engines import documents as documents_module
from dedup.engines import index as index_module
from dedup.engines import sources
from dedup.engines.index import Index
from dedup.engines.sources import item_tasks
from dedup.engines.stream import clean_stream
from dedup.errors import IndexMismatchError, LockedError, OutputError, UsageError


def crawls(seed: int, sizes: list[int]) -> list[list[Document]]:
    """Consecutive crawls of one corpus, ids prefixed so that earlier crawls sort first."""
    docs = corpus(seed, sum(sizes))
    out, start = [], 0
    for k, size in enumerate(sizes):
        out.append([Document(f"{k}-{d.id}", d.text, site=None) for d in docs[start : start + size]])
        start += size
    return out


def build(path: Path, parts: list[list[Document]], config: Config, memory: int = 1 << 30) -> None:
    with Index.create(path, config) as index:
        for part in parts:
            index.add(item_tasks(part), memory=memory)


CONFIGS = {"default": Config(), "input-order": Config(dedup=DedupConfig(order="input", min_shingles=2))}


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10**9), st.lists(st.integers(1, 15), min_size=2, max_size=4), st.sampled_from(sorted(CONFIGS)),
       st.sampled_from([16384, 1 << 30]))
def test_a_run_against_an_index_is_the_run_over_every_crawl(tmp_path_factory, monkeypatch, seed, sizes, name, memory):
    """Earlier crawls indexed (one segment each), the last one cleaned against the index: the last crawl's documents
    and report are those of one in-memory run over all the crawls."""
    monkeypatch.setattr(sources, "SHARD_BYTES", 400)
    config = CONFIGS[name]
    *earlier, last = crawls(seed, sizes)
    path = tmp_path_factory.mktemp("index") / "idx"
    build(path, earlier, config, memory)
    expected = clean_documents([d for part in earlier for d in part] + last, config)[-len(last) :]
    with Index.open(path, config=config) as index:
        same_results(expected, list(clean_stream(last, config, against=index, memory=memory)))


def test_removals_name_the_indexed_document_and_paragraph(tmp_path) -> None:
    text = "The two ministers met in Hanoi on Monday and agreed to expand trade in energy, farming and education."
    build(tmp_path / "idx", [[Document("old", f"Intro line here.\n\n{text}")]], Config())
    with Index.open(tmp_path / "idx") as index:
        (doc,) = clean_stream([("new", f"{text}\n\nA closing line of the new page.")], against=index)
    (removed,) = doc.report()["removed"]
    assert removed["duplicate_of"] == {"doc": "old", "paragraph": 1}
    assert removed["similarity"] == 1.0
    assert removed["rule"] == "exact_duplicate"


def test_settings_that_change_matches_are_refused(tmp_path) -> None:
    build(tmp_path / "idx", [[Document("a", "Some text of a page.")]], Config())
    other = Config(dedup=DedupConfig(threshold=0.7, lsh_threshold=0.4))
    with pytest.raises(IndexMismatchError, match=r"threshold 0.7 \(index: 0.8\)"):
        Index.open(tmp_path / "idx", config=other)
    Index.open(tmp_path / "idx", config=Config(strip=StripConfig(enabled=False))).close()  # cleaning may differ


def test_an_index_of_another_version_or_no_index_is_refused(tmp_path) -> None:
    build(tmp_path / "idx", [[Document("a", "Some text of a page.")]], Config())
    manifest = json.loads((tmp_path / "idx" / "index.json").read_text())
    (tmp_path / "idx" / "index.json").write_text(json.dumps({**manifest, "version": 99}))
    with pytest.raises(UsageError, match="has version 99"):
        Index.open(tmp_path / "idx")
    with pytest.raises(UsageError, match="not a dedup index"):
        Index.open(tmp_path)


def test_building_over_an_index_or_a_foreign_folder_is_refused(tmp_path) -> None:
    build(tmp_path / "idx", [[Document("a", "Some text.")]], Config())
    with pytest.raises(OutputError, match="is an index already"):
        Index.create(tmp_path / "idx", Config())
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(OutputError, match="not an empty folder"):
        Index.create(tmp_path / "mine", Config())


def test_an_add_killed_before_it_is_listed_leaves_the_old_index(tmp_path, monkeypatch) -> None:
    """Killed after its segment was renamed in but before index.json was replaced: the index is the old one, and the
    next add removes the orphan segment and goes on."""
    path = tmp_path / "idx"
    first, second = crawls(4, [8, 8])
    build(path, [first], Config())
    before = (path / "index.json").read_bytes()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(index_module, "write_json", killed)
    with Index.open(path, write=True) as index, pytest.raises(KeyboardInterrupt):
        index.add(item_tasks(second))
    assert (path / "index.json").read_bytes() == before
    assert (path / "segments" / "000001").exists()  # the orphan
    with Index.open(path) as index:
        assert index.documents == 8
    monkeypatch.undo()
    with Index.open(path, write=True) as index:
        index.add(item_tasks(second))
        assert index.documents == 16
        assert [s["name"] for s in index.manifest["segments"]] == ["000000", "000001"]


def test_the_ids_are_saved_in_rank_order_reading_each_shard_a_few_times(tmp_path, monkeypatch) -> None:
    """Ids whose order visits the shards at random are saved in rank order with each shard's ids read once for the
    run's documents and once per window of ranks (a shard read per document took over half an hour at 1 M)."""
    monkeypatch.setattr(sources, "SHARD_BYTES", 200)
    text = "Paragraph number {} of a page of its own."
    docs = [Document(f"{(k * 7919) % 1000:04d}-{k}", text.format(k), site=None) for k in range(300)]
    reads: list[Path] = []
    real = documents_module._shard_ids
    monkeypatch.setattr(documents_module, "_shard_ids", lambda shard: reads.append(shard) or real(shard))
    with Index.create(tmp_path / "idx", Config()) as index:
        index.add(item_tasks(docs), memory=1 << 30)
        shards = len(set(reads))
        assert shards > 10
        assert len(reads) <= shards * 2  # read_documents, then one window of 300 ranks
        wanted = sorted(d.id for d in docs)
        assert index.ids(np.arange(index.paragraphs)) == [wanted[r] for r in index.ranks().tolist()]


def test_readers_and_writers_are_locked_apart(tmp_path) -> None:
    build(tmp_path / "idx", [[Document("a", "Some text.")]], Config())
    with Index.open(tmp_path / "idx"):
        with Index.open(tmp_path / "idx"):  # two readers are fine
            pass
        with pytest.raises(LockedError, match="another dedup run"):
            Index.open(tmp_path / "idx", write=True)


def test_the_index_commands(run_cli, tmp_path) -> None:
    """build, add, info and clean --against from the command line; the report names indexed documents."""
    first, second, third = crawls(9, [20, 20, 20])
    for k, part in enumerate((first, second, third)):
        lines = [json.dumps({"id": d.id, "text": d.text}) for d in part]
        (tmp_path / f"c{k}.jsonl").write_text("\n".join(lines) + "\n")
    idx = str(tmp_path / "idx")
    assert run_cli("index", "build", str(tmp_path / "c0.jsonl"), "-o", idx).code == 0
    added = run_cli("index", "add", idx, str(tmp_path / "c1.jsonl"))
    assert added.code == 0
    assert "now holds 40 document(s)" in added.err
    info = json.loads(run_cli("index", "info", idx).out)
    assert [info["documents"], len(info["segments"]), info["settings"]["threshold"]] == [40, 2, 0.8]
    out, report = tmp_path / "c2.clean.jsonl", tmp_path / "c2.report.jsonl"
    result = run_cli("clean", str(tmp_path / "c2.jsonl"), "-o", str(out), "--report", str(report), "--against", idx)
    assert result.code == 0, result.err
    partners = {r["duplicate_of"]["doc"][0] for line in report.read_text().splitlines()
                for r in json.loads(line)["removed"] if "duplicate_of" in r}  # fmt: skip
    assert {"0", "1"} <= partners  # removals point at documents of both indexed crawls
    refused = run_cli("clean", str(tmp_path / "c2.jsonl"), "-o", str(out), "--against", idx, "--threshold", "0.9")
    assert refused.code == 2
    assert "other matching settings: threshold 0.9 (index: 0.8)" in refused.err
