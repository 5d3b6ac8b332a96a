"""Tokeniser: word classes, case folding, scripts without spaces; table against unicodedata."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings

from budget import examples
from dedup.hashing.tokens import BLOCK_SHIFT, char_class, tokenize, unicode_table
from reference_hashing import TEXTS, ref_tokens

CASES = [
    ("“Renew” now", '"renew" now', "curly and straight quotes"),
    ("don’t", "don't", "apostrophes"),
    ("STRASSE", "straße", "ß folds to ss"),
    ("ΣΊΣΥΦΟΣ", "σίσυφος", "final sigma folds like sigma"),
    ("Ёлка Москва", "ёлка москва", "Cyrillic"),
    ("Tiếng Việt", "tie\u0302\u0301ng vie\u0323\u0302t", "NFC and NFD differ (we do not normalise)"),
]


@pytest.mark.parametrize(("left", "right", "why"), CASES, ids=[c[2] for c in CASES])
def test_equivalent_spellings(left: str, right: str, why: str) -> None:
    same = tokenize(left) == tokenize(right)
    assert same is (why != "NFC and NFD differ (we do not normalise)"), why


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello, wörld! 42x", ["hello", "wörld", "42x"]),
        ("Tiếng Việt có dấu", ["tiếng", "việt", "có", "dấu"]),
        ("cafe\u0301 au lait", ["cafe\u0301", "au", "lait"]),
        ("\u0301a", ["\u0301a"]),
        ("in\u00adfor\u200dmation", ["information"]),
        ("one\u200btwo", ["one", "two"]),
        ("Привет, МИР", ["привет", "мир"]),
        ("東京タワー333m", ["東", "京", "タ", "ワ", "ー", "333m"]),
        ("か\u3099き", ["か\u3099", "き"]),
        ("สวัสดี", ["ส", "วั", "ส", "ดี"]),
        ("한국어 텍스트", ["한국어", "텍스트"]),
        ("ﬁne İstanbul", ["fine", "i̇stanbul"]),
        ("", []),
        (" ... — ", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_unsegmented_runs() -> None:
    assert tokenize("東京タワー is tall", unsegmented="runs") == ["東京タワー", "is", "tall"]


def test_bad_unsegmented() -> None:
    with pytest.raises(ValueError, match="'words'"):
        tokenize("x", unsegmented="words")  # type: ignore[arg-type]


@settings(max_examples=examples(300), deadline=None)
@given(TEXTS)
def test_tokenize_matches_reference(text: str) -> None:
    for mode in ("chars", "runs"):
        assert tokenize(text, unsegmented=mode) == ref_tokens(text, mode)  # type: ignore[arg-type]


@pytest.mark.skipif(
    unicodedata.unidata_version != unicode_table().unicode_version,
    reason="the shipped table was built from another Unicode version",
)
def test_table_matches_unicodedata() -> None:
    table = unicode_table()
    cps = np.arange(0x110000)
    entries = table.blocks[(table.index[cps >> BLOCK_SHIFT].astype(np.int64) << BLOCK_SHIFT) | (cps & 127)]
    classes = entries & 7
    # every code point, every 7th (the table is built with a loop of the same shape; sampling keeps this fast)
    for cp in range(0, 0x110000, 7):
        assert classes[cp] == char_class(chr(cp)), hex(cp)
    for cp in np.flatnonzero(classes != 0)[::3]:
        ch = chr(int(cp))
        assert "".join(map(chr, table.fold(int(cp)))) == ch.casefold(), hex(cp)
