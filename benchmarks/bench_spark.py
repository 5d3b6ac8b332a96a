"""``dedup clean --engine spark`` on ``local[N]`` against the local streaming engine, on the same records
(issue 14's target: on one machine, Spark's overhead stays under 3x).

The records of :mod:`dedup.evaluation.records` (``--spark-docs``, default ``20000``, a quick run; the real
run is ``170000``, about 100 MB of JSONL; kept in ``--scale-dir``) go through

    python -m dedup clean IN.jsonl -o OUT.jsonl --report R.jsonl --no-progress -q --jobs N
    python -m dedup clean IN.jsonl -o OUT.jsonl ... --jobs N --engine spark --master local[N]

    python -m dedup clean IN.parquet -o OUT.parquet --report R.jsonl ... --engine spark --master local[N]

each started by ``benchmarks/measure.py`` (N is ``--scale-jobs``, default 1). The second reads the JSONL
as the streaming engine does and cleans its shards on Spark; the third reads the same records as a Parquet
file (made once with pyarrow, kept beside the JSONL) and runs ``dedup.spark.clean_dataframe``: every step on
the executors, as Spark stages. The JSONL outputs and reports must be byte-identical and pass
:func:`cli_runs.check_clean`; the Parquet output must hold the same ids and texts, and its report the
same lines less their line numbers. CPU seconds count every process of the
run's tree, the JVM and Spark's Python workers included (``tree_cpu_s``). The table (wall and CPU
seconds, CPU s/MB, peak tree PSS, and Spark's ratios to the local run) prints at the end and goes to
``SCALE_DIR/spark-results.json`` with the machine's description and load.

Run: ``.venv/bin/python -m pytest benchmarks/bench_spark.py --benchmark-enable --spark-docs 170000
--scale-jobs 2`` (needs the ``spark`` extra and a Java runtime; see README.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli_runs import Measured, check_clean, clean_argv, fresh, machine, records_file, run_measured
from conftest import Results

ENGINES = ("stream", "spark", "spark-parquet")
RUNS: dict[str, tuple[float, Measured]] = {}


@pytest.fixture(scope="module")
def folder(request: pytest.FixtureRequest) -> Path:
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: apt-get install openjdk-17-jre-headless")
    pytest.importorskip("pyspark")
    return Path(request.config.getoption("--scale-dir"))


def engine_args(engine: str, config: pytest.Config) -> list[str]:
    jobs = config.getoption("--scale-jobs")
    return ["--engine", "spark", "--master", f"local[{jobs}]"] if engine.startswith("spark") else []


@pytest.fixture(scope="module", autouse=True)
def summary(results: Results, request: pytest.FixtureRequest):
    yield
    if len(RUNS) < len(ENGINES):
        return
    mb, local = RUNS["stream"]
    jobs = request.config.getoption("--scale-jobs")
    lines = [f"spark: dedup clean --jobs {jobs}, {mb:.1f} MB of JSONL; spark on local[{jobs}]",
             "| engine | wall s | CPU s | CPU s/MB | peak tree PSS MB | wall vs stream | CPU vs stream "
             "| load before/after |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for name, (_, m) in RUNS.items():
        pss = "-" if m.tree_pss_mb is None else f"{m.tree_pss_mb:.0f}"
        lines.append(f"| {name} | {m.wall:.1f} | {m.cpu:.1f} | {m.cpu / mb:.3f} | {pss} | {m.wall / local.wall:.2f} "
                     f"| {m.cpu / local.cpu:.2f} | {m.load[0]} / {m.load[1]} |")  # fmt: skip
    results.notes.extend(lines)
    path = Path(request.config.getoption("--scale-dir")) / "spark-results.json"
    rows = {name: m.row() for name, (_, m) in RUNS.items()}
    path.write_text(json.dumps({"machine": machine(), "jobs": jobs, "mb": round(mb, 2), "runs": rows}, indent=1) + "\n")
    results.notes.append(f"spark results written to {path}")


def parquet_of(source: Path) -> Path:
    """The records of a JSONL file as a Parquet file beside it (id, text, site), made once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = source.with_suffix(".parquet")
    if not path.exists():
        rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
        table = pa.table({name: [r.get(name) for r in rows] for name in ("id", "text", "site")})
        staged = path.with_suffix(".parquet.tmp")
        pq.write_table(table, staged, row_group_size=20_000)
        staged.rename(path)
    return path


def check_parquet(run_dir: Path, local: Path) -> None:
    """The Parquet run's rows and report against the streaming run's JSONL output and report."""
    import pyarrow.parquet as pq

    want = {}
    for line in (local / "out.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        want[record["id"]] = record["text"]
    got = pq.read_table(run_dir / "out.parquet", columns=["id", "text"]).to_pydict()
    assert got["id"] == sorted(want), "the Parquet output is not the local run's ids in id order"
    assert dict(zip(got["id"], got["text"], strict=True)) == want, "the Parquet output's texts differ"
    lines = [json.loads(line) for line in (local / "report.jsonl").read_text(encoding="utf-8").splitlines()]
    for line in lines:
        line.pop("source", None)
    lines.sort(key=lambda line: line["id"])
    got_report = [json.loads(line) for line in (run_dir / "report.jsonl").read_text(encoding="utf-8").splitlines()]
    assert got_report == lines, "the Parquet run's report differs from the local run's"


@pytest.mark.parametrize("engine", ENGINES)
def test_spark_against_stream(benchmark, engine: str, folder: Path, request: pytest.FixtureRequest) -> None:
    config = request.config
    source = records_file(folder, config.getoption("--spark-docs"))
    run_dir = fresh(folder / "runs" / f"spark-{engine}")
    argv = clean_argv(source, run_dir, config, *engine_args(engine, config))
    if engine == "spark-parquet":
        argv[argv.index(str(source.path))] = str(parquet_of(source.path))
        argv[argv.index(str(run_dir / "out.jsonl"))] = str(run_dir / "out.parquet")
    measured: list[Measured] = []
    benchmark.group = "spark"
    benchmark.extra_info["MB"] = round(source.mb, 1)
    benchmark.pedantic(lambda: measured.append(run_measured(argv, run_dir / "clean")), rounds=1, iterations=1)
    RUNS[engine] = (source.mb, measured[-1])
    benchmark.extra_info.update(cpu_s=measured[-1].cpu, tree_pss_mb=measured[-1].tree_pss_mb)
    local = folder / "runs" / "spark-stream"
    if engine == "spark-parquet":
        check_parquet(run_dir, local)
        return
    check_clean(source, run_dir / "out.jsonl", run_dir / "report.jsonl")
    if engine == "spark":
        for name in ("out.jsonl", "report.jsonl"):
            assert (run_dir / name).read_bytes() == (local / name).read_bytes(), f"{name} differs from the local run"
