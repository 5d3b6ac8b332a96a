"""Shared test helpers: the fixtures folder and an in-process CLI runner."""

from __future__ import annotations

import io
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dedup.cli import main

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
