"""The Spark engine (a real Spark on ``local[2]``) gives the local engine's documents and report, byte for byte:
``dedup clean --engine spark`` on folders and JSONL, and :func:`clean_dataframe` on 1, 2 and 7 partitions of
the seeds, the near-duplicate evaluation corpus and random corpora. Without pyspark or a Java runtime these
tests are skipped locally and fail under CI (``.ci/run`` installs both)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_cli_engines import jsonl_corpus, tree_of
from test_stream import corpus

from dedup import Document
from dedup.config import Config, DedupConfig, StripConfig
from dedup.engines import sources
from dedup.engines.extract import MAX_SCREEN_GROUP
from dedup.engines.stream import clean_stream
from dedup.errors import ArgumentTypeError, ArgumentValueError, InputError
from dedup.evaluation.near import make_eval

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"


def _spark_or_skip() -> Any:
    reason = ""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        reason = "pyspark is not installed (pip install -e '.[dev]')"
    if not reason and not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        reason = "no Java runtime (apt-get install openjdk-17-jre-headless)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {reason}")
        pytest.skip(reason)
    from dedup.spark import spark_session

    return spark_session("local[2]", conf={"spark.sql.shuffle.partitions": "4"})


@pytest.fixture(scope="module")
def spark() -> Any:
    session = _spark_or_skip()
    yield session
    session.stop()


def frame(spark: Any, docs: list[Document], partitions: int, *, extra: bool = False) -> Any:
    """The documents as a DataFrame of ``partitions`` partitions (id, text, url; and a column to pass through)."""
    rows = [(d.id, d.text, f"https://{d.site}/p" if d.site else None, len(d.text)) for d in docs]
    df = spark.createDataFrame(rows, "id string, text string, url string, size long")
    return df.repartition(partitions) if extra else df.drop("size").repartition(partitions)


def expected(docs: list[Document], config: Config | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The local engine's documents and report lines, sorted by id."""
    results = list(clean_stream(docs, config))
    texts = sorted((d.id, d.text) for d in results)
    report = sorted((d.id, json.dumps(d.report(), ensure_ascii=False)) for d in results)
    return texts, report


def cleaned(spark: Any, docs: list[Document], partitions: int, config: Config | None = None) -> tuple[list, list]:
    from dedup.spark import clean_dataframe

    out = clean_dataframe(frame(spark, docs, partitions), config, url_column="url", partitions=partitions)
    texts = sorted((r["id"], r["text"]) for r in out.documents.collect())
    report = sorted((r["id"], r["report"]) for r in out.report.collect())
    return texts, report


def seed_documents() -> list[Document]:
    docs = [Document(p.name, p.read_text(encoding="utf-8"), site="seeds.org") for p in sorted(SEEDS.glob("*.txt"))]
    return docs + [Document(f"copy-{d.id}", d.text, site="other.org") for d in docs]  # syndicated copies


def eval_documents(sources_count: int = 400, seed: int = 3) -> list[Document]:
    """The near-duplicate evaluation corpus as documents (its paragraphs in position order)."""
    paragraphs: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for doc_id, position, text in make_eval(sources_count, seed, SEEDS).corpus:
        paragraphs[doc_id].append((position, text))
    return [Document(d, "\n\n".join(t for _, t in sorted(ps))) for d, ps in sorted(paragraphs.items())]


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_a_dataframe_of_the_seeds_and_their_copies_is_cleaned_as_locally(spark, partitions) -> None:
    docs = seed_documents()
    want = expected(docs)
    assert any('"near"' in line or '"contained"' in line for _, line in want[1])  # copies were found
    assert cleaned(spark, docs, partitions) == want


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_the_near_duplicate_evaluation_corpus_is_cleaned_as_locally(spark, partitions) -> None:
    docs = eval_documents()
    assert cleaned(spark, docs, partitions) == expected(docs)


@pytest.mark.parametrize(("seed", "partitions", "name"), [(1, 1, "default"), (2, 2, "no-strip"), (3, 7, "within"),
                                                          (4, 7, "default"), (5, 2, "no-dedup")])  # fmt: skip
def test_random_corpora_are_cleaned_as_locally(spark, monkeypatch, seed, partitions, name) -> None:
    from dedup.engines import frames

    monkeypatch.setattr(frames, "SHARD_CHARS", 500)  # several shards per partition
    configs = {
        "default": Config(),
        "no-strip": Config(strip=StripConfig(enabled=False)),
        "within": Config(dedup=DedupConfig(across_documents=False, min_shingles=2)),
        "no-dedup": Config(dedup=DedupConfig(enabled=False)),
    }
    docs = corpus(seed, 60)
    assert cleaned(spark, docs, partitions, configs[name]) == expected(docs, configs[name])


