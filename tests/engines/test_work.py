"""The work folder: where it goes, what it may never touch, its lock, and what a failed run leaves in it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dedup.engines import shard, stream
from dedup.engines.stream import clean_stream
from dedup.engines.work import WorkFolder
from dedup.errors import LockedError, OutputWriteError

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SEEDS, tmp_path / "in"))


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("in/work", "is inside the input folder"),
        (".", "holds the input"),
        ("out", "is the output folder"),
    ],
)
def test_a_work_folder_that_would_touch_input_or_output_is_refused(run_cli, src, tmp_path, where, message) -> None:
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = run_cli("clean", str(src), "-o", str(tmp_path / "out"), "--work", str(tmp_path / where))
    assert result.code == 2
    assert message in result.err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written


def test_a_work_folder_around_an_output_file_is_refused(run_cli, src, tmp_path) -> None:
    result = run_cli("clean", str(src), "-o", str(tmp_path / "w" / "out.jsonl"), "--work", str(tmp_path / "w"))
    assert result.code == 2
    assert "would overlap" in result.err


def test_a_failed_run_keeps_its_work_beside_an_output_file_and_a_rerun_resumes(run_cli, src, tmp_path, monkeypatch):
    out = tmp_path / "clean.jsonl"
    reference = tmp_path / "reference.jsonl"
    assert run_cli("clean", str(src), "-o", str(reference)).code == 0
    real = shard.run_shard

    def full_disk(task, *args, **kwargs):
        raise OutputWriteError(28, f"could not write shard {task.number}: No space left on device")

    monkeypatch.setattr(stream, "run_shard", full_disk)
    failed = run_cli("clean", str(src), "-o", str(out))
    assert failed.code == 4
    assert "No space left on device" in failed.err
    work = tmp_path / ".clean.jsonl.dedup-work"
    assert (work / "run.json").exists()
    assert not out.exists()
    monkeypatch.setattr(stream, "run_shard", real)
    assert run_cli("clean", str(src), "-o", str(out)).code == 0
    assert out.read_bytes() == reference.read_bytes()
    assert not work.exists()


def test_a_second_run_on_one_work_folder_is_refused(tmp_path) -> None:
    with WorkFolder.open(tmp_path / "work", "settings"), pytest.raises(LockedError, match="in use by another"):
        list(clean_stream([("a", "One paragraph.")], work=tmp_path / "work"))


def test_a_work_folder_of_other_settings_is_cleared_not_reused(tmp_path, monkeypatch) -> None:
    work = tmp_path / "work"
    with WorkFolder.open(work, "old settings") as folder:
        folder.shard(0).mkdir(parents=True)
        (folder.shard(0) / "meta.json").write_text('{"fingerprint": "x"}')
    with WorkFolder.open(work, "new settings") as folder:
        assert not folder.shard(0).exists()
