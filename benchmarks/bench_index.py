"""A new crawl matched against an index of an earlier one: what ``dedup clean --against INDEX`` costs.

The base crawl is ``--index-docs`` records of :mod:`dedup.evaluation.records` (seed 0; default
20,000, the real run 1,000,000); the new crawl is ``--new-docs`` records of the same seed's crawl 1
(default 5,000, the real run 100,000): new ids and new paragraphs, except that 8% of its body
paragraphs are exact and 4% near copies of base paragraphs. Each command runs through
``benchmarks/measure.py`` (wall and CPU seconds, peak tree PSS, largest process's RSS):

1. ``dedup index build BASE.jsonl -o INDEX``;
2. ``dedup clean NEW.jsonl -o OUT1.jsonl --report R1.jsonl`` (the new crawl alone);
3. ``dedup clean NEW.jsonl -o OUT2.jsonl --report R2.jsonl --against INDEX``;
4. ``dedup index add INDEX NEW.jsonl``, when the CLI has it (it changes the index, so it runs last).

Checks (first on a 2,000-record base and a 500-record new crawl, before anything is timed, then on
the timed runs): both cleans pass :func:`cli_runs.check_clean`; the run against the index removes
more repeated paragraphs than the run alone, and its report names indexed documents
(``duplicate_of.doc`` is an id of the base crawl). Target (issue 13): matching against an index of
1 M records costs at most 1.5 times cleaning the 100k crawl alone (the ``against / alone`` ratios).
Skipped, saying why, while the CLI has no ``dedup index``. ``--scale-dir``, ``--scale-jobs`` and
``--scale-memory`` apply as in ``bench_scale.py``.

Run: ``.venv/bin/python -m pytest benchmarks/bench_index.py --benchmark-enable`` (see README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_runs import (
    Measured,
    Records,
    Report,
    check_clean,
    clean_argv,
    dedup,
    fresh,
    help_text,
    load_average,
    missing,
    records_file,
    run_measured,
    size_mb,
)
from conftest import Results

CHECK = (2_000, 500)


@dataclass(frozen=True)
class IndexRun:
    """The measured steps and what the two cleans' reports say."""

    base: Records
    new: Records
    steps: dict[str, Measured]
    alone: Report
    against: Report
    indexed_hits: int
    """Indexed (base) documents named as ``duplicate_of`` in the report of the run against the index."""
    index_mb: float


def index_run(folder: Path, base_docs: int, new_docs: int, run_dir: Path, config: pytest.Config) -> IndexRun:
    """Build the index of the base crawl, clean the new crawl alone and against it; check both."""
    base = records_file(folder, base_docs)
    new = records_file(folder, new_docs, crawl=1, base_docs=base_docs)
    index = fresh(run_dir) / "index"
    jobs = ("--jobs", str(config.getoption("--scale-jobs")), "--no-progress")
    steps = {"index build (base)": run_measured(dedup("index", "build", str(base.path), "-o", str(index), *jobs),
                                                 run_dir / "build")}
    index_mb = size_mb(index)
    alone_dir, against_dir = fresh(run_dir / "alone"), fresh(run_dir / "against")
    steps["clean new alone"] = run_measured(clean_argv(new, alone_dir, config), run_dir / "alone")
    steps["clean new --against"] = run_measured(clean_argv(new, against_dir, config, "--against", str(index)),
                                                run_dir / "against")
    if help_text("index", "add") is not None:
        steps["index add (new)"] = run_measured(dedup("index", "add", str(index), str(new.path), *jobs),
                                                run_dir / "add")
    alone = check_clean(new, alone_dir / "out.jsonl", alone_dir / "report.jsonl")
    against = check_clean(new, against_dir / "out.jsonl", against_dir / "report.jsonl")
    assert against.duplicates > alone.duplicates, (
        f"against the index {against.removed}, alone {alone.removed}: the index found nothing more")
    hits = len(against.duplicate_of & set(base.ids()))
    assert hits > 0, "no removal of the run against the index names an indexed document"
    for out in (alone_dir, against_dir):
        for name in ("out.jsonl", "report.jsonl"):
            (out / name).unlink()
    return IndexRun(base, new, steps, alone, against, hits, index_mb)


def table(run: IndexRun) -> list[str]:
    """The markdown table of the steps, with the against / alone ratios."""
    alone, against = run.steps["clean new alone"], run.steps["clean new --against"]
    out = [
        f"index: base {run.base.docs:,} records ({run.base.mb:.0f} MB, index {run.index_mb:.0f} MB on disk), "
        f"new crawl {run.new.docs:,} records ({run.new.mb:.1f} MB); load average {load_average()}",
        f"repeats removed: alone {run.alone.duplicates:,} {dict(run.alone.removed)}, against the index "
        f"{run.against.duplicates:,} {dict(run.against.removed)}; {run.indexed_hits:,} indexed documents named",
        "| step | wall s | CPU s | CPU s/MB | peak tree PSS MB | peak RSS MB (largest process) | load before/after |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, m in run.steps.items():
        mb = run.base.mb if "build" in name else run.new.mb
        pss = "-" if m.tree_pss_mb is None else f"{m.tree_pss_mb:.0f}"
        out.append(f"| {name} | {m.wall:.1f} | {m.cpu:.1f} | {m.cpu / mb:.3f} | {pss} | {m.maxrss_mb:.0f} "
                   f"| {m.load[0]} / {m.load[1]} |")
    pss_ratio = (f"{against.tree_pss_mb / alone.tree_pss_mb:.2f}"
                 if against.tree_pss_mb and alone.tree_pss_mb else "-")
    out.append(f"| **against / alone** | {against.wall / alone.wall:.2f} | {against.cpu / alone.cpu:.2f} | "
               f"| {pss_ratio} | {against.maxrss_mb / alone.maxrss_mb:.2f} | |")
    return out


@pytest.fixture(scope="module")
def folder(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--scale-dir"))


def test_index(benchmark, folder: Path, results: Results, request: pytest.FixtureRequest) -> None:
    if why := missing("index", "--against"):
        pytest.skip(why)
    config = request.config
    index_run(folder, *CHECK, folder / "runs" / "index-check", config)
    base_docs, new_docs = config.getoption("--index-docs"), config.getoption("--new-docs")
    runs: list[IndexRun] = []
    benchmark.group = "index"
    benchmark.pedantic(lambda: runs.append(index_run(folder, base_docs, new_docs, folder / "runs" / "index", config)),
                       rounds=1, iterations=1)
    results.notes.extend(table(runs[-1]))