def hard_documents(seed: int = 11) -> list[Document]:
    """Documents that reach the rarer paths: a paragraph shared by 40 documents (a band bucket over
    ``MAX_FULL_BUCKET``: a star), chains of near-duplicates (each edits the one before: the keep rule's rounds),
    short paragraphs contained in longer ones elsewhere (the prefix join), and one document of more paragraphs
    than a worker screens (``MAX_SCREEN_GROUP``: screened later) with edited copies inside it."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(3000)]

    def sentence(n: int) -> list[str]:
        return [rng.choice(words) for _ in range(n)]

    shared = " ".join(sentence(30)) + "."
    docs = [Document(f"star-{i:02d}", f"{' '.join(sentence(20))}.\n\n{shared}") for i in range(40)]
    for c in range(3):  # each a word away from the one before: near it, further from those before
        words_now = sentence(60)
        for step in range(6):
            words_now = list(words_now)
            words_now[5 + 9 * step] = rng.choice(words)
            docs.append(Document(f"chain-{c}-{step}", " ".join(words_now) + "."))
    for c in range(5):
        long = sentence(60)
        start = rng.randrange(30)
        docs.append(Document(f"long-{c}", " ".join(long) + "."))
        docs.append(Document(f"part-{c}", " ".join(long[start : start + 20]) + "."))
    paragraphs = [" ".join(sentence(20)) + "." for _ in range(MAX_SCREEN_GROUP + 60)]
    for i in range(0, 40, 4):
        edited = paragraphs[i].split()
        edited[-1] = "changed."
        paragraphs[len(paragraphs) - 1 - i] = " ".join(edited)
    docs.append(Document("huge", "\n\n".join(paragraphs)))
    rng.shuffle(docs)
    return docs


@pytest.mark.parametrize("partitions", [1, 7])
def test_stars_chains_containment_and_long_documents_are_cleaned_as_locally(spark, partitions) -> None:
    docs = hard_documents()
    config = Config(strip=StripConfig(enabled=False))  # every paragraph of the long document stays to be matched
    want = expected(docs, config)
    rules = Counter((doc_id.split("-")[0], rule) for doc_id, line in want[1]
                    for rule in re.findall(r'"rule": "(\w+)"', line))  # fmt: skip
    assert rules[("star", "exact_duplicate")] == 39
    assert rules[("chain", "near_duplicate")] == 12
    assert rules[("part", "contained_in")] == 5
    assert rules[("huge", "near_duplicate")] == 10  # found by the screen within the document, made late
    assert cleaned(spark, docs, partitions, config) == want


@pytest.mark.parametrize("seed", [1, 2])
def test_connected_components_match_union_find(spark, seed) -> None:
    """Random graphs with chains (long diameters), stars, repeated edges and self-loops: the same labels as the
    local union-find (each node's smallest component member)."""
    from dedup.engines.components import connected_components
    from dedup.near import _kernels
    from dedup.near.pairs import Pairs

    rng = random.Random(seed)
    n = 400
    edges = [(i, i + 1) for i in range(0, 120)]  # a chain of 121 nodes
    edges += [(200, j) for j in range(201, 260)]  # a star
    edges += [(rng.randrange(260, n), rng.randrange(260, n)) for _ in range(150)]  # random, loops and repeats
    rng.shuffle(edges)
    df = spark.createDataFrame([(a, b) for a, b in edges], "left long, right long").repartition(5)
    got = {r["node"]: r["label"] for r in connected_components(df).collect()}
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    labels = _kernels.components(n, Pairs(left, right))
    nodes = {a for a, b in edges if a != b} | {b for a, b in edges if a != b}
    assert got == {i: int(labels[i]) for i in sorted(nodes)}


@pytest.mark.parametrize("partitions", [1, 7])
def test_site_templates_counted_by_spark_are_those_counted_locally(spark, partitions) -> None:
    """A line on every page of its site (in capitals on some), one on one site only, one on half of a site's
    pages, one on too few: the same template table, hence the same removals."""
    docs = []
    for i in range(40):
        s = i % 3
        motto = f"The Gazette of town number {s} has been printed by the river since {1880 + s}"
        lines = [motto.upper() if i % 4 == 0 else motto,
                 f"Story {i}: the council met on day {i} and voted on the budget for the year {1990 + i}."]
        if s == 0:
            lines.append("Follow site zero on social media")
        if s == 1 and i % 2:
            lines.append("Letters to the editor are read every Monday")
        if i % 7 == 0:
            lines.append("Rare footer line")
        docs.append(Document(f"d{i:02d}", "\n\n".join(lines), site=f"site{s}.example"))
    want = expected(docs)
    assert sum(line.count('"stage": "template"') for _, line in want[1]) >= 54  # 40 mottos, 14 follows
    assert cleaned(spark, docs, partitions) == want


def test_other_columns_pass_through_and_null_texts_are_reported(spark) -> None:
    from dedup.spark import clean_dataframe

    df = spark.createDataFrame([("a", "Hello there , reader.", 1), ("b", None, 2), (None, "No id here.", 3)],
                               "id string, text string, n long")  # fmt: skip
    out = clean_dataframe(df)
    assert out.documents.columns == ["id", "text", "n"]
    assert [tuple(r) for r in out.documents.collect()] == [("a", "Hello there, reader.\n", 1)]
    report = {r["id"]: json.loads(r["report"]) for r in out.report.collect()}
    assert report["b"]["status"] == "error"
    assert "no 'text'" in report["b"]["reason"]
    assert report[None]["status"] == "error"
    assert "no 'id'" in report[None]["reason"]


def test_bad_arguments_are_refused_before_any_job(spark) -> None:
    from dedup.spark import clean_dataframe

    df = spark.createDataFrame([("a", "x", 1)], "id string, body string, n long")
    with pytest.raises(ArgumentValueError, match="no column 'text'"):
        clean_dataframe(df)
    with pytest.raises(ArgumentTypeError, match="'n' must be a string column"):
        clean_dataframe(df, id_column="n", text_column="body")
    with pytest.raises(ArgumentValueError, match="no input order"):
        clean_dataframe(df, Config(dedup=DedupConfig(order="input")), text_column="body")
    with pytest.raises(ArgumentValueError, match="partitions must be a positive int or None, not 0"):
        clean_dataframe(df, text_column="body", partitions=0)


def test_repeated_ids_are_refused(spark) -> None:
    from dedup.spark import clean_dataframe

    df = spark.createDataFrame([("a", "One text."), ("a", "Another text.")], "id string, text string")
    with pytest.raises(InputError, match="a"):
        clean_dataframe(df)


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "SHARD_BYTES", 2000)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_cli_writes_the_same_bytes_with_spark_and_locally(spark, run_cli, tmp_path, small_shards, jobs) -> None:
    src = jsonl_corpus(tmp_path / "in.jsonl")
    outputs = {}
    for engine in ("stream", "spark"):
        out, report = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.report.jsonl"
        result = run_cli("clean", str(src), "-o", str(out), "--report", str(report), "--engine", engine,
                         "--jobs", jobs, strip=True)  # fmt: skip
        assert result.code == 1, result.err  # the bad lines are errors
        outputs[engine] = (out.read_bytes(), report.read_bytes(), result.err.replace(f"/{engine}.", "/OUT."))
    assert outputs["spark"] == outputs["stream"]
    for engine in ("stream", "spark"):
        result = run_cli("clean", str(SEEDS), "-o", str(tmp_path / engine), "--engine", engine, strip=True)
        assert result.code == 0, result.err
    assert tree_of(tmp_path / "spark") == tree_of(tmp_path / "stream")


