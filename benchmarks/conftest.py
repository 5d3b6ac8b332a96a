"""Shared benchmark fixtures: seeded corpora (made once per session) and a side-by-side summary table.

A benchmark records its median time with the ``results`` fixture; at the end of the run the table
prints every contender's throughput and how many times faster dedup is, per corpus size, measured in
the same run.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

import cli_runs
from dedup.evaluation.corpus import Corpus, make_corpus


@dataclass
class Results:
    """Median seconds per (group, contender), with the bytes processed, plus free-form notes."""

    rows: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def record(self, group: str, contender: str, seconds: float, nbytes: int) -> None:
        self.rows[(group, contender)] = (seconds, nbytes)

    def table(self, reference: str = "dedup") -> list[str]:
        lines = [
            f"{'group':<18} {'contender':<28} {'median s':>9} {'MB/s':>8} {'dedup is x faster':>18}",
        ]
        for group in dict.fromkeys(g for g, _ in self.rows):
            ref = self.rows.get((group, reference))
            for (g, contender), (seconds, nbytes) in self.rows.items():
                if g != group:
                    continue
                ratio = f"{seconds / ref[0]:.1f}" if ref else "-"
                lines.append(f"{g:<18} {contender:<28} {seconds:>9.3f} {nbytes / seconds / 1e6:>8.1f} {ratio:>18}")
        return lines


RESULTS = Results()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--strip-pages",
        metavar="DIR",
        default=None,
        help="bench_strip.py: strip every *.input.txt (else *.txt) page in DIR instead of the repeated seeds",
    )
    parser.addoption(
        "--pipeline-mb",
        metavar="MB[,MB...]",
        default="10",
        help="bench_pipeline.py: sizes of the page folders in MB (default 10; 10,100 adds the 100 MB one)",
    )
    parser.addoption(
        "--pipeline-sources",
        metavar="DIR",
        action="append",
        default=[],
        help="bench_pipeline.py: build the pages from the *.input.txt pages of DIR (repeatable; default the seeds)",
    )
    parser.addoption(
        "--scale-docs",
        metavar="N[,N...]",
        default="20000",
        help="bench_scale.py: record counts to clean (default 20000; the real run: 100000,1000000,3000000)",
    )
    parser.addoption(
        "--spark-docs",
        metavar="N",
        type=int,
        default=20_000,
        help="bench_spark.py: records to clean with each engine (default 20000; the real run: 170000, about 100 MB)",
    )
    parser.addoption(
        "--scale-dir",
        metavar="DIR",
        default="/tmp/dedup-scale",
        help="bench_scale/index/resume/spark.py: where generated records are kept and runs write "
        "(default /tmp/dedup-scale)",
    )
    parser.addoption(
        "--scale-jobs",
        metavar="N",
        type=int,
        default=1,
        help="bench_scale/index/resume.py: dedup clean --jobs N (default 1)",
    )
    parser.addoption(
        "--scale-memory",
        metavar="SIZE",
        default=None,
        help="bench_scale/index/resume.py: dedup clean --memory SIZE (such as 2G), when the CLI has --memory",
    )
    parser.addoption(
        "--scale-cli",
        metavar="COMMAND",
        default=None,
        help="bench_scale/index/resume.py: how to start dedup (default: this Python's -m dedup), "
        "such as '/work/other/.venv/bin/python -m dedup'",
    )
    parser.addoption(
        "--scale-results",
        metavar="FILE",
        default=None,
        help="bench_scale.py: write the results as JSON here (default SCALE_DIR/scale-results.json)",
    )
    parser.addoption(
        "--index-docs",
        metavar="N",
        type=int,
        default=20_000,
        help="bench_index.py: records in the indexed base crawl (default 20000; the real run: 1000000)",
    )
    parser.addoption(
        "--new-docs",
        metavar="N",
        type=int,
        default=5_000,
        help="bench_index.py: records in the new crawl matched against it (default 5000; the real run: 100000)",
    )
    parser.addoption(
        "--resume-docs",
        metavar="N",
        type=int,
        default=20_000,
        help="bench_resume.py: records in the corpus killed at half time and resumed (default 20000)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if cli := config.getoption("--scale-cli"):
        cli_runs.CLI[:] = shlex.split(cli)


@pytest.fixture(scope="session")
def results() -> Results:
    """The session's table of measured times."""
    return RESULTS


@pytest.fixture(scope="session")
def corpus_of() -> Callable[[int], Corpus]:
    """``corpus_of(n)``: the seeded corpus of ``n`` paragraphs, generated once per session."""
    made: dict[int, Corpus] = {}

    def get(n: int) -> Corpus:
        if n not in made:
            made[n] = make_corpus(n, seed=0)
        return made[n]

    return get


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS.rows and not RESULTS.notes:
        return
    terminalreporter.section("side by side (same run)")
    for line in RESULTS.table():
        terminalreporter.write_line(line)
    for note in RESULTS.notes:
        terminalreporter.write_line(note)
