"""The seed articles against their hand-written expected outputs (see fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Document, clean_documents
from dedup.text import normalize

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEEDS = FIXTURES / "seeds"
EXPECTED = FIXTURES / "expected"

def seed_paths() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture(scope="module")
def cleaned() -> dict[str, str]:
    docs = [Document(p.name, p.read_text(encoding="utf-8")) for p in seed_paths()]
    return {d.id: d.text for d in clean_documents(docs)}


def test_every_seed_has_an_expected_output() -> None:
    assert [p.name for p in seed_paths()] == sorted(p.name for p in EXPECTED.glob("*.txt"))
    assert len(seed_paths()) == 5


@pytest.mark.parametrize("name", [p.name for p in EXPECTED.glob("*.txt")])
def test_expected_outputs_are_canonical(name: str) -> None:
    text = (EXPECTED / name).read_text(encoding="utf-8")
    assert normalize(text) == text


@pytest.mark.parametrize("seed", seed_paths(), ids=lambda p: p.name[:3])
def test_seed_matches_expected(seed: Path, cleaned: dict[str, str]) -> None:
    assert cleaned[seed.name] == (EXPECTED / seed.name).read_text(encoding="utf-8")


def test_seed_001_repeats_appear_once(cleaned: dict[str, str]) -> None:
    text = cleaned["001_3479f0fcaf4a1fc6.txt"]
    caption = "Chairman of the State Duma of the Russian Federation’s Federal Assembly Vyacheslav Volodin"
    assert text.count(caption) == 1
    assert text.count("Overcoming challenges through the years") == 1
    assert "\u00a0" not in text


def test_seed_002_punctuation_spacing(cleaned: dict[str, str]) -> None:
    text = cleaned["002_69fd38b8e611b786.txt"]
    assert "Firstly, the visit" in text
    assert " ," not in text
