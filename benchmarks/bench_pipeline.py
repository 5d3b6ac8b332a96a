"""Folder in, clean folder out: ``dedup clean`` end to end against the pipelines users write instead.

Every contender is a command run in a subprocess on the same folder of pages
(:mod:`dedup.evaluation.pages`, seed 0), so each is measured the same way: wall seconds, CPU
seconds (user + system of the process and the workers it waited for, from ``os.wait4``) and peak
RSS (of its largest process, not the sum over workers; ``benchmarks/measure.py`` says why it starts
each command):

- ``dedup clean IN -o OUT --jobs 1`` and ``--jobs 2``: the real CLI; and both again with
  ``OPENBLAS_NUM_THREADS=1`` (the stripper's numpy matrix products otherwise run OpenBLAS threads
  that spin on the other core: more CPU seconds for the same wall time);
- **hand-written**: ftfy, jusText on the lines, datasketch MinHashLSH over paragraphs
  (``benchmarks/peers.py handwritten``);
- **datatrove**: its ftfy formatter, C4 quality filter and MinHash document dedup
  (``benchmarks/peers.py datatrove``), when ``datatrove`` (and the spaCy tokenizer it uses) is
  installed: ``pip install -e '.[bench]'``.

Before timing, each contender runs on a 0.3 MB folder of the same generator: it must write a
non-empty file for most pages, and fewer lines than the input (chrome and copies go). One timed
round per size: at 6 CPU seconds per MB a round of dedup on 10 MB is about a minute.

Sizes: ``--pipeline-mb 10`` (default; ``--pipeline-mb 10,100`` adds the 100 MB folder, about
20 minutes on 2 cores). Sources: ``--pipeline-sources DIR`` (repeatable; default the bundled seed
pages), such as ``/work/shared/eval/cleaneval_final``.

Run: ``.venv/bin/python -m pytest benchmarks/bench_pipeline.py --benchmark-enable`` (see README.md).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Results
from dedup.evaluation.pages import make_pages, write_pages

HERE = Path(__file__).resolve().parent
CHECK_BYTES = 300_000


@dataclass(frozen=True)
class Run:
    """One measured run of a command."""

    wall: float
    cpu: float
    rss_mb: float
    kept: float = 0.0
    """Share of the input's non-empty lines in the output (filled in after the run)."""


Command = Callable[[Path, Path], list[str]]


def dedup_clean(jobs: int, blas_threads: int | None = None) -> Command:
    """The CLI; with ``blas_threads``, OpenBLAS limited to that many threads per process."""
    env = ["env", f"OPENBLAS_NUM_THREADS={blas_threads}"] if blas_threads else []

    def command(in_dir: Path, out_dir: Path) -> list[str]:
        return [
            *env,
            sys.executable,
            "-m",
            "dedup",
            "clean",
            str(in_dir),
            "-o",
            str(out_dir),
            "--jobs",
            str(jobs),
            "--no-progress",
            "-q",
        ]

    return command


def peer(name: str) -> Command:
    def command(in_dir: Path, out_dir: Path) -> list[str]:
        extra = [str(out_dir.with_name(out_dir.name + ".work"))] if name == "datatrove" else []
        return [sys.executable, str(HERE / "peers.py"), name, str(in_dir), str(out_dir), *extra]

    return command


def datatrove_missing() -> str | None:
    missing = [m for m in ("datatrove", "spacy", "orjson", "xxhash", "tokenizers") if not importlib.util.find_spec(m)]
    return f"datatrove not installed (missing {', '.join(missing)}): pip install -e '.[bench]'" if missing else None


CONTENDERS: dict[str, Command] = {
    "dedup clean --jobs 1": dedup_clean(1),
    "dedup clean --jobs 2": dedup_clean(2),
    "dedup -j1, OPENBLAS_NUM_THREADS=1": dedup_clean(1, blas_threads=1),
    "dedup -j2, OPENBLAS_NUM_THREADS=1": dedup_clean(2, blas_threads=1),
    "hand-written (ftfy+jusText+LSH)": peer("handwritten"),
    "datatrove (ftfy+C4+MinHash)": peer("datatrove"),
}
REFERENCE = "dedup clean --jobs 1"
MEASURED: dict[tuple[float, str], Run] = {}


def run_measured(argv: list[str], log: Path) -> Run:
    """Run ``argv`` to the end; its wall and CPU seconds and peak RSS. A failure shows its log.

    The CPU seconds are those of ``benchmarks/measure.py`` (which starts ``argv``, see there why) and
    of everything it waited for: ``argv`` and its workers, plus about 0.05 s of its own start-up.
    """
    rss = log.with_suffix(".rss")
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "measure.py"), str(rss), *argv], stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}:\n{log.read_text()[-3000:]}"
    return Run(wall, usage.ru_utime + usage.ru_stime, int(rss.read_text()) / 1024)


