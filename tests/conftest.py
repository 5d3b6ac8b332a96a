"""Shared test helpers: the fixtures folder, an in-process CLI runner, and the ``slow`` switch.

Tests marked ``slow`` (subprocess kills, full disks, huge inputs) run under CI (``CI`` set, as
``.ci/run`` is run) or with ``--slow``; a plain local ``pytest`` skips them and says so, and runs the
property tests with a quarter of their examples (``budget.py``).
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import budget
from dedup.cli import main


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="run the tests marked slow too (CI always does)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--slow"):
        budget.FULL = True  # the property tests try as hard as under CI


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


FIXTURES = Path(__file__).parent.parent / "fixtures"
SEEDS = FIXTURES / "seeds"
EXPECTED = FIXTURES / "expected"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``dedup`` in-process with optional standard input; return exit code, stdout and stderr."""

    def run(*argv: str, stdin: bytes = b"", strip: bool = False) -> Run:
        """Run with the stripper off unless asked: these tests are about input and output, not chrome."""
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        extra = ["--no-progress"] if strip or argv[0] != "clean" else ["--no-progress", "--no-strip"]
        code = main([*argv, *extra])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the seed articles."""
    return Path(shutil.copytree(SEEDS, tmp_path / "seeds"))
