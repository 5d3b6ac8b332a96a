"""Interrupts in the middle of a write (a document, the report), in-process and deterministic.

The signal tests (``test_signals.py``) kill real processes at random moments; these place the
interrupt exactly, half-way through the bytes of a chosen write, on top of the complete outputs
of an earlier run with other options. Each leaves every file either as it was or complete, and
no temporary file; a rerun gives the reference output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import cli
from dedup.io import write
from dedup.io.write import TEMP_SUFFIX
from dedup.plan import WORK_NAME


def tree_of(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` but the work folder's (kept after an interruption, so that a rerun resumes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and WORK_NAME not in p.relative_to(root).parts}


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, cli.Terminated], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("at", [0, 2, "report"])
def test_an_interrupt_inside_a_write_leaves_old_or_complete_files(run_cli, seeds, tmp_path, monkeypatch, interrupt,
                                                                  at) -> None:
    out = tmp_path / "out"
    assert run_cli("clean", str(seeds), "-o", str(out), "--no-dedup").code == 0
    earlier = tree_of(out)
    reference = tmp_path / "reference"
    assert run_cli("clean", str(seeds), "-o", str(reference)).code == 0
    expected = tree_of(reference)
    real = write._write_fd
    calls: list[int] = []

    def torn(fd: int, data: bytes) -> None:
        calls.append(len(data))
        is_report = data.startswith(b'{"id"')
        if (at == "report" and is_report) or (at != "report" and not is_report and len(calls) == int(at) + 1):
            real(fd, data[: len(data) // 2])
            raise interrupt
        real(fd, data)

    monkeypatch.setattr(write, "_write_fd", torn)
    result = run_cli("clean", str(seeds), "-o", str(out))
    assert result.code == (130 if interrupt is KeyboardInterrupt else 143)
    left = tree_of(out)
    assert not [name for name in left if name.endswith(TEMP_SUFFIX)]
    for name, data in left.items():
        assert data in (earlier.get(name), expected.get(name)), f"{name} is neither the old nor the new file"
    assert left != expected  # the interrupt did stop the run
    monkeypatch.setattr(write, "_write_fd", real)
    assert run_cli("clean", str(seeds), "-o", str(out)).code == 0
    assert tree_of(out) == expected