def lines_of(folder: Path) -> tuple[int, int]:
    """Non-empty ``.txt`` files and non-empty lines below ``folder``."""
    files = lines = 0
    for path in folder.rglob("*.txt"):
        n = sum(1 for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip())
        files += n > 0
        lines += n
    return files, lines


def folder_of(tmp: Path, target_bytes: int, sources: list[Path]) -> tuple[Path, int]:
    folder = tmp / f"pages-{target_bytes}"
    return folder, write_pages(folder, make_pages(target_bytes, seed=0, sources=sources))


@pytest.fixture(scope="module")
def sources(request: pytest.FixtureRequest) -> list[Path]:
    return [Path(p) for p in request.config.getoption("--pipeline-sources")]


@pytest.fixture(scope="module")
def check_folder(tmp_path_factory: pytest.TempPathFactory, sources: list[Path]) -> Path:
    return folder_of(tmp_path_factory.mktemp("check"), CHECK_BYTES, sources)[0]


@pytest.fixture(scope="module", autouse=True)
def summary(results: Results, request: pytest.FixtureRequest):
    yield
    if MEASURED:
        results.notes.extend(table(request.config.getoption("--pipeline-sources")))


def table(sources: list[str]) -> list[str]:
    """The side-by-side table of the pipeline runs (CPU ratios against ``dedup clean --jobs 1``)."""
    out = [
        f"pipeline (sources: {', '.join(sources) or 'bundled seeds'}; load average {os.getloadavg()[0]:.1f})",
        f"{'MB':>5} {'contender':<34} {'wall s':>7} {'MB/s':>6} {'CPU s':>7} {'CPU s/MB':>8} {'RSS MB':>7} "
        f"{'wall vs -j2':>11} {'CPU vs -j1':>10} {'lines kept':>10}",
    ]
    for (mb, name), r in MEASURED.items():
        j1, j2 = MEASURED.get((mb, REFERENCE)), MEASURED.get((mb, "dedup clean --jobs 2"))
        wall_ratio = f"{r.wall / j2.wall:.2f}" if j2 else "-"
        cpu_ratio = f"{r.cpu / j1.cpu:.2f}" if j1 else "-"
        out.append(
            f"{mb:>5.1f} {name:<34} {r.wall:>7.1f} {mb / r.wall:>6.2f} {r.cpu:>7.1f} {r.cpu / mb:>8.2f} "
            f"{r.rss_mb:>7.0f} {wall_ratio:>11} {cpu_ratio:>10} {r.kept:>10.0%}"
        )
    return out


def check(name: str, check_folder: Path, tmp: Path) -> None:
    """The contender's output on the small folder looks cleaned: most pages written, fewer lines."""
    out = tmp / "check-out"
    run_measured(CONTENDERS[name](check_folder, out), tmp / "check.log")
    pages_in, lines_in = lines_of(check_folder)
    pages_out, lines_out = lines_of(out)
    assert pages_out >= pages_in // 2, f"{name} wrote {pages_out} non-empty pages of {pages_in}"
    assert 0 < lines_out < lines_in, f"{name} kept {lines_out} lines of {lines_in}"
    if name.startswith("dedup"):
        assert (out / "report.jsonl").stat().st_size > 0


def sizes(config: pytest.Config) -> list[float]:
    return [float(mb) for mb in str(config.getoption("--pipeline-mb")).split(",")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mb" in metafunc.fixturenames:
        metafunc.parametrize("mb", sizes(metafunc.config), ids=lambda mb: f"{mb:g}MB", scope="module")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, sources: list[Path], mb: float) -> tuple[Path, int]:
    return folder_of(tmp_path_factory.mktemp("corpus"), int(mb * 1e6), sources)


@pytest.mark.parametrize("contender", list(CONTENDERS))
def test_pipeline(benchmark, tmp_path: Path, check_folder: Path, corpus, results: Results, mb, contender) -> None:
    if contender.startswith("datatrove") and (why := datatrove_missing()):
        pytest.skip(why)
    check(contender, check_folder, tmp_path)
    folder, nbytes = corpus
    runs: list[Run] = []
    counter = iter(range(1_000))

    def once() -> None:
        i = next(counter)
        runs.append(run_measured(CONTENDERS[contender](folder, tmp_path / f"out{i}"), tmp_path / f"run{i}.log"))

    benchmark.group = f"pipeline {nbytes / 1e6:.1f} MB"
    benchmark.extra_info["MB"] = round(nbytes / 1e6, 2)
    benchmark.pedantic(once, rounds=1, iterations=1)
    if benchmark.stats:  # None under --benchmark-disable, where the test is a smoke test
        kept = lines_of(tmp_path / "out0")[1] / lines_of(folder)[1]
        MEASURED[(nbytes / 1e6, contender)] = dataclasses.replace(runs[-1], kept=kept)
        benchmark.extra_info.update(cpu_s=round(runs[-1].cpu, 2), rss_mb=round(runs[-1].rss_mb))
        results.record(benchmark.group, contender, runs[-1].wall, nbytes)
