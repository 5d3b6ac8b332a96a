"""Shared benchmark fixtures: seeded corpora (made once per session) and a side-by-side summary table.

A benchmark records its median time with the ``results`` fixture; at the end of the run the table
prints every contender's throughput and how many times faster dedup is, per corpus size, measured in
the same run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

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
