"""The ftfy gate is exact: where it says ftfy cannot change a text, ftfy leaves the text as it is.

Two proofs from ftfy's own code (every character its character fixers change is in ``TOUCHED``;
every match of its ``badness`` patterns holds a match of ``MOJIBAKE_HINT`` or ``MOJIBAKE_PAIR``), then
the whole gate against ftfy on random text and on real paragraphs in many scripts.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import ftfy
import pytest
from ftfy import fixes
from ftfy.badness import BADNESS_RE, is_bad
from hypothesis import example, given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.config import CleanConfig
from dedup.text._gate import CURLY_QUOTE, ENTITY, MOJIBAKE_HINT, MOJIBAKE_PAIR, TOUCHED, may_be_mojibake, needs_repair
from dedup.text.normalize import _ftfy_config, _tidy
from dedup.text.segment import segment

ROOT = Path(__file__).resolve().parents[2]
EVAL = Path("/work/shared/eval")

EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))
UNTOUCHED = TOUCHED.sub("", EVERY_CHARACTER)


def test_ftfy_has_the_fixers_the_gate_knows() -> None:
    """A new ftfy option (a new fixer) means the gate must be derived again."""
    assert set(ftfy.TextFixerConfig._fields) == {
        "unescape_html", "remove_terminal_escapes", "fix_encoding", "restore_byte_a0", "replace_lossy_sequences",
        "decode_inconsistent_utf8", "fix_c1_controls", "fix_latin_ligatures", "fix_character_width",
        "uncurl_quotes", "fix_line_breaks", "fix_surrogates", "remove_control_chars", "normalization",
        "max_decode_length", "explain",
    }  # fmt: skip


@pytest.mark.parametrize(
    "fixer",
    [
        fixes.remove_terminal_escapes,
        fixes.fix_c1_controls,
        fixes.fix_surrogates,
        fixes.fix_latin_ligatures,
        fixes.fix_character_width,
        fixes.remove_control_chars,
    ],
)
def test_touched_holds_every_character_a_character_fixer_changes(fixer: object) -> None:
    """These fixers replace single characters (or ESC sequences), so one call on every other character proves it."""
    assert callable(fixer)
    assert fixer(UNTOUCHED) == UNTOUCHED
    assert "\x1b" not in UNTOUCHED


def test_curly_quote_holds_every_quote_uncurl_changes() -> None:
    rest = CURLY_QUOTE.sub("", UNTOUCHED)
    assert fixes.uncurl_quotes(rest) == rest
    assert fixes.uncurl_quotes(EVERY_CHARACTER) != EVERY_CHARACTER


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(st.sampled_from([*"&#;xX09aZ é", "amp", "#x41", "nbsp", "eacute", "#8217"])).map("".join))
@example("&amp;")
@example("&#x2019;")
def test_entity_holds_everything_unescape_html_decodes(text: str) -> None:
    if ENTITY.search(text) is None:
        assert fixes.unescape_html(text) == text


def _item_chars(op: object, av: object) -> set[str] | None:
    """The characters one regex item matches, or None where they are not a finite set (``\\s``, ``.``)."""
    if op is sre.LITERAL:
        assert isinstance(av, int)
        return {chr(av)}
    if op is not sre.IN:
        return None
    chars: set[str] = set()
    for sub_op, sub_av in av:  # type: ignore[attr-defined]
        if sub_op is sre.LITERAL:
            chars.add(chr(sub_av))
        elif sub_op is sre.RANGE:
            chars.update(map(chr, range(sub_av[0], sub_av[1] + 1)))
        else:  # NEGATE, CATEGORY
            return None
    return chars


def _hinted(text: str) -> bool:
    return MOJIBAKE_HINT.search(text) is not None or MOJIBAKE_PAIR.search(text) is not None


def _branch_is_hinted(branch: list[tuple[object, object]]) -> bool:
    """Whether every match of ``branch`` holds a hint: one of its characters, or two it needs side by side."""
    previous: set[str] | None = None
    for op, av in branch:
        if op not in (sre.LITERAL, sre.IN, sre.ANY, sre.NOT_LITERAL):
            previous = None  # an optional item or an anchor: what is on either side need not be adjacent
            continue
        chars = _item_chars(op, av)
        if chars is not None and all(map(_hinted, chars)):
            return True
        if chars is not None and previous is not None and all(_hinted(a + b) for a in previous for b in chars):
            return True
        previous = chars
    return False


def test_every_badness_pattern_needs_a_hint() -> None:
    """So text with no hint is text that ``badness.is_bad`` finds clean: the pre-check is exact."""
    assert not BADNESS_RE.flags & re.IGNORECASE
    parsed = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert len(parsed.data) == 1
    op, (_, branches) = parsed.data[0]
    assert op is sre.BRANCH
    assert len(branches) > 30
    unhinted = [i for i, branch in enumerate(branches) if not _branch_is_hinted(list(branch))]
    assert unhinted == []


def _mojibake(text: str) -> str:
    return text.encode("utf-8").decode("windows-1252", errors="replace")


RANGES = [(0x20, 0x7E), (0x80, 0xFF), (0x100, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
          (0x1EA0, 0x1EF9), (0x2000, 0x206F), (0x2100, 0x22FF), (0x2500, 0x259F), (0x3000, 0x30FF),
          (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xD800, 0xDFFF), (0xFB00, 0xFB06), (0xFF00, 0xFFFF),
          (0x1F300, 0x1F64F), (0x0, 0x1F)]  # fmt: skip
PIECES = st.one_of(
    st.sampled_from(RANGES).flatmap(lambda r: st.integers(*r)).map(chr),
    st.characters(codec="utf-8"),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=3).map(_mojibake),
    st.sampled_from(["&amp;", "&#8217;", " ", "\n", "“", "”", "’", "e\u0301", "ﬁ", "Ã©", "â€™", "Â ", "В“Р"]),
)
TEXT = st.one_of(st.lists(PIECES, max_size=6), st.lists(PIECES, max_size=40)).map("".join)


def assert_left_alone(text: str, uncurl_quotes: bool) -> bool:
    """Check ftfy leaves ``text`` alone wherever the gate says it would; return whether it said so."""
    if needs_repair(text, uncurl_quotes):
        return False
    config = _ftfy_config(CleanConfig(uncurl_quotes=uncurl_quotes))
    assert ftfy.fix_and_explain(text, config) == (text, [])
    if "\n" not in text:
        assert ftfy.fix_text(text, config) == text
    return True


@settings(max_examples=examples(2000), deadline=None)
@given(TEXT, st.booleans())
@example("Việt Nam, Россия, Ελλάδα, 東京, “quoted” – naïve", False)
@example("un café « à la » carte", False)
def test_gate_skips_only_what_ftfy_leaves_alone(text: str, uncurl_quotes: bool) -> None:
    assert_left_alone(text, uncurl_quotes)


@settings(max_examples=examples(1000), deadline=None)
@given(TEXT)
def test_mojibake_pre_check_is_badness(text: str) -> None:
    assert may_be_mojibake(text) == is_bad(text)


@pytest.mark.parametrize(
    "text", ["Tom &amp; Jerry", "caf\u00c3\u00a9", "bell\x07", "ﬁne", "ＬＯＵＤ", "e\u0301", "a\u0080b", "\ud800"]
)
def test_gate_lets_through_what_ftfy_fixes(text: str) -> None:
    assert needs_repair(text, False)
    assert ftfy.fix_text(text, _ftfy_config(CleanConfig())) != text


def check_pages(paths: list[Path]) -> tuple[int, int]:
    """Check the gate on every paragraph of these pages, raw and as the cleaner repairs it; return the
    number checked and the number skipped."""
    checked = skipped = 0
    for path in paths:
        page = path.read_text(encoding="utf-8", errors="surrogateescape")
        raw = page.split("\n")
        tidied = [_tidy(block.text, []) for block in segment(page, "auto")]
        for text in raw + tidied:
            checked += 1
            skipped += assert_left_alone(text, False)
            assert_left_alone(text, True)
    return checked, skipped


def test_gate_on_seeds_and_cases() -> None:
    paths = sorted((ROOT / "fixtures" / "seeds").glob("*.txt")) + sorted((ROOT / "tests" / "cases").rglob("*.*"))
    checked, skipped = check_pages(paths)
    assert checked > 100
    assert skipped > checked // 2


@pytest.mark.slow
@pytest.mark.skipif(not EVAL.is_dir(), reason=f"{EVAL} is not here (it does not ship)")
def test_gate_on_evaluation_pages(capsys: pytest.CaptureFixture[str]) -> None:
    checked, skipped = check_pages(sorted(EVAL.glob("*/*.input.txt")))
    with capsys.disabled():
        print(f"\n{checked} paragraphs checked, {skipped} skipped by the gate")
    assert checked > 0
