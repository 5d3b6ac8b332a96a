"""MinHash signatures of texts: raw text in, a ``(len(texts), num_perm)`` uint32 matrix out.

The scheme. Each shingle (see :mod:`dedup.hashing.shingle`) has a 64-bit hash ``h``. Its 32-bit input is
``x = fmix32(h mod 2**32)`` (MurmurHash3's finaliser, a bijection that spreads structured inputs), and
permutation ``k`` maps it to ``(a_k * x + b_k) mod 2**32``. Signature entry ``k`` is the minimum over the
text's shingles. The arithmetic is done in uint32, where wraparound *is* the ``mod 2**32``, so the result
is exact by construction. (The textbook ``(a * x + b) mod p`` with ``p = 2**61 - 1`` computed in uint64
is not: ``a * x`` reaches 2**93 and silently wraps, which is datasketch's issues 99 and 239.) Every
``a_k`` is odd, so each permutation is a bijection of the 32-bit values and adds no collisions.
``a_k`` and ``b_k`` are drawn as datasketch 2.x's ``affine32`` scheme draws them, from
``numpy.random.RandomState(seed)``.

With ``hashfunc="sha1"``, ``h mod 2**32`` is ``datasketch.hashfunc.sha1_hash32`` of the shingle's bytes,
so a row equals the ``hashvalues`` of ``datasketch.MinHash(num_perm=..., seed=...)`` (scheme
``"affine32"``, the default since datasketch 2.0) updated with those bytes; :func:`lean_minhashes`
wraps rows for datasketch's LSH indexes (including their Redis storage). ``"fast"`` rows are equally
valid signatures, but only comparable with other ``"fast"`` rows.

A text without tokens has no shingles: its row is all :data:`EMPTY` (``0xFFFFFFFF``), as datasketch's
empty MinHash.

>>> sig = signatures(["The cat sat on the mat.", "the cat sat on the hat", ""], num_perm=64)
>>> sig.shape, sig.dtype
((3, 64), dtype('uint32'))
>>> bool((sig[2] == EMPTY).all())
True
>>> 0.2 < float(estimate_jaccard(sig[0], sig[1])) < 0.8
True
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup._check import check_texts, items_of, type_error
from dedup.config import HashFunc, MinHashConfig, Unsegmented
from dedup.errors import ArgumentTypeError, ArgumentValueError
from dedup.hashing import _kernels
from dedup.hashing._kernels import EMPTY, Permutations, TokenTexts
from dedup.hashing.batching import byte_starts, char_lengths, each_batch, each_chunk, encode
from dedup.hashing.shingle import ShingleSets, token_rules

__all__ = [
    "EMPTY",
    "Permutations",
    "estimate_jaccard",
    "lean_minhashes",
    "permutations",
    "signatures",
    "signatures_from_hashes",
    "signatures_from_tokens",
]


def permutations(num_perm: int = 128, seed: int = 1) -> Permutations:
    """The permutation parameters ``(a, b)``, each of shape ``(num_perm,)``; every ``a`` is odd.

    They equal ``datasketch.MinHash(num_perm, seed, scheme="affine32").permutations``.

    >>> a, b = permutations(4, seed=1)
    >>> a.dtype, bool((a % 2 == 1).all())
    (dtype('uint32'), True)
    """
    MinHashConfig(num_perm=num_perm, seed=seed)
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return Permutations(a, b)


def signatures(
    texts: Sequence[str],
    *,
    num_perm: int = 128,
    ngram: int = 3,
    seed: int = 1,
    hashfunc: HashFunc = "fast",
    unsegmented: Unsegmented = "chars",
) -> NDArray[np.uint32]:
    """MinHash signatures of word n-gram shingles, one row per text.

    Equal to ``signatures_from_hashes(*shingle_hashes(texts, ...), ...)``, but computed in one pass
    without building the shingle sets. Batches of texts run on all cores (threads).

    Args:
        texts: the texts.
        num_perm, ngram, seed, hashfunc, unsegmented: as in :class:`dedup.config.MinHashConfig`
            (``signatures(texts, **dataclasses.asdict(config))`` applies one).

    Returns:
        uint32 array of shape ``(len(texts), num_perm)``; a text without tokens gets a row of :data:`EMPTY`.

    Raises:
        ArgumentTypeError: ``texts`` is a string, or holds something that is not a str.
        ArgumentValueError: a parameter out of range (the message names it and shows the value).

    >>> from datasketch import MinHash
    >>> m = MinHash(num_perm=4, seed=7)
    >>> m.update(b"hello world")
    >>> signatures(["Hello, World!"], num_perm=4, seed=7, hashfunc="sha1")[0].tolist() == m.hashvalues.tolist()
    True
    """
    cfg = MinHashConfig(num_perm=num_perm, ngram=ngram, seed=seed, hashfunc=hashfunc, unsegmented=unsegmented)
    texts = check_texts("signatures", texts)
    lengths = char_lengths(texts)
    perms = permutations(cfg.num_perm, cfg.seed)
    rules = token_rules(cfg.unsegmented)
    sha1 = cfg.hashfunc == "sha1"
    out = np.full((len(texts), cfg.num_perm), EMPTY, dtype=np.uint32)

    def work(lo: int, hi: int, data: NDArray[np.uint8], starts: NDArray[np.int64]) -> None:
        _kernels.signatures_from_bytes(_kernels.Texts(data, starts), rules, cfg.ngram, sha1, perms, out[lo:hi])

    each_batch(texts, lengths, work)
    return out


def signatures_from_tokens(
    docs: Sequence[Sequence[str]],
    *,
    num_perm: int = 128,
    ngram: int = 3,
    seed: int = 1,
    hashfunc: HashFunc = "fast",
) -> NDArray[np.uint32]:
    """MinHash signatures of pre-tokenised texts, one row per list of tokens.

    Tokens are used verbatim (not split or case-folded again), so with tokens from
    :func:`dedup.hashing.tokens.tokenize` the rows equal :func:`signatures` of the texts. With ``hashfunc="sha1"``
    a shingle's bytes are its tokens joined by one space, as a datasketch user would build them; with
    ``ngram=1`` each item is a shingle, so any shingle strings give datasketch's MinHash of their UTF-8.

    Raises:
        ArgumentTypeError: ``docs`` or one of its items is a string, or a token is not a str.
        ArgumentValueError: a parameter out of range.

    >>> from dedup.hashing.tokens import tokenize
    >>> text = "The cat sat on the mat."
    >>> bool((signatures_from_tokens([tokenize(text)]) == signatures([text])).all())
    True
    """
    cfg = MinHashConfig(num_perm=num_perm, ngram=ngram, seed=seed, hashfunc=hashfunc)
    docs = _token_lists(docs)
    counts = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    doc_tokens = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(counts, out=doc_tokens[1:])
    tokens = list(chain.from_iterable(docs))
    try:
        data, char_offsets = encode(tokens, char_lengths(tokens))
    except TypeError:
        bad = next(k for k, t in enumerate(tokens) if not isinstance(t, str))
        doc = int(np.searchsorted(doc_tokens, bad, side="right")) - 1
        kind = type(tokens[bad]).__name__
        where = f"docs[{doc}][{bad - doc_tokens[doc]}]"
        raise ArgumentTypeError(f"signatures_from_tokens: {where} must be str, not {kind}") from None
    perms = permutations(cfg.num_perm, cfg.seed)
    out = np.full((len(docs), cfg.num_perm), EMPTY, dtype=np.uint32)
    tok_bytes = byte_starts(data, char_offsets)
    sha1 = cfg.hashfunc == "sha1"

    def work(lo: int, hi: int) -> None:
        batch = TokenTexts(data, tok_bytes, doc_tokens[lo : hi + 1])
        _kernels.signatures_from_token_bytes(batch, cfg.ngram, sha1, perms, out[lo:hi])

    each_chunk(len(docs), 1 << 12, work)
    return out


def _token_lists(docs: Sequence[Sequence[str]]) -> Sequence[Sequence[str]]:
    """``docs`` as a list or tuple, after checking that each item is a sequence (of tokens), not a string."""
    docs = items_of("signatures_from_tokens", "docs", docs, "a sequence of token lists")
    for i, doc in enumerate(docs):
        if not isinstance(doc, list | tuple) and (isinstance(doc, str | bytes) or not isinstance(doc, Sequence)):
            raise type_error("signatures_from_tokens", f"docs[{i}]", "a sequence of str (tokens)", doc)
    return docs


def signatures_from_hashes(
    offsets: NDArray[np.int64], hashes: NDArray[np.uint64], *, num_perm: int = 128, seed: int = 1
) -> NDArray[np.uint32]:
    """MinHash signatures of CSR shingle sets (as from :func:`dedup.hashing.shingle.shingle_hashes`).

    Set ``i`` is ``hashes[offsets[i]:offsets[i + 1]]`` (any order, repeats allowed).

    >>> signatures_from_hashes(np.array([0, 2, 2]), np.array([7, 9], dtype=np.uint64), num_perm=3)[1]
    array([4294967295, 4294967295, 4294967295], dtype=uint32)
    """
    perms = permutations(num_perm, seed)
    return ShingleSets.checked("signatures_from_hashes", offsets, hashes).signatures(perms)


def estimate_jaccard(left: NDArray[np.uint32], right: NDArray[np.uint32]) -> NDArray[np.float64]:
    """Estimated Jaccard similarity of signature rows: the fraction of equal entries (last axis).

    Raises:
        ArgumentTypeError: ``left`` or ``right`` is not an array of integers.
        ArgumentValueError: their rows are empty or differ in length, or their shapes do not broadcast.

    >>> estimate_jaccard(np.array([1, 2, 3, 4], dtype=np.uint32), np.array([1, 2, 0, 0], dtype=np.uint32))
    array(0.5)
    """
    left = _signature_rows("left", left)
    right = _signature_rows("right", right)
    if left.shape[-1] == 0:
        raise ArgumentValueError("estimate_jaccard: signatures must have at least one entry, not 0")
    if left.shape[-1] != right.shape[-1]:
        raise ArgumentValueError(
            f"estimate_jaccard: signatures differ in length: {left.shape[-1]} and {right.shape[-1]}"
        )
    try:
        np.broadcast_shapes(left.shape, right.shape)
    except ValueError:
        raise ArgumentValueError(
            f"estimate_jaccard: shapes {left.shape} and {right.shape} do not broadcast together"
        ) from None
    return np.asarray(np.mean(left == right, axis=-1), dtype=np.float64)


def _signature_rows(name: str, value: object) -> NDArray[np.uint32]:
    """An argument of :func:`estimate_jaccard` as an array of at least one axis, after checking it holds integers."""
    rows = np.asarray(value) if isinstance(value, np.ndarray | list | tuple) else None
    if rows is None or rows.dtype.kind not in "iu" or rows.ndim == 0:
        what = f"an array of {rows.dtype}, {rows.ndim}-d" if rows is not None else type(value).__name__
        raise ArgumentTypeError(f"estimate_jaccard: {name} must be signature rows (an array of integers), not {what}")
    return rows


def lean_minhashes(sigs: NDArray[np.uint32], *, seed: int = 1) -> list[Any]:
    """Wrap signature rows as ``datasketch.LeanMinHash`` objects (scheme ``"affine32"``).

    Use them with ``datasketch.MinHashLSH`` (any storage, Redis included). Rows made with
    ``hashfunc="sha1"`` match datasketch's own MinHashes of the same shingles; ``"fast"`` rows only
    match each other. ``seed`` must be the seed the rows were made with.

    Raises:
        ArgumentTypeError: ``sigs`` is not a numpy array, or ``seed`` not an int.
        ArgumentValueError: ``sigs`` is not 2-d uint32 with at least one column, or ``seed`` out of range.

    >>> m = lean_minhashes(signatures(["a b c d"], num_perm=8))[0]
    >>> type(m).__name__, m.scheme, len(m)
    ('LeanMinHash', 'affine32', 8)
    """
    from datasketch import LeanMinHash

    MinHashConfig(seed=seed)
    if not isinstance(sigs, np.ndarray):
        raise ArgumentTypeError(f"lean_minhashes: sigs must be a 2-d uint32 array, not {type(sigs).__name__}")
    if sigs.ndim != 2 or sigs.dtype != np.uint32:
        raise ArgumentValueError(f"lean_minhashes: sigs must be a 2-d uint32 array, not {sigs.ndim}-d {sigs.dtype}")
    if sigs.shape[1] == 0:
        raise ArgumentValueError("lean_minhashes: sigs must have at least one column (a MinHash is not empty)")
    return [LeanMinHash(seed=seed, hashvalues=row, scheme="affine32") for row in sigs]
