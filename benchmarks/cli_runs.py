"""What the scale, index and resume benchmarks share: generated record files, measured ``dedup`` runs and their checks.

- :func:`records_file`: the JSONL records of :mod:`dedup.evaluation.records`, made once and kept in
  ``--scale-dir`` (default ``/tmp/dedup-scale``) under a name that carries the generator's version.
- :func:`run_measured`: a command run through ``benchmarks/measure.py`` (wall and CPU seconds, the
  largest process's peak RSS, the whole process tree's peak PSS and RSS).
- :func:`missing`: why the CLI cannot run a benchmark yet (``dedup index``, ``--work``, ...), read
  from its ``--help``, so a benchmark skips with that reason instead of failing.
- :func:`check_clean`: one output record per input record not skipped, and the report's removals
  by the template, exact and near stages.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dedup.evaluation import records

HERE = Path(__file__).resolve().parent
MB = 1e6
DUPLICATE_STAGES = ("exact", "near", "contained")


@dataclass(frozen=True)
class Measured:
    """One run of a command: seconds and peak memory (MB; PSS ``None`` where it cannot be read).

    ``cpu`` is the larger of the CPU time of the processes waited for (``cpu_s``) and that of every process
    seen in the tree (``tree_cpu_s``, which also counts a JVM that Spark starts and its Python workers).
    """

    wall: float
    cpu: float
    maxrss_mb: float
    tree_pss_mb: float | None
    tree_rss_mb: float
    tree_pss_anon_mb: float | None
    load: tuple[float, float]
    """The 1-minute load average before and after the run."""

    @classmethod
    def read(cls, path: Path, load: tuple[float, float]) -> Measured:
        data = json.loads(path.read_text())
        mb = lambda kib: None if kib is None else kib * 1024 / MB  # noqa: E731
        cpu = max(data["cpu_s"], data.get("tree_cpu_s", 0.0))
        return cls(data["wall_s"], cpu, mb(data["maxrss_kib"]), mb(data["peak_tree_pss_kib"]),
                   mb(data["peak_tree_rss_kib"]), mb(data["peak_tree_pss_anon_kib"]), load)

    def row(self) -> dict[str, float | None]:
        """The figures as a JSON-ready dict."""
        return {"wall_s": round(self.wall, 2), "cpu_s": round(self.cpu, 2), "maxrss_mb": round(self.maxrss_mb),
                "tree_pss_mb": self.tree_pss_mb and round(self.tree_pss_mb),
                "tree_rss_mb": round(self.tree_rss_mb),
                "tree_pss_anon_mb": self.tree_pss_anon_mb and round(self.tree_pss_anon_mb),
                "load_before": self.load[0], "load_after": self.load[1]}


CLI = [sys.executable, "-m", "dedup"]
"""How ``dedup`` is started: this interpreter's, unless ``--scale-cli`` names another (conftest sets it)."""


def dedup(*args: str) -> list[str]:
    """The command line of ``dedup ARGS``."""
    return [*CLI, *args]


def clean_argv(source: Records, out: Path, config: pytest.Config, *extra: str) -> list[str]:
    """``dedup clean`` of ``source`` into ``out/out.jsonl`` and ``out/report.jsonl``, with the run's options."""
    argv = dedup("clean", str(source.path), "-o", str(out / "out.jsonl"), "--report", str(out / "report.jsonl"),
                 "--no-progress", "-q", "--jobs", str(config.getoption("--scale-jobs")), *extra)
    memory = config.getoption("--scale-memory")
    if memory and missing("--memory") is None:
        argv += ["--memory", memory]
    return argv


def fresh(folder: Path) -> Path:
    """``folder``, emptied (a run must never resume from an earlier run's work folder)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def size_mb(path: Path) -> float:
    """The bytes of a file, or of everything under a folder, in MB."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / MB


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def run_measured(argv: list[str], stem: Path) -> Measured:
    """Run ``argv`` through ``measure.py`` (log ``stem.log``, figures ``stem.json``); it must exit 0."""
    log, figures = stem.with_suffix(".log"), stem.with_suffix(".json")
    before = load_average()
    with log.open("wb") as out:
        code = subprocess.call([sys.executable, str(HERE / "measure.py"), str(figures), *argv],
                               stdout=out, stderr=subprocess.STDOUT)
    assert code == 0, f"{' '.join(argv)} exited {code}:\n{log.read_text(errors='replace')[-3000:]}"
    return Measured.read(figures, (before, load_average()))


