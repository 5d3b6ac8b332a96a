"""The canonical cleaner: cases, idempotence, the ftfy shortcut, and no silent loss of characters."""

from __future__ import annotations

import ftfy
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.config import CleanConfig
from dedup.text.normalize import (
    FTFY_SEGMENT,
    INVISIBLE,
    SPACE_RUN,
    _ftfy_config,
    _needs_repair,
    _repair_long,
    normalize,
    normalize_paragraph,
)

CASES = [
    ("Firstly , the visit", "Firstly, the visit"),
    ("Really ? Yes !", "Really? Yes!"),
    ("a list : one ; two .", "a list: one; two."),
    ("the “renew” ,", "the “renew”,"),
    ("keep .NET and .5 and :)", "keep .NET and .5 and :)"),
    ("from\u00a0both  countries\t ", "from both countries"),
    ("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
    ("e\u0301te\u0301", "été"),
    ("The top legislatorsâ€™ talks", "The top legislators’ talks"),
    ("Tom &amp; Jerry", "Tom & Jerry"),
    ("ﬁnancial", "financial"),
    ("Việt Nam – Russia", "Việt Nam – Russia"),
    ("", ""),
    (" \t\u3000 ", ""),
]


@pytest.mark.parametrize(("raw", "clean"), CASES)
def test_paragraph_cases(raw: str, clean: str) -> None:
    assert normalize_paragraph(raw)[0] == clean


def test_edits_are_recorded() -> None:
    _, edits = normalize_paragraph("The top legislatorsâ€™ talks , e\u0301")
    steps = [e.step for e in edits]
    assert steps == ["punctuation_spacing", "repair"]  # ftfy normalises to NFC itself
    assert "utf" in edits[1].detail


def test_curly_quotes_kept_unless_asked() -> None:
    assert normalize_paragraph("“quoted”")[0] == "“quoted”"
    assert normalize_paragraph("“quoted”", CleanConfig(uncurl_quotes=True))[0] == '"quoted"'


def test_repair_can_be_turned_off() -> None:
    assert normalize_paragraph("legislatorsâ€™", CleanConfig(repair=False))[0] == "legislatorsâ€™"


def test_document_layout() -> None:
    text = "\ufeffTitle\r\nLede .\r\n\r\n\r\n  Body   one.  \n\n\n\nBody two.\n\n\n"
    assert normalize(text) == "Title\n\nLede.\n\nBody one.\n\nBody two.\n"


TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list(" \t\n\r\u00a0\u2028,.;:!?&“”’â€™Ã©\u0301\u200b\u00ad")),
    ),
    max_size=200,
)


@settings(max_examples=examples(300), deadline=None)
@given(TEXT)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=examples(300), deadline=None)
@given(TEXT)
def test_output_is_canonical(text: str) -> None:
    out = normalize(text)
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    for paragraph in out.removesuffix("\n").split("\n\n"):
        assert paragraph == paragraph.strip()
        assert "  " not in paragraph
        assert "\n" not in paragraph


ASCII_NO_AMP = st.text(alphabet=st.sampled_from([chr(c) for c in range(0x20, 0x7F) if chr(c) != "&"] + ["\t"]))


@settings(max_examples=examples(500), deadline=None)
@given(ASCII_NO_AMP)
def test_ftfy_shortcut_changes_nothing(text: str) -> None:
    """Text the shortcut skips is text ftfy would leave exactly as it is."""
    assert not _needs_repair(text, CleanConfig())
    assert ftfy.fix_text(text, _ftfy_config(CleanConfig())) == text


def test_long_text_is_skipped_only_if_plain_ascii() -> None:
    """ftfy fixes text over FTFY_SEGMENT characters in segments, which the gate does not reason about."""
    long_text = "café " * (FTFY_SEGMENT // 5 + 1)
    assert not _needs_repair(long_text[:FTFY_SEGMENT], CleanConfig())
    assert _needs_repair(long_text, CleanConfig())
    assert not _needs_repair("plain " * (FTFY_SEGMENT // 6 + 1), CleanConfig())


def test_shortcut_does_not_skip_what_ftfy_fixes() -> None:
    for text in ["Tom &amp; Jerry", "caf\u00c3\u00a9", "bell\x07", "ﬁ"]:
        assert _needs_repair(text, CleanConfig())
        assert ftfy.fix_text(text, _ftfy_config(CleanConfig())) != text


def visible(text: str) -> str:
    return SPACE_RUN.sub("", text)


@settings(max_examples=examples(500), deadline=None)
@given(TEXT.filter(lambda t: "\n" not in t))
def test_no_visible_character_lost_unless_reported(text: str) -> None:
    """The cleaner drops only white space, except in the steps its record names."""
    import unicodedata

    out, edits = normalize_paragraph(text)
    steps = {e.step for e in edits}
    assume("repair" not in steps)  # ftfy's record says what it changed (checked in test_edits_are_recorded)
    expected = text
    if "nfc" in steps:
        expected = unicodedata.normalize("NFC", expected)
    if "invisible" in steps:
        expected = INVISIBLE.sub("", expected)
    assert visible(out) == visible(expected)


MOJIBAKE_PARTS = ["cafÃ©", " ", "\n", "<b>", "&amp;", "Ã¢â‚¬â„¢", "plain", "NÃºmero", "é", "&lt;", "x",
                  "â€œquotedâ€\x9d"]  # fmt: skip


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.sampled_from(MOJIBAKE_PARTS), max_size=30).map("".join), st.integers(1, 40))
def test_long_text_repair_is_ftfys(text: str, segment: int) -> None:
    """_repair_long fixes segment by segment as ftfy.fix_text does (short segments stand in for 1M characters)."""
    config = _ftfy_config(CleanConfig())._replace(max_decode_length=segment)
    assert _repair_long(text, config) == ftfy.fix_text(text, config)


def test_the_listed_other_spaces_are_regex_s_over_every_code_point() -> None:
    """TIDY_WORK lists OTHER_SPACE's characters for stdlib re: the list must be exactly regex's class."""
    import re

    import regex

    from dedup.text.normalize import OTHER_SPACE, OTHER_SPACES

    every = "".join(map(chr, range(0x110000)))
    assert regex.findall(OTHER_SPACE, every) == re.findall(f"[{OTHER_SPACES}]", every)
