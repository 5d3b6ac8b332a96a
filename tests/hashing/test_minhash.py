"""MinHash signatures: datasketch bit-exactness, agreement with the reference, statistics of the estimator."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.config import MinHashConfig
from dedup.hashing.minhash import (
    EMPTY,
    estimate_jaccard,
    lean_minhashes,
    permutations,
    signatures,
    signatures_from_hashes,
    signatures_from_tokens,
)
from dedup.hashing.shingle import shingle_hashes
from dedup.hashing.tokens import tokenize
from reference_hashing import TEXTS, ref_hash_set, ref_shingle_bytes, ref_signature


@pytest.mark.parametrize(("num_perm", "seed"), [(1, 0), (128, 1), (256, 42), (7, 2**32 - 1)])
def test_permutations_are_datasketch_affine32(num_perm: int, seed: int) -> None:
    a, b = permutations(num_perm, seed)
    expected = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert np.array_equal(a, expected[0])
    assert np.array_equal(b, expected[1])


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=4), st.integers(1, 4), st.sampled_from([(16, 1), (128, 7), (3, 0)]))
def test_sha1_mode_is_bit_exact_with_datasketch(texts: list[str], ngram: int, perm_seed: tuple[int, int]) -> None:
    num_perm, seed = perm_seed
    ours = signatures(texts, num_perm=num_perm, ngram=ngram, seed=seed, hashfunc="sha1")
    for row, text in zip(ours, texts, strict=True):
        m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
        m.update_batch(ref_shingle_bytes(text, ngram))
        assert np.array_equal(row, m.hashvalues)


def test_sha1_mode_bit_exact_on_prose() -> None:
    texts = [
        "The quick brown fox jumps over the lazy dog. " * 3,
        "Người Việt Nam có tiếng nói riêng; “tiếng Việt” là ngôn ngữ chính thức.",
        "Съешь же ещё этих мягких французских булок, да выпей чаю.",
        "東京タワーは東京都港区芝公園にある総合電波塔です。",
        "Ça, c’est l’été à Zürich: Straße, Œuvre, façade.",
    ]
    ours = signatures(texts, num_perm=128, seed=1, hashfunc="sha1")
    theirs = MinHash.bulk([ref_shingle_bytes(t) for t in texts], num_perm=128, seed=1)
    assert np.array_equal(ours, np.stack([m.hashvalues for m in theirs]))


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(TEXTS, max_size=5),
    st.integers(1, 3),
    st.sampled_from(["fast", "sha1"]),
    st.sampled_from(["chars", "runs"]),
)
def test_signatures_match_reference_and_csr(texts: list[str], ngram: int, hashfunc: str, unsegmented: str) -> None:
    cfg = MinHashConfig(num_perm=32, ngram=ngram, seed=5, hashfunc=hashfunc, unsegmented=unsegmented)  # type: ignore[arg-type]
    sig = signatures(texts, **dataclasses.asdict(cfg))
    offsets, hashes = shingle_hashes(texts, ngram=ngram, hashfunc=cfg.hashfunc, unsegmented=cfg.unsegmented)
    assert np.array_equal(sig, signatures_from_hashes(offsets, hashes, num_perm=32, seed=5))
    a, b = permutations(32, 5)
    for row, text in zip(sig, texts, strict=True):
        assert np.array_equal(row, ref_signature(ref_hash_set(text, ngram, hashfunc, unsegmented), a, b))


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(TEXTS, max_size=5), st.integers(1, 3), st.sampled_from(["fast", "sha1"]))
def test_pretokenised_equals_texts(texts: list[str], ngram: int, hashfunc: str) -> None:
    from_texts = signatures(texts, num_perm=16, ngram=ngram, hashfunc=hashfunc)  # type: ignore[arg-type]
    from_tokens = signatures_from_tokens([tokenize(t) for t in texts], num_perm=16, ngram=ngram, hashfunc=hashfunc)  # type: ignore[arg-type]
    assert np.array_equal(from_texts, from_tokens)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.lists(st.text(max_size=6), max_size=8), max_size=4), st.integers(1, 3))
def test_pretokenised_sha1_is_datasketch(docs: list[list[str]], ngram: int) -> None:
    ours = signatures_from_tokens(docs, num_perm=8, ngram=ngram, seed=3, hashfunc="sha1")
    for row, tokens in zip(ours, docs, strict=True):
        shingles = (
            [tokens] if 0 < len(tokens) < ngram else [tokens[i : i + ngram] for i in range(len(tokens) - ngram + 1)]
        )
        m = MinHash(num_perm=8, seed=3)
        m.update_batch([" ".join(s).encode("utf-8", "surrogatepass") for s in shingles])
        assert np.array_equal(row, m.hashvalues)


def test_shape_dtype_and_empty_rows() -> None:
    sig = signatures(["", "   ", "...", "word"], num_perm=16)
    assert sig.shape == (4, 16)
    assert sig.dtype == np.uint32
    assert (sig[:3] == EMPTY).all()
    assert not (sig[3] == EMPTY).all()
    assert signatures([], num_perm=8).shape == (0, 8)


def test_order_and_repeats_do_not_matter() -> None:
    one = signatures(["a b c d e f", "b c d e f a"], ngram=1)
    assert np.array_equal(one[0], one[1])
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 50, dtype=np.uint64)
    twice = np.concatenate([hashes, hashes[::-1]])
    left = signatures_from_hashes(np.array([0, 50]), hashes)
    right = signatures_from_hashes(np.array([0, 100]), twice)
    assert np.array_equal(left, right)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_perm": 0}, ValueError, "num_perm must be between 1 and 65536, not 0"),
        ({"ngram": 101}, ValueError, "ngram must be between 1 and 100, not 101"),
        ({"seed": -1}, ValueError, "seed must be between 0 and 4294967295, not -1"),
        ({"seed": 1.5}, TypeError, "seed must be an int, not 1.5"),
        ({"hashfunc": "md5"}, ValueError, "hashfunc must be one of 'fast', 'sha1', not 'md5'"),
    ],
)
def test_bad_parameters(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        signatures(["a"], **kwargs)  # type: ignore[arg-type]


def test_bad_tokens() -> None:
    with pytest.raises(TypeError, match=r"docs\[1\]\[2\] must be str, not bytes"):
        signatures_from_tokens([["a"], ["b", "c", b"d"]])
    with pytest.raises(TypeError, match="single str"):
        signatures_from_tokens("abc")  # type: ignore[arg-type]


def test_bad_csr() -> None:
    with pytest.raises(ValueError, match="offsets must run from 0"):
        signatures_from_hashes(np.array([0, 3]), np.zeros(2, dtype=np.uint64))
    with pytest.raises(ValueError, match="non-decreasing"):
        signatures_from_hashes(np.array([0, 2, 1, 2]), np.zeros(2, dtype=np.uint64))


def test_lean_minhashes_in_datasketch_lsh() -> None:
    texts = [
        "the cat sat on the mat and looked at the dog for a while",
        "the cat sat on the mat and looked at the dog for a long while",
        "completely different words about stock markets and interest rates",
    ]
    sig = signatures(texts, num_perm=128, seed=1, hashfunc="sha1")
    leans = lean_minhashes(sig, seed=1)
    assert all(isinstance(m, LeanMinHash) for m in leans)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for i, m in enumerate(leans):
        lsh.insert(f"t{i}", m)
    # a MinHash datasketch computed itself finds our rows: same scheme, same values
    query = MinHash(num_perm=128, seed=1)
    query.update_batch(ref_shingle_bytes(texts[0]))
    assert sorted(lsh.query(query)) == ["t0", "t1"]
    restored = pickle.loads(pickle.dumps(leans[1]))
    assert np.array_equal(restored.hashvalues, sig[1])
    buf = bytearray(leans[1].bytesize())
    leans[1].serialize(buf)
    assert np.array_equal(LeanMinHash.deserialize(buf).hashvalues, sig[1])


def test_lean_minhashes_rejects_wrong_dtype() -> None:
    with pytest.raises(ValueError, match="2-d uint32"):
        lean_minhashes(np.zeros((2, 4), dtype=np.int64))


def random_pair(rng: np.random.Generator, union: int, jaccard: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Two sets of random 64-bit hashes whose union has ``union`` items; returns their exact Jaccard."""
    common = round(jaccard * union)
    items = rng.integers(0, 2**64 - 1, size=union, dtype=np.uint64, endpoint=True)
    assert np.unique(items).size == union
    only_left = (union - common) // 2
    left = items[: common + only_left]
    right = np.concatenate([items[:common], items[common + only_left :]])
    return left, right, common / union


