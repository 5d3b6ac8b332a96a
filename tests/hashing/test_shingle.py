"""Shingle hashes: kernels against the plain-Python reference, CSR layout, batching, exact similarity."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.hashing import _kernels, batching
from dedup.hashing.shingle import pair_similarity, shingle_hashes
from reference_hashing import TEXTS, ref_hash_set, ref_shingle_bytes


def as_sets(offsets: np.ndarray, hashes: np.ndarray) -> list[list[int]]:
    return [hashes[offsets[i] : offsets[i + 1]].tolist() for i in range(offsets.size - 1)]


@settings(max_examples=examples(150), deadline=None)
@given(
    st.lists(TEXTS, max_size=6),
    st.integers(1, 4),
    st.sampled_from(["fast", "sha1"]),
    st.sampled_from(["chars", "runs"]),
)
def test_matches_reference(texts: list[str], ngram: int, hashfunc: str, unsegmented: str) -> None:
    offsets, hashes = shingle_hashes(texts, ngram=ngram, hashfunc=hashfunc, unsegmented=unsegmented)  # type: ignore[arg-type]
    assert offsets.dtype == np.int64
    assert hashes.dtype == np.uint64
    assert as_sets(offsets, hashes) == [ref_hash_set(t, ngram, hashfunc, unsegmented) for t in texts]


def test_short_text_is_one_shingle() -> None:
    offsets, hashes = shingle_hashes(["alpha beta", "alpha beta gamma"], ngram=3)
    assert offsets.tolist() == [0, 1, 2]
    assert hashes[0] != hashes[1]
    assert ref_shingle_bytes("Alpha, BETA!") == [b"alpha beta"]


def test_repeats_removed_and_sorted() -> None:
    offsets, hashes = shingle_hashes(["a b a b a b a b"], ngram=2)
    assert offsets.tolist() == [0, 2]
    assert hashes[0] < hashes[1]


def test_batches_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [*(f"Ünïcode “text” number {i}, with – dashes" for i in range(50)), "", "x"]
    whole = shingle_hashes(texts)
    monkeypatch.setattr(batching, "BATCH_CHARS", 64)
    split = shingle_hashes(texts)
    assert all(np.array_equal(w, s) for w, s in zip(whole, split, strict=True))


def test_bad_text_in_a_later_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "BATCH_CHARS", 8)
    texts: list[object] = ["some words here"] * 20 + [b"bytes"]
    with pytest.raises(TypeError, match=r"texts\[20\] must be str, not bytes"):
        shingle_hashes(texts)  # type: ignore[arg-type]


def test_lone_surrogate_separates() -> None:
    _, hashes = shingle_hashes(["ab\ud800cd", "ab cd"], ngram=2)
    assert hashes[0] == hashes[1]


def test_empty_input() -> None:
    offsets, hashes = shingle_hashes([])
    assert offsets.tolist() == [0]
    assert hashes.size == 0


@pytest.mark.parametrize(
    ("texts", "error", "match"),
    [
        ("just a string", TypeError, "single str"),
        (["ok", 3], TypeError, r"texts\[1\] must be str, not int"),
        (["ok", b"bytes"], TypeError, r"texts\[1\] must be str, not bytes"),
    ],
)
def test_bad_texts(texts: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        shingle_hashes(texts)  # type: ignore[arg-type]


def test_bad_ngram() -> None:
    with pytest.raises(ValueError, match="ngram must be between 1 and 100, not 0"):
        shingle_hashes(["a"], ngram=0)


@settings(max_examples=examples(50), deadline=None)
@given(st.lists(st.text("abcde ", max_size=30), min_size=2, max_size=8), st.data())
def test_pair_similarity_matches_sets(texts: list[str], data: st.DataObject) -> None:
    offsets, hashes = shingle_hashes(texts, ngram=2)
    sets = [set(s) for s in as_sets(offsets, hashes)]
    n = len(texts)
    left = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5))
    right = data.draw(st.lists(st.integers(0, n - 1), min_size=len(left), max_size=len(left)))
    jaccard, containment = pair_similarity(offsets, hashes, left, right)
    for p, (i, j) in enumerate(zip(left, right, strict=True)):
        union, common = sets[i] | sets[j], sets[i] & sets[j]
        assert jaccard[p] == pytest.approx(len(common) / len(union) if union else 0.0)
        assert containment[p] == pytest.approx(len(common) / len(sets[i]) if sets[i] else 0.0)


def test_pair_similarity_errors() -> None:
    offsets, hashes = shingle_hashes(["a", "b"])
    with pytest.raises(ValueError, match="same length"):
        pair_similarity(offsets, hashes, [0, 1], [0])
    with pytest.raises(ValueError, match="right holds 2, not a text number"):
        pair_similarity(offsets, hashes, [0], [2])


@pytest.mark.parametrize("length", [0, 1, 55, 56, 63, 64, 65, 119, 120, 200])
def test_sha1_matches_hashlib(length: int) -> None:
    data = np.random.default_rng(length).integers(0, 256, length + 3, dtype=np.uint8)
    got = _kernels.sha1_64(data, 3, 3 + length, np.empty(80, dtype=np.uint64))
    assert int(got) == int.from_bytes(hashlib.sha1(data[3:].tobytes()).digest()[:8], "little")


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(TEXTS, max_size=10))
def test_byte_offsets(texts: list[str]) -> None:
    data = np.frombuffer("".join(texts).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    chars = np.concatenate([[0], np.cumsum([len(t) for t in texts], dtype=np.int64)])
    expected = np.concatenate([[0], np.cumsum([len(t.encode("utf-8", "surrogatepass")) for t in texts])])
    assert np.array_equal(_kernels.byte_offsets(data, chars), expected)


def test_long_tokens_match_reference() -> None:
    texts = ["x" * 70 + "Y" * 90 + " short " + "é" * 40, "a" * 64 + "b" + " z"]
    offsets, hashes = shingle_hashes(texts, ngram=1)
    assert as_sets(offsets, hashes) == [ref_hash_set(t, 1) for t in texts]


@pytest.mark.parametrize("words", [40, 300, 511, 513, 2000])
def test_large_sets_sorted_like_reference(words: int) -> None:
    rng = np.random.default_rng(words)
    text = " ".join(f"w{int(x)}" for x in rng.integers(0, words // 2 + 1, words))
    offsets, hashes = shingle_hashes([text, text[: len(text) // 3]])
    assert as_sets(offsets, hashes) == [ref_hash_set(text), ref_hash_set(text[: len(text) // 3])]
