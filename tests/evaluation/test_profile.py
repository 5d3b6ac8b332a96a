"""The staged profile runs the pipeline's steps: the same texts and reports as clean_documents."""

from __future__ import annotations

import json
from pathlib import Path

from dedup import clean_documents
from dedup.evaluation.pages import make_pages, write_pages
from dedup.evaluation.profile import STAGES, main, profile_folder, read_folder


def test_staged_run_equals_clean_documents(tmp_path: Path) -> None:
    write_pages(tmp_path / "in", make_pages(60_000, seed=3))
    profile, staged = profile_folder(tmp_path / "in", tmp_path / "out")
    expected = clean_documents(read_folder(tmp_path / "in"))
    assert [d.id for d in staged] == [d.id for d in expected]
    assert [d.text for d in staged] == [d.text for d in expected]
    assert [d.report() for d in staged] == [d.report() for d in expected]
    assert any(d.report()["removed"] for d in staged)
    assert set(profile.cpu) == set(STAGES)
    assert (tmp_path / "out" / staged[0].id).read_text() == staged[0].text
    reports = (tmp_path / "out" / "report.jsonl").read_text().splitlines()
    assert [json.loads(r) for r in reports] == [d.report() for d in staged]


def test_command_prints_every_stage(tmp_path: Path, capsys) -> None:
    write_pages(tmp_path, make_pages(5_000, seed=0))
    assert main([str(tmp_path), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert all(f"| {stage} |" in out for stage in (*STAGES, "total"))
