"""Plain-Python reference of the hashing core, written apart from the kernels, for tests to compare.

Tokens come from a regular expression over per-character classes (:func:`dedup.hashing.tokens.char_class`,
which reads :mod:`unicodedata`), not from the shipped table or the kernels' state machine. Under a
Python whose Unicode version differs from the shipped table's, classes and case folding come from the
table instead (characters new in that version would differ), so the kernels are still checked there.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
from hypothesis import strategies as st

from dedup.hashing.tokens import (
    CLASS_IGNORABLE,
    CLASS_MARK,
    CLASS_SEPARATOR,
    CLASS_UNSEGMENTED,
    CLASS_WORD,
    char_class,
    unicode_table,
)

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
CLASS_LETTER = {CLASS_SEPARATOR: "s", CLASS_WORD: "w", CLASS_MARK: "m", CLASS_UNSEGMENTED: "u"}
TOKEN = {"chars": re.compile(r"um*|[wm]+"), "runs": re.compile(r"[wmu]+")}

SPECIAL = [
    *"aZq09 ,.;'’\"“”-\n\t",
    "é", "\u0301", "ß", "İ", "ΐ", "Σ", "ς", "ﬁ", "ё", "Ё", "ǅ", "\u0345", "Ⅻ", "²",
    "東", "京", "タ", "ー", "ก", "\u0e31", "한", "\u3099",
    "\u00ad", "\u200b", "\u200d", "\ufeff", "😀", "𝐀", "\U00020000",
]  # fmt: skip
TEXTS = st.text(st.sampled_from(SPECIAL) | st.characters(blacklist_categories=("Cs",)), max_size=40)
"""Texts mixing scripts, marks, foldings with several characters, format characters and astral planes."""


SAME_UNICODE = unicodedata.unidata_version == unicode_table().unicode_version


def ref_class(ch: str) -> int:
    return char_class(ch) if SAME_UNICODE else unicode_table().entry(ord(ch)) & 7


def ref_fold(token: str) -> str:
    if SAME_UNICODE:
        return token.casefold()
    return "".join(chr(c) for ch in token for c in unicode_table().fold(ord(ch)))


def ref_tokens(text: str, unsegmented: str = "chars") -> list[str]:
    """Case-folded tokens of ``text``."""
    kept = [ch for ch in text if ref_class(ch) != CLASS_IGNORABLE]
    classes = "".join(CLASS_LETTER[ref_class(ch)] for ch in kept)
    return [ref_fold("".join(kept[m.start() : m.end()])) for m in TOKEN[unsegmented].finditer(classes)]


def ref_shingles(tokens: list[str], ngram: int) -> list[list[str]]:
    """Word n-grams; fewer than ``ngram`` tokens make one shingle, none make none."""
    if not tokens:
        return []
    if len(tokens) < ngram:
        return [tokens]
    return [tokens[i : i + ngram] for i in range(len(tokens) - ngram + 1)]


def fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    return h ^ (h >> 33)


def fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    return h ^ (h >> 16)


def token_hash(token: str) -> int:
    h = 0xCBF29CE484222325
    for byte in token.encode("utf-8", "surrogatepass"):
        h = ((h ^ byte) * 0x100000001B3) & M64
    return fmix64(h)


def fast_hash(shingle: list[str]) -> int:
    s = 0x9E3779B97F4A7C15
    for token in shingle:
        s = ((s ^ token_hash(token)) * 0xBF58476D1CE4E5B9) & M64
    return fmix64(s)


def sha1_hash(shingle: list[str]) -> int:
    return int.from_bytes(hashlib.sha1(" ".join(shingle).encode("utf-8")).digest()[:8], "little")


def ref_shingle_bytes(text: str, ngram: int = 3, unsegmented: str = "chars") -> list[bytes]:
    """The shingles of ``text`` as the byte strings a datasketch user would feed ``MinHash.update``."""
    return [" ".join(s).encode("utf-8") for s in ref_shingles(ref_tokens(text, unsegmented), ngram)]


def ref_hash_set(text: str, ngram: int = 3, hashfunc: str = "fast", unsegmented: str = "chars") -> list[int]:
    """Sorted distinct shingle hashes of ``text``."""
    hasher = fast_hash if hashfunc == "fast" else sha1_hash
    return sorted({hasher(s) for s in ref_shingles(ref_tokens(text, unsegmented), ngram)})


def ref_signature(hashes: list[int], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash row of a set of 64-bit shingle hashes, with numpy's wrapping uint32 arithmetic."""
    row = np.full(a.size, M32, dtype=np.uint32)
    for h in hashes:
        x = np.uint32(fmix32(h & M32))
        row = np.minimum(row, a * x + b)
    return row
