"""Runs killed at random points: a rerun gives identical output, no temp file and no process is left.

Each test starts the real command in a subprocess (its own session, so signals reach only it and
its workers), kills it after a seeded random delay, checks what it left, then reruns it. The
corpus is the seed articles repeated, so a run lasts a few seconds and a kill lands mid-run.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dedup.evaluation.records import write_records
from dedup.io.write import MARKER, TEMP_SUFFIX
from dedup.plan import WORK_NAME

pytestmark = pytest.mark.slow  # subprocesses and real kills: CI runs them, see tests/conftest.py

SEEDS = Path(__file__).parent.parent.parent / "fixtures" / "seeds"
COPIES = 30
"""Copies of the five seeds: about two seconds of work on two workers."""


def corpus(root: Path) -> Path:
    src = root / "in"
    for i in range(COPIES):
        folder = src / f"site{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        for seed in sorted(SEEDS.glob("*.txt")):
            shutil.copy(seed, folder / f"{i:02}-{seed.name}")
    return src


def command(src: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "dedup", "clean", str(src), "-o", str(out), "--jobs", str(jobs),
            "--no-progress", "-q"]


def children(pid: int) -> list[int]:
    """The live (not zombie) processes whose parent is ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def tree_of(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` but the work folder's (kept after an interruption, so that a rerun resumes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and WORK_NAME not in p.relative_to(root).parts}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("signals")
    src = corpus(root)
    out = root / "reference"
    subprocess.run(command(src, out, 1), check=True, timeout=120)
    return src, tree_of(out)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find worker processes")
@pytest.mark.parametrize(  # several TERMs: one in four used to land where the pool's manager thread crashed
    ("sig", "seed"),
    [(signal.SIGINT, 1), (signal.SIGINT, 7), (signal.SIGTERM, 2), (signal.SIGTERM, 5), (signal.SIGTERM, 6),
     (signal.SIGTERM, 8), (signal.SIGKILL, 3), (signal.SIGKILL, 4)],
    ids=["INT-1", "INT-7", "TERM-2", "TERM-5", "TERM-6", "TERM-8", "KILL-3", "KILL-4"],
)
def test_killed_run_leaves_no_workers_and_a_rerun_finishes(reference, tmp_path: Path, sig: int, seed: int) -> None:
    src, expected = reference
    out = tmp_path / "out"
    delay = random.Random(seed).uniform(0.0, 1.2)  # during reading or writing, well before the run ends
    proc = subprocess.Popen(command(src, out, 2), start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60  # the imports are done once the output folder exists (slow on a loaded machine)
    while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(delay)
    workers = children(proc.pid)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    expected_code = {signal.SIGINT: (130, 0), signal.SIGTERM: (143, 0), signal.SIGKILL: (-signal.SIGKILL,)}[sig]
    assert proc.returncode in expected_code, err.decode()  # 0: it had finished before the signal
    assert b"Traceback" not in err
    deadline = time.monotonic() + 5
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if alive(w)], f"workers {workers} outlived a {signal.Signals(sig).name}"
    if out.exists():
        left = tree_of(out)
        for name, data in left.items():  # whatever was written is complete
            if not name.endswith(TEMP_SUFFIX) and name != "report.jsonl":
                assert data == expected[name], name
    rerun = subprocess.run(command(src, out, 2), capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert tree_of(out) == expected  # identical, and no temp file left


def test_a_second_run_on_the_same_folder_is_refused_and_a_dead_run_frees_it(reference, tmp_path: Path) -> None:
    src, expected = reference
    out = tmp_path / "out"
    first = subprocess.Popen(command(src, out, 1), start_new_session=True)
    deadline = time.monotonic() + 30
    while not (out / MARKER).exists() and time.monotonic() < deadline:  # the marker is written once the lock is held
        time.sleep(0.05)
    first.send_signal(signal.SIGSTOP)  # frozen holding the lock: the second run cannot start after it ended
    second = subprocess.run(command(src, out, 1), capture_output=True, timeout=120)
    assert second.returncode == 2
    assert b"in use by another dedup run" in second.stderr
    first.kill()  # dies holding the lock: the kernel releases it
    first.wait(timeout=30)
    third = subprocess.run(command(src, out, 1), capture_output=True, timeout=120)
    assert third.returncode == 0, third.stderr.decode()
    assert tree_of(out) == expected


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_after_the_run_keeps_the_exit_code(tmp_path: Path, sig: int) -> None:
    """The run is over, its outputs complete: a signal now must not kill the program (exit -15) nor print a
    traceback. It is sent right after the run returns, before the process ends (where, before, Python's
    shutdown had reset the handlers and other threads, BLAS and numba, were alive to receive it)."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], src / "a.txt")
    out = tmp_path / "out"
    script = (
        "import os, sys\n"
        "import dedup.cli as cli\n"
        "run = cli._main\n"
        f"def then_signal(*args, **kwargs):\n    code = run(*args, **kwargs)\n    os.kill(os.getpid(), {int(sig)})\n"
        "    return code\n"
        "cli._main = then_signal\n"
        f"sys.argv = ['dedup', 'clean', {str(src)!r}, '-o', {str(out)!r}, '--no-progress', '-q']\n"
        "cli.program()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr.decode())
    assert b"Traceback" not in done.stderr
    assert (out / "a.txt").exists()


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, bytes]:
    """About 20 MB of generated JSONL records (three shards) and the output of an uninterrupted run."""
    root = tmp_path_factory.mktemp("records")
    src = root / "in.jsonl"
    write_records(src, 36_000, seed=3)
    out, report = root / "out.jsonl", root / "report.jsonl"
    subprocess.run(jsonl_command(src, out, report), check=True, timeout=600)
    return src, out.read_bytes(), report.read_bytes()


def jsonl_command(src: Path, out: Path, report: Path) -> list[str]:
    return [sys.executable, "-m", "dedup", "clean", str(src), "-o", str(out), "--report", str(report), "--jobs", "2",
            "--no-strip", "--no-progress", "-q"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_jsonl_run_resumes_and_writes_what_an_uninterrupted_one_writes(records, tmp_path, seed) -> None:
    """SIGKILL at a random point of a run over JSONL records, then the same command: the output and report are
    those of an uninterrupted run, and the work folder beside the output is gone."""
    src, expected, expected_report = records
    out, report = tmp_path / "out.jsonl", tmp_path / "report.jsonl"
    work = tmp_path / ".out.jsonl.dedup-work"
    proc = subprocess.Popen(jsonl_command(src, out, report), start_new_session=True)
    deadline = time.monotonic() + 60
    while not (work / "shards").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(random.Random(seed).uniform(0.0, 8.0))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not out.exists() or out.read_bytes() == expected  # the output appears whole, or not at all
    rerun = subprocess.run(jsonl_command(src, out, report), capture_output=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert out.read_bytes() == expected
    assert report.read_bytes() == expected_report
    assert not work.exists()
