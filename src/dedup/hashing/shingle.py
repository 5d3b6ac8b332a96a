"""Word n-gram shingles of texts, as sorted sets of 64-bit hashes in CSR layout.

A text's shingles are the n-grams of its word tokens (:mod:`dedup.hashing.tokens`); a text with fewer than
``ngram`` tokens but at least one is a single shingle of all its tokens, and a text without tokens has
none. Each shingle is hashed to 64 bits:

* ``hashfunc="fast"``: each token is hashed with FNV-1a-64 over the UTF-8 of its case-folded form, then
  MurmurHash3's ``fmix64``; the n-gram combines them in order, ``s = (s ^ t_i) * 0xBF58476D1CE4E5B9`` from
  ``s = 0x9E3779B97F4A7C15``, and is finished with ``fmix64``.
* ``hashfunc="sha1"``: the first 8 bytes of SHA-1 of the shingle's bytes (the folded tokens joined by
  one space, UTF-8), little-endian, whose low 32 bits are ``datasketch.hashfunc.sha1_hash32``.

The texts are encoded to UTF-8 in batches of about a million characters, and numba kernels tokenise
and hash the bytes, one batch per core at a time (:mod:`dedup.hashing.batching`); Python never loops per
token or shingle.

>>> sets = shingle_hashes(["a b c d", "A B, C!", "", "hello"])
>>> sets.offsets.tolist(), sets.sizes().tolist()
([0, 2, 3, 3, 4], [2, 1, 0, 1])
>>> bool(sets.hashes[2] in sets.hashes[0:2])
True
>>> pair_similarity(*sets, [0], [1])
(array([0.5]), array([0.5]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dedup._check import check_texts, int_array
from dedup.config import HashFunc, MinHashConfig, Unsegmented
from dedup.errors import ArgumentValueError
from dedup.hashing import _kernels
from dedup.hashing._kernels import CLASS_WORD, EMPTY, Permutations, TokenRules
from dedup.hashing.batching import char_lengths, each_batch, each_chunk
from dedup.hashing.tokens import unicode_table

__all__ = ["ShingleSets", "pair_similarity", "shingle_hashes", "token_rules"]


class ShingleSets(NamedTuple):
    """Shingle sets in CSR layout: set ``i`` is ``hashes[offsets[i]:offsets[i + 1]]``.

    A named tuple, so the kernels take it as one argument and ``offsets, hashes = sets`` still works.
    Sets from :func:`shingle_hashes` are sorted without repeats, which :meth:`similarity` needs.

    >>> sets = ShingleSets(np.array([0, 2, 3]), np.array([5, 7, 7], dtype=np.uint64))
    >>> sets.sizes().tolist(), sets.subset(1, 2).hashes.tolist(), len(sets.signatures(Permutations(
    ...     np.array([1], dtype=np.uint32), np.array([0], dtype=np.uint32))))
    ([2, 1], [7], 2)
    """

    offsets: NDArray[np.int64]
    hashes: NDArray[np.uint64]

    @classmethod
    def checked(cls, func: str, offsets: ArrayLike, hashes: ArrayLike) -> ShingleSets:
        """``offsets`` and ``hashes`` as the kernels take them, after checking they are CSR sets.

        The kernels do not check bounds, so offsets that point outside ``hashes`` must not reach them.

        >>> ShingleSets.checked("pair_similarity", np.array([0, 3]), np.array([1, 2], dtype=np.uint64))
        Traceback (most recent call last):
        ...
        dedup.errors.ArgumentValueError: pair_similarity: offsets must run from 0 to len(hashes) = 2, not [0 3]
        """
        offsets = int_array(func, "offsets", offsets, np.int64)
        hashes = int_array(func, "hashes", hashes, np.uint64).ravel()
        if offsets.ndim != 1 or offsets.size == 0 or offsets[0] != 0 or offsets[-1] != hashes.size:
            raise ArgumentValueError(
                f"{func}: offsets must run from 0 to len(hashes) = {hashes.size}, not {offsets}"
            )
        if (np.diff(offsets) < 0).any():
            raise ArgumentValueError(f"{func}: offsets must be non-decreasing")
        return cls(offsets, hashes)

    def sizes(self) -> NDArray[np.int64]:
        """Each set's number of hashes."""
        return np.diff(self.offsets)

    def subset(self, lo: int, hi: int) -> ShingleSets:
        """Sets ``lo .. hi - 1`` as sets of their own (numbered from 0)."""
        start, end = self.offsets[lo], self.offsets[hi]
        return ShingleSets(self.offsets[lo : hi + 1] - start, self.hashes[start:end])

    def similarity(
        self, left: NDArray[np.int64], right: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Exact ``(jaccard, containment)`` of set pairs ``(left[p], right[p])``, unchecked (see
        :func:`pair_similarity`); the sets must be sorted without repeats."""
        common = np.empty(left.size, dtype=np.float64)

        def work(lo: int, hi: int) -> None:
            common[lo:hi] = _kernels.intersections(self, left[lo:hi], right[lo:hi])

        each_chunk(left.size, 1 << 16, work)
        sizes = self.sizes().astype(np.float64)
        union = sizes[left] + sizes[right] - common
        jaccard = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
        containment = np.divide(common, sizes[left], out=np.zeros_like(common), where=sizes[left] > 0)
        return jaccard, containment

    def take(self, ids: NDArray[np.int64]) -> ShingleSets:
        """Sets ``ids`` (in that order) as sets of their own, copied (the source may be memory-mapped).

        >>> ShingleSets(np.array([0, 2, 3, 5]), np.arange(5, dtype=np.uint64)).take(np.array([2, 0])).hashes.tolist()
        [3, 4, 0, 1]
        """
        ids = np.asarray(ids, dtype=np.int64)
        offsets = np.zeros(ids.size + 1, dtype=np.int64)
        np.cumsum(self.offsets[ids + 1] - self.offsets[ids], out=offsets[1:])
        out = np.empty(int(offsets[-1]), dtype=np.uint64)
        _kernels.take_sets(self, ids, offsets, out)
        return ShingleSets(offsets, out)

    def put(self, ids: NDArray[np.int64], rows: NDArray[np.int64], out: ShingleSets) -> None:
        """Copy sets ``ids`` to rows ``rows`` of ``out``, whose offsets already give each row its size (the source
        may be memory-mapped: only the copied ranges are read).

        >>> out = ShingleSets(np.array([0, 1, 3]), np.zeros(3, dtype=np.uint64))
        >>> ShingleSets(np.array([0, 2, 3]), np.arange(3, dtype=np.uint64)).put(np.array([1, 0]), np.array([0, 1]), out)
        >>> out.hashes.tolist()
        [2, 0, 1]
        """
        _kernels.place_sets(self, np.asarray(ids, dtype=np.int64), np.asarray(rows, dtype=np.int64), out.offsets,
                            out.hashes)  # fmt: skip

    def signatures(self, perms: Permutations) -> NDArray[np.uint32]:
        """MinHash signatures of the sets (any order, repeats allowed), one row per set; batches run on all
        cores. See :func:`dedup.hashing.minhash.signatures_from_hashes`."""
        out = np.full((self.offsets.size - 1, perms.a.size), EMPTY, dtype=np.uint32)

        def work(lo: int, hi: int) -> None:
            _kernels.signatures_from_csr(self, lo, perms, out[lo:hi])

        each_chunk(self.offsets.size - 1, 1 << 13, work)
        return out


def token_rules(unsegmented: Unsegmented) -> TokenRules:
    """The token table as the tokenising kernels read it, for ``unsegmented`` mode.

    The ASCII fold table gives the folded byte of an ASCII word character and -1 for a separator.

    >>> rules = token_rules("runs")
    >>> rules.runs, int(rules.ascii_fold[ord("A")]), int(rules.ascii_fold[ord(",")])
    (True, 97, -1)
    """
    table = unicode_table()
    ascii_cps = np.arange(128, dtype=np.int32)
    entries = table.blocks[(int(table.index[0]) << 7) | ascii_cps]
    ascii_fold = np.where((entries & 7) == CLASS_WORD, ascii_cps + (entries >> 8), -1).astype(np.int32)
    return TokenRules(table.index, table.blocks, table.expansions, ascii_fold, unsegmented == "runs")


def shingle_hashes(
    texts: Sequence[str],
    *,
    ngram: int = 3,
    hashfunc: HashFunc = "fast",
    unsegmented: Unsegmented = "chars",
) -> ShingleSets:
    """Sorted, distinct shingle hashes of each text, in CSR layout.

    Args:
        texts: the texts.
        ngram, hashfunc, unsegmented: as in :class:`dedup.config.MinHashConfig`.

    Returns:
        ``(offsets, hashes)``: the shingle set of ``texts[i]`` is ``hashes[offsets[i]:offsets[i + 1]]``,
        sorted ascending without repeats; ``offsets`` has ``len(texts) + 1`` entries.

    Raises:
        ArgumentTypeError: ``texts`` is a string, or holds something that is not a str.
        ArgumentValueError: a bad ``ngram``, ``hashfunc`` or ``unsegmented``.

    >>> offsets, hashes = shingle_hashes(["One two", "one, TWO!"])
    >>> offsets.tolist(), bool(hashes[0] == hashes[1])
    ([0, 1, 2], True)
    """
    cfg = MinHashConfig(ngram=ngram, hashfunc=hashfunc, unsegmented=unsegmented)
    texts = check_texts("shingle_hashes", texts)
    rules = token_rules(cfg.unsegmented)
    sizes = np.zeros(len(texts), dtype=np.int64)
    parts: list[tuple[int, NDArray[np.uint64]]] = []

    def work(lo: int, hi: int, data: NDArray[np.uint8], starts: NDArray[np.int64]) -> None:
        out = np.empty(int((np.diff(starts) // 2 + 1).sum()), dtype=np.uint64)
        batch = _kernels.Texts(data, starts)
        total = _kernels.shingle_sets(batch, rules, cfg.ngram, cfg.hashfunc == "sha1", out, sizes[lo:hi])
        parts.append((lo, out[:total].copy()))

    each_batch(texts, char_lengths(texts), work)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    parts.sort(key=lambda part: part[0])
    hashes = np.concatenate([part for _, part in parts]) if parts else np.empty(0, dtype=np.uint64)
    return ShingleSets(offsets, hashes)


def pair_similarity(
    offsets: NDArray[np.int64], hashes: NDArray[np.uint64], left: ArrayLike, right: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact Jaccard similarity and containment of shingle-set pairs from :func:`shingle_hashes`.

    Args:
        offsets, hashes: the CSR shingle sets.
        left, right: text numbers; pair ``p`` is ``(left[p], right[p])``.

    Returns:
        ``(jaccard, containment)``: ``|L & R| / |L | R|`` and ``|L & R| / |L|`` per pair, where ``L`` is
        the left text's set; 0.0 where the denominator is empty.

    Raises:
        ArgumentTypeError: an argument does not hold integers.
        ArgumentValueError: ``offsets`` do not delimit sets of ``hashes``, or ``left`` and ``right``
            differ in length or hold a number outside the texts.

    >>> o, h = shingle_hashes(["a b c d e", "a b c d", "x"])
    >>> pair_similarity(o, h, [1, 1], [0, 2])
    (array([0.66666667, 0.        ]), array([1., 0.]))
    """
    sets = ShingleSets.checked("pair_similarity", offsets, hashes)
    lpos = int_array("pair_similarity", "left", left, np.int64).ravel()
    rpos = int_array("pair_similarity", "right", right, np.int64).ravel()
    n = sets.offsets.size - 1
    if lpos.shape != rpos.shape:
        raise ArgumentValueError(
            f"pair_similarity: left and right must have the same length, not {lpos.size} and {rpos.size}"
        )
    for side, pos in (("left", lpos), ("right", rpos)):
        bad = (pos < 0) | (pos >= n)
        if bad.any():
            number = int(pos[bad][0])
            raise ArgumentValueError(f"pair_similarity: {side} holds {number}, not a text number (0 to {n - 1})")
    return sets.similarity(lpos, rpos)