@functools.cache
def help_text(*command: str) -> str | None:
    """``dedup COMMAND --help``, or None when the CLI has no such command."""
    done = subprocess.run(dedup(*command, "--help"), capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def missing(*needs: str) -> str | None:
    """Why the CLI cannot run what ``needs`` names (``"index"``, or a ``clean`` flag such as ``"--work"``)."""
    for need in needs:
        if not need.startswith("--") and help_text(need) is None:
            return f"dedup has no `{need}` command yet (`python -m dedup {need} --help` fails; issue 13)"
        if need.startswith("--") and need not in (help_text("clean") or ""):
            return f"`dedup clean` has no {need} yet (not in `python -m dedup clean --help`; issue 13)"
    return None


@functools.cache
def generator_version() -> str:
    """A digest of the generator's source: a cached file made by another version is made again."""
    from dedup.evaluation import corpus, vocabulary

    sources = b"".join(Path(m.__file__ or "").read_bytes() for m in (records, vocabulary, corpus))
    return hashlib.sha1(sources).hexdigest()[:8]


@dataclass(frozen=True)
class Records:
    """A generated records file and what generated it."""

    path: Path
    docs: int
    seed: int
    crawl: int
    seconds: float | None
    """How long generating it took here (None when it was already there)."""

    @property
    def mb(self) -> float:
        return self.path.stat().st_size / MB

    def ids(self) -> list[str]:
        return records.record_ids(self.seed, self.crawl, 0, self.docs)


def records_file(folder: Path, docs: int, *, seed: int = 0, crawl: int = 0, base_docs: int | None = None) -> Records:
    """The records of (docs, seed, crawl, base), generated into ``folder`` unless already there."""
    base = f"-base{base_docs}" if crawl else ""
    path = folder / f"records-{docs}-seed{seed}-crawl{crawl}{base}-{generator_version()}.jsonl"
    seconds = None
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        records.write_records(path, docs, seed=seed, crawl=crawl, base_docs=base_docs)
        seconds = time.perf_counter() - start
    return Records(path, docs, seed, crawl, seconds)


@dataclass
class Report:
    """What a ``dedup clean`` report says, summed over its documents."""

    documents: int = 0
    skipped: int = 0
    paragraphs_in: int = 0
    paragraphs_out: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    duplicate_of: set[str] = field(default_factory=set)
    """The documents that removed paragraphs repeat."""

    @property
    def duplicates(self) -> int:
        return sum(self.removed[s] for s in DUPLICATE_STAGES)

    @classmethod
    def read(cls, path: Path) -> Report:
        report = cls()
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                doc = json.loads(line)
                if doc.get("status") != "ok":
                    report.skipped += 1
                    continue
                report.documents += 1
                report.paragraphs_in += doc["paragraphs_in"]
                report.paragraphs_out += doc["paragraphs_out"]
                for removal in doc["removed"]:
                    report.removed[removal["stage"]] += 1
                    if "duplicate_of" in removal:
                        report.duplicate_of.add(removal["duplicate_of"]["doc"])
        return report


def id_digest(ids: list[str]) -> tuple[int, int]:
    """How many ids, and an order-free digest of them (a sum of hashes)."""
    return len(ids), sum(hash(i) for i in ids) % 2**64


def output_ids(path: Path) -> list[str]:
    """The ids of an output JSONL file; each line must be a record with ``id`` and ``text``."""
    ids = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            assert isinstance(record["text"], str), record
            ids.append(record["id"])
    return ids


def check_clean(source: Records, out: Path, report_path: Path) -> Report:
    """Assert a ``dedup clean`` of generated records did its job; what its report says.

    One output record per input record that was not skipped (same ids), and removals by the
    site-template step (the sites' chrome), the exact step (at least half the planted exact
    copies) and the near step (at least a quarter of the planted near copies: containment counts).
    """
    report = Report.read(report_path)
    assert report.documents + report.skipped == source.docs, (report.documents, report.skipped, source.docs)
    ids = output_ids(out)
    skipped = set(source.ids()) - set(ids) if report.skipped else set()
    assert id_digest(ids) == id_digest([i for i in source.ids() if i not in skipped]), "output ids differ from input's"
    assert len(skipped) == report.skipped
    planted = 0.05 * report.paragraphs_in * 0.6  # body paragraphs are about 60% of them, chrome lines the rest
    assert report.removed["template"] >= 0.1 * source.docs, report.removed
    assert report.removed["exact"] >= 0.5 * planted, report.removed
    assert report.removed["near"] + report.removed["contained"] >= 0.25 * planted, report.removed
    assert report.paragraphs_out < report.paragraphs_in
    return report


def machine() -> dict[str, object]:
    """Where the figures were taken: cores, memory, Python, the commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE,
                            check=False).stdout.strip()
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1] if Path("/proc/meminfo").exists() else "?"
    return {"cpus": os.cpu_count(), "memory_gb": round(int(memory) / 2**20, 1) if memory != "?" else None,
            "python": sys.version.split()[0], "commit": commit, "load_average": os.getloadavg(),
            "time_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
