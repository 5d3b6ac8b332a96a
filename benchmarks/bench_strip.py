"""Pages in, kept lines out: the boilerplate stripper against jusText on the same plain-text lines.

Each contender gets the same pages, each a list of non-empty stripped lines read as ``dedup.evaluation.boilerplate``
reads them (``quality.read_lines``), and returns the lines it keeps. dedup runs
:func:`dedup.strip.stripper.decide_lines` with the default settings (rules, line classifier, repeated alt
text), and once with its rules alone; jusText 3 gets one ``<p>`` per line with its English
stoplist (``dedup.evaluation.baselines.justext_lines``, as for the quality table). Before timing, every contender
must keep some lines of some page, and dedup must keep lines on every seed page and drop or trim
some.

The pages are the seed articles in ``fixtures/seeds`` repeated to ``PAGES`` pages, or, with
``--strip-pages DIR``, every ``*.input.txt`` (else ``*.txt``) page in ``DIR``, such as an eval
folder from ``../shared/eval``.

Run: ``.venv/bin/python -m pytest benchmarks/bench_strip.py --benchmark-enable`` (see README.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Results
from dedup.config import StripConfig
from dedup.evaluation.baselines import justext_lines
from dedup.evaluation.boilerplate import read_lines
from dedup.strip.stripper import decide_lines

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
PAGES = 200
DEFAULTS = StripConfig()
RULES_ONLY = StripConfig(classifier=False)


def load_pages(folder: Path | None) -> list[list[str]]:
    """The benchmark's pages: the seeds repeated to ``PAGES``, or every page of ``folder``."""
    if folder is None:
        seeds = [list(read_lines(p)) for p in sorted(SEEDS.glob("*.txt"))]
        return list(itertools.islice(itertools.cycle(seeds), PAGES))
    paths = sorted(folder.glob("*.input.txt")) or sorted(folder.glob("*.txt"))
    if not paths:
        raise FileNotFoundError(f"--strip-pages {folder}: no *.input.txt or *.txt pages there")
    return [list(read_lines(p)) for p in paths]


def run_dedup(pages: list[list[str]], config: StripConfig = DEFAULTS) -> list[list[str]]:
    return [[d.text for d in decide_lines(lines, config) if d.keep] for lines in pages]


def run_dedup_rules(pages: list[list[str]]) -> list[list[str]]:
    return run_dedup(pages, RULES_ONLY)


def run_justext(pages: list[list[str]]) -> list[list[str]]:
    return [justext_lines(lines) for lines in pages]


CONTENDERS: dict[str, Callable[[list[list[str]]], list[list[str]]]] = {
    "dedup": run_dedup,
    "dedup (rules only)": run_dedup_rules,
    "jusText 3 on lines": run_justext,
}


@pytest.fixture(scope="module")
def pages(request: pytest.FixtureRequest) -> list[list[str]]:
    folder = request.config.getoption("--strip-pages")
    return load_pages(None if folder is None else Path(folder))


@pytest.mark.parametrize("contender", list(CONTENDERS))
def test_strip(benchmark, request, pages: list[list[str]], results: Results, contender: str) -> None:
    run = CONTENDERS[contender]
    sample = pages[:20]
    kept = run(sample)
    assert len(kept) == len(sample)
    assert any(kept), f"{contender} kept nothing of {len(sample)} pages"
    if contender == "dedup" and request.config.getoption("--strip-pages") is None:  # every seed has chrome
        for lines, out in zip(sample, kept, strict=True):
            assert out, f"dedup kept nothing of a {len(lines)}-line page"
            assert out != lines, f"dedup neither dropped nor trimmed a line of a {len(lines)}-line page"
    nbytes = sum(len(line.encode("utf-8")) + 1 for lines in pages for line in lines)
    benchmark.group = f"strip {len(pages)} pages"
    benchmark.extra_info["MB"] = round(nbytes / 1e6, 2)
    out = benchmark.pedantic(run, args=(pages,), rounds=3, iterations=1)
    assert len(out) == len(pages)
    if benchmark.stats:  # None under --benchmark-disable, where the test is a smoke test
        results.record(benchmark.group, contender, benchmark.stats.stats.median, nbytes)
