"""Paragraph segmentation: one paragraph per line, blank-line blocks, and hard-wrapped text."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.text.segment import segment

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def texts(text: str, unwrap: str = "auto") -> list[str]:
    return [b.text for b in segment(text, unwrap)]  # type: ignore[arg-type]


def test_one_paragraph_per_line() -> None:
    assert texts("Title\nLede line.\nBody line.") == ["Title", "Lede line.", "Body line."]


def test_blocks_with_alt_text_and_caption_are_two_paragraphs() -> None:
    block = "Bầu không khí mới trong quan hệ Việt Nam-Nga\nGeneral Secretary To Lam held a brief meeting. (Source: VNA)"
    assert len(texts(block)) == 2


def test_repeated_caption_lines_are_not_joined() -> None:
    line = "Chairman of the State Duma Vyacheslav Volodin (Photo: TASS)"
    assert texts(f"{line}\n{line}") == [line, line]


WRAPPED = """It is a truth universally acknowledged, that a single man in
possession of a good fortune, must be in want of a wife. However
little known the feelings or views of such a man may be on his
first entering a neighbourhood, this truth is so well fixed.

Second paragraph, also wrapped at the same width as the first one
was, and ending here."""


def test_hard_wrapped_text_is_joined() -> None:
    out = texts(WRAPPED)
    assert len(out) == 2
    assert out[0].startswith("It is a truth")
    assert out[0].endswith("so well fixed.")
    assert "\n" not in out[0]


def test_unwrap_never_and_always() -> None:
    assert len(texts(WRAPPED, "never")) == 6
    assert texts("a\nb\n\nc", "always") == ["a b", "c"]


def test_line_numbers_point_into_the_input() -> None:
    blocks = segment("\n\nfirst\r\n\r\nsecond\u2028third")
    assert [(b.line, b.text) for b in blocks] == [(3, "first"), (5, "second"), (6, "third")]


@pytest.mark.parametrize("seed", sorted((FIXTURES / "seeds").glob("*.txt")), ids=lambda p: p.name[:3])
def test_seeds_are_never_unwrapped(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    assert len(segment(text)) == len(segment(text, "never"))


def test_a_block_of_separator_controls_is_never_an_empty_paragraph() -> None:
    # str.strip removes U+001C..U+001F; joining such a block used to give a paragraph with no text
    text = "\x1f" * 10 + "\n\x1e"
    for unwrap in ("auto", "never", "always"):
        assert all(b.text for b in segment(text, unwrap))  # type: ignore[arg-type]
    assert [b.text for b in segment("a\n\x1f\nb", "always")] == ["a b"]