def estimates(pairs: list[tuple[np.ndarray, np.ndarray, float]], num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    sets = [s for left, right, _ in pairs for s in (left, right)]
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([s.size for s in sets], out=offsets[1:])
    sig = signatures_from_hashes(offsets, np.concatenate(sets), num_perm=num_perm, seed=3)
    return estimate_jaccard(sig[0::2], sig[1::2]), np.array([j for _, _, j in pairs])


NUM_PERM = 256


def test_estimates_within_error_across_range() -> None:
    """Each estimate within 4.5 standard errors (plus one step of 1/num_perm) of the true Jaccard.

    The estimate is a binomial proportion: its standard error is sqrt(J (1 - J) / num_perm). With a fixed
    seed the test is deterministic; 4.5 sigma over 210 pairs would fail by chance with p < 0.002.
    """
    rng = np.random.default_rng(11)
    pairs = [random_pair(rng, int(rng.integers(200, 2000)), j) for j in np.linspace(0, 1, 21) for _ in range(10)]
    est, true = estimates(pairs, NUM_PERM)
    sigma = np.sqrt(true * (1 - true) / NUM_PERM)
    assert (np.abs(est - true) <= 4.5 * sigma + 1 / NUM_PERM).all()
    assert est[true == 0].max() <= 2 / NUM_PERM
    assert (est[true == 1] == 1).all()


@pytest.mark.parametrize(("sizes", "npairs"), [((1, 8), 3000), ((20_000, 60_000), 40)], ids=["tiny", "large"])
def test_no_bias(sizes: tuple[int, int], npairs: int) -> None:
    """Mean error over many pairs within 3 standard errors of zero, for tiny sets and large ones.

    Tiny sets (1 to 8 items) expose a permutation family that is far from min-wise independent; large
    ones (20k to 60k items) expose collisions from folding hashes to 32 bits (the bias of datasketch's
    legacy scheme, its issue 212).
    """
    rng = np.random.default_rng(5)
    pairs = [random_pair(rng, int(rng.integers(*sizes)), float(rng.uniform(0.05, 0.95))) for _ in range(npairs)]
    est, true = estimates(pairs, NUM_PERM)
    stderr = np.sqrt(np.mean(true * (1 - true)) / NUM_PERM / npairs)
    assert abs(np.mean(est - true)) <= 3 * stderr
