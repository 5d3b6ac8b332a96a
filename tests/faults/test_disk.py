"""Full disks and read-only outputs: a clear error and exit 4, never exit 0 with output cut short,
and nothing half-written that looks complete.

The small file systems are tmpfs mounts the test makes (root only; skipped with the reason
elsewhere). Standard output to a full disk is ``/dev/full``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup.io.write import TEMP_SUFFIX

pytestmark = pytest.mark.slow  # subprocesses and real kills: CI runs them, see tests/conftest.py

SEEDS = Path(__file__).parent.parent.parent / "fixtures" / "seeds"


def dedup(*argv: str, stdout: int | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "dedup", *argv, "--no-progress"], stdout=stdout,
                          stderr=subprocess.PIPE, timeout=120, check=False)


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    path.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({made.stderr.decode().strip() or 'mount failed'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SEEDS, tmp_path / "in"))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_standard_output_to_a_full_disk_fails_loudly(seeds: Path) -> None:
    with open("/dev/full", "wb") as full:
        result = dedup("clean", str(seeds), "-o", "-", stdout=full.fileno())
    assert result.returncode == 4
    assert b"could not write standard output: No space left on device" in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
@pytest.mark.parametrize("target", ["tree", "jsonl"])
def test_a_full_disk_is_an_output_error_and_leaves_complete_files_only(seeds: Path, tmp_path: Path, target) -> None:
    with tmpfs(tmp_path / "small", "size=16k") as small:
        out = small / ("out" if target == "tree" else "out.jsonl")
        result = dedup("clean", str(seeds), "-o", str(out))
        assert result.returncode == 4, result.stderr.decode()
        assert b"No space left on device" in result.stderr
        assert b"Traceback" not in result.stderr
        assert not list(small.rglob(f"*{TEMP_SUFFIX}"))
        reference = tmp_path / "reference"
        assert dedup("clean", str(seeds), "-o", str(reference)).returncode == 0
        for path in small.rglob("*.txt"):  # the files that did fit are whole
            assert path.read_bytes() == (reference / path.relative_to(out)).read_bytes()
        if target == "jsonl":
            assert not out.exists()  # one stream: all or nothing


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_read_only_output_folder_is_a_clear_error(seeds: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "size=1m,ro") as read_only:
        result = dedup("clean", str(seeds), "-o", str(read_only / "out"))
        assert result.returncode == 4
        assert b"Read-only file system" in result.stderr
        assert b"Traceback" not in result.stderr
        result = dedup("clean", str(seeds / "000_e62473a3f13614cc.txt"), "-o", str(read_only / "x.txt"))
        assert result.returncode == 4
        assert list(read_only.iterdir()) == []


def test_a_report_that_cannot_be_written_is_an_output_error(seeds: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder\n")
    result = dedup("clean", str(seeds), "-o", str(tmp_path / "out"), "--report", str(blocker / "report.jsonl"))
    assert result.returncode == 4
    assert b"could not write" in result.stderr
    assert blocker.read_text() == "a file, not a folder\n"
    out = tmp_path / "out"  # the report is opened before any document is cleaned: the run stops at once
    assert not list(out.glob("*.txt"))
