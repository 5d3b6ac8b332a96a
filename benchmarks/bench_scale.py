"""``dedup clean`` on growing numbers of short records: time and peak memory per size (issue 13's targets).

For each size of ``--scale-docs`` (default ``20000``, a quick run; the real run is
``100000,1000000,3000000``), the records of :mod:`dedup.evaluation.records` (seed 0, about 580 bytes
of JSONL a record, made once and kept in ``--scale-dir``, default ``/tmp/dedup-scale``) go through

    python -m dedup clean IN.jsonl -o OUT.jsonl --report R.jsonl --no-progress -q --jobs N [--memory M]

started by ``benchmarks/measure.py``: wall and CPU seconds (the command and its workers), the peak
RSS of its largest process and the peak PSS of its whole process tree. ``--scale-jobs`` (default 1)
sets ``--jobs``; ``--scale-memory`` (such as ``2G``) is passed as ``--memory`` when the CLI has it
(else the run says it was left out). Every run starts in an empty folder (no work folder of an
earlier run to resume from); outputs are deleted once checked, logs and figures kept.

Before timing, the same command runs on 2,000 records and must pass :func:`cli_runs.check_clean`
(one output record per input record not skipped, removals by the template, exact and near steps);
every timed run's output must pass it too. Targets (issue 13): peak memory at most 1.5 GB at 1 M
records and within 20% of that at 3 M; CPU seconds per MB at 3 M within 20% of those at 100k (the
"vs smallest" columns). The table prints at the end of the run and goes, with the machine's
description and load, to ``--scale-results`` (default ``SCALE_DIR/scale-results.json``).

Run: ``.venv/bin/python -m pytest benchmarks/bench_scale.py --benchmark-enable`` (see README.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_runs import Measured, Records, check_clean, clean_argv, fresh, machine, missing, records_file, run_measured
from conftest import Results

CHECK_DOCS = 2_000


@dataclass(frozen=True)
class Row:
    """One size's run."""

    docs: int
    mb: float
    generated_s: float | None
    measured: Measured
    report: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return {"docs": self.docs, "mb": round(self.mb, 2),
                "generated_s": self.generated_s and round(self.generated_s, 1),
                "cpu_s_per_mb": round(self.measured.cpu / self.mb, 4), **self.measured.row(), **self.report}


ROWS: dict[int, Row] = {}


def sizes(config: pytest.Config) -> list[int]:
    return [int(n) for n in str(config.getoption("--scale-docs")).split(",")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "docs" in metafunc.fixturenames:
        metafunc.parametrize("docs", sizes(metafunc.config), ids=lambda n: f"{n}docs", scope="module")


@pytest.fixture(scope="module")
def folder(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--scale-dir"))


def clean(source: Records, run_dir: Path, config: pytest.Config) -> tuple[Measured, dict[str, object]]:
    """One checked, measured run in an empty ``run_dir``; the figures and what the report says."""
    measured = run_measured(clean_argv(source, fresh(run_dir), config), run_dir / "clean")
    report = check_clean(source, run_dir / "out.jsonl", run_dir / "report.jsonl")
    for name in ("out.jsonl", "report.jsonl"):
        (run_dir / name).unlink()
    return measured, {"removed": dict(report.removed), "paragraphs_in": report.paragraphs_in,
                      "paragraphs_out": report.paragraphs_out, "skipped": report.skipped}


@pytest.fixture(scope="module")
def checked(folder: Path, request: pytest.FixtureRequest) -> None:
    """The command passes the output checks on a small corpus before anything is timed."""
    clean(records_file(folder, CHECK_DOCS), folder / "runs" / "scale-check", request.config)


@pytest.fixture(scope="module", autouse=True)
def summary(results: Results, request: pytest.FixtureRequest, folder: Path):
    yield
    if not ROWS:
        return
    config = request.config
    memory = config.getoption("--scale-memory")
    notes = {"jobs": config.getoption("--scale-jobs"), "memory": memory,
             "memory_passed": bool(memory) and missing("--memory") is None}
    results.notes.extend(table(notes))
    path = Path(config.getoption("--scale-results") or folder / "scale-results.json")
    rows = [r.to_dict() for r in ROWS.values()]
    path.write_text(json.dumps({"machine": machine(), "options": notes, "rows": rows}, indent=1) + "\n")
    results.notes.append(f"scale results written to {path}")


def table(notes: dict[str, object]) -> list[str]:
    """The markdown table of the runs, with per-MB ratios against the smallest size."""
    rows = sorted(ROWS.values(), key=lambda r: r.docs)
    first = rows[0].measured
    out = [
        f"scale: dedup clean --jobs {notes['jobs']}"
        + (f" --memory {notes['memory']}" if notes["memory_passed"] else " (no --memory)"),
        "| docs | MB | wall s | CPU s | CPU s/MB | MB/s | peak tree PSS MB | peak RSS MB (largest process) "
        "| CPU s/MB vs smallest | wall s/MB vs smallest | load before/after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        m = r.measured
        cpu_ratio = (m.cpu / r.mb) / (first.cpu / rows[0].mb)
        wall_ratio = (m.wall / r.mb) / (first.wall / rows[0].mb)
        pss = "-" if m.tree_pss_mb is None else f"{m.tree_pss_mb:.0f}"
        out.append(
            f"| {r.docs:,} | {r.mb:.1f} | {m.wall:.1f} | {m.cpu:.1f} | {m.cpu / r.mb:.3f} | {r.mb / m.wall:.2f} "
            f"| {pss} | {m.maxrss_mb:.0f} | {cpu_ratio:.2f} | {wall_ratio:.2f} | {m.load[0]} / {m.load[1]} |"
        )
    return out


def test_scale(benchmark, docs: int, folder: Path, checked: None, request: pytest.FixtureRequest) -> None:
    source = records_file(folder, docs)
    runs: list[tuple[Measured, dict[str, object]]] = []
    benchmark.group = "scale"
    benchmark.extra_info["MB"] = round(source.mb, 1)
    benchmark.pedantic(lambda: runs.append(clean(source, folder / "runs" / f"scale-{docs}", request.config)),
                       rounds=1, iterations=1)
    measured, report = runs[-1]
    ROWS[docs] = Row(docs, source.mb, source.seconds, measured, report)
    benchmark.extra_info.update(cpu_s=measured.cpu, tree_pss_mb=measured.tree_pss_mb)