def test_master_without_the_spark_engine_is_a_usage_error(run_cli, tmp_path) -> None:
    result = run_cli("clean", str(SEEDS), "-o", str(tmp_path / "out"), "--master", "local[2]")
    assert result.code == 2
    assert "--master needs --engine spark" in result.err
    assert not (tmp_path / "out").exists()


def test_an_empty_dataframe_gives_empty_frames(spark) -> None:
    from dedup.spark import clean_dataframe

    out = clean_dataframe(spark.createDataFrame([], "id string, text string"))
    assert out.documents.count() == 0
    assert out.report.count() == 0


def test_without_java_the_spark_engine_is_a_usage_error_that_writes_nothing(tmp_path) -> None:
    pytest.importorskip("pyspark")
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java")}  # Spark's launcher takes JAVA_HOME first
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "dedup", "clean", str(SEEDS), "-o", str(out), "--engine", "spark",
                           "--no-progress"], env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "could not start Spark" in done.stderr
    assert "Java runtime" in done.stderr
    assert not out.exists()


def test_without_pyspark_the_spark_engine_says_how_to_install_it(run_cli, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark fails
    result = run_cli("clean", str(SEEDS), "-o", str(tmp_path / "out"), "--engine", "spark")
    assert result.code == 2
    assert "pip install 'dedup-text[spark]'" in result.err
    assert not (tmp_path / "out").exists()


def parquet_records(tmp_path: Path) -> tuple[Path, Path]:
    """The same records as a Parquet file (with a column of its own) and as JSONL."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = [json.loads(line) for line in jsonl_corpus(tmp_path / "all.jsonl").read_text().splitlines()
             if line.startswith("{\"") and "r-repeated" not in line]  # fmt: skip
    lines = [r for r in lines if isinstance(r.get("id"), str) and isinstance(r.get("text"), str)]
    rows = [{"id": r["id"], "text": r["text"], "url": r.get("url"), "lang": f"l{i % 3}"} for i, r in enumerate(lines)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet", row_group_size=7)
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None and k != "lang"}) + "\n"
                             for r in rows))  # fmt: skip
    return tmp_path / "in.parquet", jsonl


def test_the_cli_cleans_parquet_as_jsonl_keeping_its_columns(spark, run_cli, tmp_path) -> None:
    import pyarrow.parquet as pq

    source, jsonl = parquet_records(tmp_path)
    local = run_cli("clean", str(jsonl), "-o", str(tmp_path / "local.jsonl"), "--report", str(tmp_path / "local.r"))
    assert local.code == 0, local.err
    out = tmp_path / "out.parquet"
    result = run_cli("clean", str(source), "-o", str(out), "--engine", "spark", "--master", "local[2]")
    assert result.code == 0, result.err
    want = {r["id"]: r["text"] for r in map(json.loads, (tmp_path / "local.jsonl").read_text().splitlines())}
    got = pq.read_table(out).to_pylist()
    assert [r["id"] for r in got] == sorted(want)  # sorted by id
    assert {r["id"]: r["text"] for r in got} == want
    langs = {r["id"]: r["lang"] for r in pq.read_table(source).to_pylist()}
    assert all(r["lang"] == langs[r["id"]] for r in got)
    local_report = sorted(map(json.loads, (tmp_path / "local.r").read_text().splitlines()), key=lambda r: r["id"])
    for line in local_report:
        assert line.pop("source").startswith(str(jsonl))  # a line number: Parquet rows have none
    assert [json.loads(line) for line in (tmp_path / "out.report.jsonl").read_text().splitlines()] == local_report
    assert result.err.split("\nwrote")[0] == local.err.split("\nwrote")[0]  # the same summary


def test_parquet_output_is_never_overwritten_without_force(spark, run_cli, tmp_path) -> None:
    source, _ = parquet_records(tmp_path)
    out = tmp_path / "out.parquet"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    for force in ((), ("--force",)):  # not a dataset: not replaced even with --force
        refused = run_cli("clean", str(source), "-o", str(out), "--engine", "spark", *force)
        assert refused.code == 2, refused.err
        assert ("not a Parquet dataset" if force else "exists: give --force") in refused.err
        assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert run_cli("clean", str(source), "-o", str(tmp_path / "out.jsonl"), "--engine", "spark").code == 2
    local = run_cli("clean", str(source), "-o", str(tmp_path / "o.parquet"))
    assert (local.code, "needs --engine spark" in local.err) == (2, True)
    (out / "keep.txt").unlink()
    out.rmdir()
    first = run_cli("clean", str(source), "-o", str(out), "--engine", "spark")
    assert first.code == 0, first.err
    again = run_cli("clean", str(source), "-o", str(out), "--engine", "spark", "--force")
    assert again.code == 0, again.err
    assert any(p.suffix == ".parquet" for p in out.iterdir())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # nothing staged is left


def test_a_local_session_gets_a_driver_heap_sized_from_the_machine(spark) -> None:
    from dedup.engines.spark import local_memory

    wanted = local_memory("local[2]")
    if not wanted:
        pytest.skip("SPARK_DRIVER_MEMORY or PYSPARK_SUBMIT_ARGS sets the heap here")
    gigabytes = int(wanted["spark.driver.memory"].removesuffix("g"))
    heap = spark.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory()
    assert 1 <= gigabytes <= 8
    assert heap >= 0.8 * (gigabytes << 30)  # the JVM started with it (Spark's default is 1 GB)
    assert local_memory("spark://head:7077") == {}
