"""A ``dedup clean`` killed half-way and run again: how much of its work the rerun saves.

On ``--resume-docs`` records of :mod:`dedup.evaluation.records` (seed 0; default 20,000):

1. the uninterrupted run ``dedup clean IN.jsonl -o A/out.jsonl --report A/report.jsonl ...``,
   through ``benchmarks/measure.py``: its wall time ``T``;
2. the same command into ``B/`` started in a new session, and its whole process group sent SIGKILL
   at ``T / 2`` (it must still be running then); its work folder stays where the CLI put it
   (by default beside the output);
3. the same command again, measured: ``T2``.

The rerun's output must be byte-identical to the uninterrupted run's, and its report must say the
same (documents, paragraphs, removals by stage); both must pass :func:`cli_runs.check_clean`.
Target (issue 13): ``T2 / T`` at most 0.6. The check runs the whole sequence on 2,000 records
before the timed one. Skipped, saying why, while ``dedup clean`` has no work folder (no ``--work``
in its ``--help``). ``--scale-dir``, ``--scale-jobs`` and ``--scale-memory`` apply as in
``bench_scale.py``.

Run: ``.venv/bin/python -m pytest benchmarks/bench_resume.py --benchmark-enable`` (see README.md).
"""

from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_runs import (
    Measured,
    Records,
    Report,
    check_clean,
    clean_argv,
    fresh,
    load_average,
    missing,
    records_file,
    run_measured,
    size_mb,
)
from conftest import Results

CHECK_DOCS = 2_000


@dataclass(frozen=True)
class ResumeRun:
    source: Records
    full: Measured
    killed_after: float
    left_mb: float
    """What the killed run left in its folder (the work folder, any partial output), in MB."""
    rerun: Measured


def kill_half_way(argv: list[str], after: float, log: Path) -> float:
    """Start ``argv`` in its own session, SIGKILL its process group ``after`` seconds later; when that was."""
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=after)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return time.perf_counter() - start
    raise AssertionError(f"the run to kill ended by itself (exit {code}) before {after:.1f} s: {log}")


def same_report(a: Path, b: Path) -> None:
    ra, rb = Report.read(a), Report.read(b)
    assert (ra.documents, ra.skipped, ra.paragraphs_in, ra.paragraphs_out, ra.removed) == (
        rb.documents, rb.skipped, rb.paragraphs_in, rb.paragraphs_out, rb.removed), (ra, rb)


def resume_run(source: Records, run_dir: Path, config: pytest.Config) -> ResumeRun:
    """Run uninterrupted, then killed at half time and rerun; check the rerun's output is the same."""
    full_dir, resumed_dir = fresh(run_dir / "full"), fresh(run_dir / "resumed")
    full = run_measured(clean_argv(source, full_dir, config), run_dir / "full")
    argv = clean_argv(source, resumed_dir, config)
    killed_after = kill_half_way(argv, full.wall / 2, run_dir / "killed.log")
    left_mb = size_mb(resumed_dir)
    rerun = run_measured(argv, run_dir / "rerun")
    assert filecmp.cmp(full_dir / "out.jsonl", resumed_dir / "out.jsonl", shallow=False), (
        "the resumed run's output differs from the uninterrupted run's")
    same_report(full_dir / "report.jsonl", resumed_dir / "report.jsonl")
    check_clean(source, resumed_dir / "out.jsonl", resumed_dir / "report.jsonl")
    for folder in (full_dir, resumed_dir):
        for name in ("out.jsonl", "report.jsonl"):
            (folder / name).unlink()
    return ResumeRun(source, full, killed_after, left_mb, rerun)


def table(run: ResumeRun) -> list[str]:
    full, rerun = run.full, run.rerun
    pss = lambda m: "-" if m.tree_pss_mb is None else f"{m.tree_pss_mb:.0f}"  # noqa: E731
    return [
        f"resume: {run.source.docs:,} records ({run.source.mb:.1f} MB), killed after {run.killed_after:.1f} s "
        f"(half of T), leaving {run.left_mb:.1f} MB; load average {load_average()}",
        "| run | wall s | CPU s | peak tree PSS MB | peak RSS MB (largest process) | load before/after |",
        "|---|---:|---:|---:|---:|---|",
        f"| uninterrupted (T) | {full.wall:.1f} | {full.cpu:.1f} | {pss(full)} | {full.maxrss_mb:.0f} "
        f"| {full.load[0]} / {full.load[1]} |",
        f"| rerun after the kill (T2) | {rerun.wall:.1f} | {rerun.cpu:.1f} | {pss(rerun)} | {rerun.maxrss_mb:.0f} "
        f"| {rerun.load[0]} / {rerun.load[1]} |",
        f"| **T2 / T** | **{rerun.wall / full.wall:.2f}** | {rerun.cpu / full.cpu:.2f} | | | |",
    ]


def test_resume(benchmark, results: Results, request: pytest.FixtureRequest) -> None:
    if why := missing("--work"):
        pytest.skip(why)
    config = request.config
    folder = Path(config.getoption("--scale-dir"))
    resume_run(records_file(folder, CHECK_DOCS), folder / "runs" / "resume-check", config)
    source = records_file(folder, config.getoption("--resume-docs"))
    runs: list[ResumeRun] = []
    benchmark.group = "resume"
    benchmark.pedantic(lambda: runs.append(resume_run(source, folder / "runs" / "resume", config)),
                       rounds=1, iterations=1)
    results.notes.extend(table(runs[-1]))
