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
and hash the bytes, one batch per core at a time; Python never loops per token or shingle.

>>> offsets, hashes = shingle_hashes(["a b c d", "A B, C!", "", "hello"])
>>> offsets.tolist()
[0, 2, 3, 3, 4]
>>> bool(hashes[2] in hashes[0:2])
True
>>> pair_similarity(offsets, hashes, [0], [1])
(array([0.5]), array([0.5]))
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from dedup._check import check_texts, int_array
from dedup.config import HashFunc, MinHashConfig, Unsegmented
from dedup.errors import ArgumentTypeError, ArgumentValueError
from dedup.hashing import _kernels, _set_kernels
from dedup.hashing.tokens import WORD, unicode_table

"""How a shingle is hashed: our 64-bit mix, or SHA-1 as datasketch does."""

BATCH_CHARS = 1 << 20
"""Characters encoded per batch: large enough to amortise a kernel call, small enough to stay in cache."""


def char_lengths(texts: Sequence[str]) -> NDArray[np.int64]:
    """Length of each text in characters; ArgumentTypeError naming the first item that is not a str."""
    try:
        return np.array(list(map(len, texts)), dtype=np.int64)
    except TypeError:
        raise not_str(texts) from None


def not_str(texts: Sequence[object], first: int = 0) -> ArgumentTypeError:
    """The error naming the first item of ``texts`` that is not a str (``texts`` starts at ``first``)."""
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is None:
        return ArgumentTypeError("texts must hold str only")
    return ArgumentTypeError(f"texts[{first + bad}] must be str, not {type(texts[bad]).__name__}")


def encode(
    texts: Sequence[str], lengths: NDArray[np.int64], first: int = 0
) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """UTF-8 bytes of the concatenated texts, and the character offsets (length n + 1) of each text.

    Lone surrogates are kept (``surrogatepass``): they separate tokens like punctuation. ``first`` is
    the number of the first text, for error messages.
    """
    try:
        raw = "".join(texts).encode("utf-8", "surrogatepass")
    except TypeError:
        raise not_str(texts, first) from None
    char_offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=char_offsets[1:])
    return np.frombuffer(raw, dtype=np.uint8), char_offsets


def byte_starts(data: NDArray[np.uint8], char_offsets: NDArray[np.int64]) -> NDArray[np.int64]:
    """Byte offsets of the texts in ``data``, from their character offsets (the same when all ASCII)."""
    if data.size == char_offsets[-1]:
        return char_offsets
    return _kernels.byte_offsets(data, char_offsets)


Work = Callable[[int, int, NDArray[np.uint8], NDArray[np.int64]], None]
"""``work(lo, hi, data, starts)``: process texts ``lo:hi``, given as UTF-8 ``data`` and byte ``starts``."""


def worker_count() -> int:
    """Threads to run kernels on: one per core, or ``NUMBA_NUM_THREADS`` (read without starting numba's pool)."""
    return max(1, int(numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]


def each_batch(texts: Sequence[str], lengths: NDArray[np.int64], work: Work) -> None:
    """Call ``work`` on each batch of texts, in worker threads, while this thread encodes the next batches.

    The kernels release the GIL, so batches run on all cores at once. At most one batch per worker waits
    encoded, which bounds the working memory to a few batches.
    """
    ranges = list(batches(lengths))
    workers = min(worker_count(), len(ranges))
    if workers <= 1:
        for lo, hi in ranges:
            data, char_offsets = encode(texts[lo:hi], lengths[lo:hi], lo)
            work(lo, hi, data, byte_starts(data, char_offsets))
        return

    def run(lo: int, hi: int, data: NDArray[np.uint8], char_offsets: NDArray[np.int64]) -> None:
        work(lo, hi, data, byte_starts(data, char_offsets))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[None]] = deque()
        for lo, hi in ranges:
            data, char_offsets = encode(texts[lo:hi], lengths[lo:hi], lo)
            pending.append(pool.submit(run, lo, hi, data, char_offsets))
            while len(pending) > workers:
                pending.popleft().result()
        for future in pending:
            future.result()


def each_chunk(n: int, grain: int, work: Callable[[int, int], None]) -> None:
    """Call ``work(lo, hi)`` on chunks of ``range(n)`` of about ``grain`` items, in worker threads."""
    chunks = [(lo, min(n, lo + grain)) for lo in range(0, n, grain)]
    if min(worker_count(), len(chunks)) <= 1:
        for lo, hi in chunks:
            work(lo, hi)
        return
    with ThreadPoolExecutor(max_workers=worker_count()) as pool:
        for future in [pool.submit(work, lo, hi) for lo, hi in chunks]:
            future.result()


def batches(lengths: NDArray[np.int64], chars: int | None = None) -> Iterator[tuple[int, int]]:
    """Ranges ``(lo, hi)`` of texts of about ``chars`` (default :data:`BATCH_CHARS`) characters each.

    Each range has at least one text.

    >>> list(batches(np.array([5, 5, 5, 20, 1]), chars=10))
    [(0, 2), (2, 3), (3, 4), (4, 5)]
    """
    chars = BATCH_CHARS if chars is None else chars
    ends = np.cumsum(lengths)
    lo = 0
    while lo < lengths.size:
        base = ends[lo - 1] if lo else 0
        hi = max(int(np.searchsorted(ends, base + chars, side="right")), lo + 1)
        yield lo, hi
        lo = hi


def kernel_tables(
    unsegmented: Unsegmented,
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int32], NDArray[np.int32], bool]:
    """The token table's arrays, the ASCII fold table and the ``runs`` flag, as the kernels take them.

    The ASCII fold table gives the folded byte of an ASCII word character and -1 for a separator.
    """
    table = unicode_table()
    ascii_cps = np.arange(128, dtype=np.int32)
    entries = table.blocks[(int(table.index[0]) << 7) | ascii_cps]
    ascii_fold = np.where((entries & 7) == WORD, ascii_cps + (entries >> 8), -1).astype(np.int32)
    return table.index, table.blocks, table.expansions, ascii_fold, unsegmented == "runs"


def shingle_hashes(
    texts: Sequence[str],
    *,
    ngram: int = 3,
    hashfunc: HashFunc = "fast",
    unsegmented: Unsegmented = "chars",
) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
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
    lengths = char_lengths(texts)
    index, blocks, expansions, ascii_fold, runs = kernel_tables(cfg.unsegmented)
    sizes = np.zeros(len(texts), dtype=np.int64)
    parts: list[tuple[int, NDArray[np.uint64]]] = []

    def work(lo: int, hi: int, data: NDArray[np.uint8], starts: NDArray[np.int64]) -> None:
        out = np.empty(int((np.diff(starts) // 2 + 1).sum()), dtype=np.uint64)
        total = _set_kernels.shingle_sets(
            data, starts, index, blocks, expansions, ascii_fold, runs, cfg.ngram, cfg.hashfunc == "sha1",
            out, sizes[lo:hi],
        )  # fmt: skip
        parts.append((lo, out[:total].copy()))

    each_batch(texts, lengths, work)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    parts.sort(key=lambda part: part[0])
    hashes = np.concatenate([part for _, part in parts]) if parts else np.empty(0, dtype=np.uint64)
    return offsets, hashes


def csr_sets(
    func: str, offsets: NDArray[np.int64], hashes: NDArray[np.uint64]
) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
    """``offsets`` and ``hashes`` as the kernels take them, after checking they are CSR sets.

    The kernels do not check bounds, so offsets that point outside ``hashes`` must not reach them.

    >>> csr_sets("pair_similarity", np.array([0, 3]), np.array([1, 2], dtype=np.uint64))
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentValueError: pair_similarity: offsets must run from 0 to len(hashes) = 2, not [0 3]
    """
    offsets = int_array(func, "offsets", offsets, np.int64)
    hashes = int_array(func, "hashes", hashes, np.uint64).ravel()
    if offsets.ndim != 1 or offsets.size == 0 or offsets[0] != 0 or offsets[-1] != hashes.size:
        raise ArgumentValueError(f"{func}: offsets must run from 0 to len(hashes) = {hashes.size}, not {offsets}")
    if (np.diff(offsets) < 0).any():
        raise ArgumentValueError(f"{func}: offsets must be non-decreasing")
    return offsets, hashes


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
    offsets, hashes = csr_sets("pair_similarity", offsets, hashes)
    lpos = int_array("pair_similarity", "left", left, np.int64).ravel()
    rpos = int_array("pair_similarity", "right", right, np.int64).ravel()
    n = offsets.size - 1
    if lpos.shape != rpos.shape:
        raise ArgumentValueError(
            f"pair_similarity: left and right must have the same length, not {lpos.size} and {rpos.size}"
        )
    for side, pos in (("left", lpos), ("right", rpos)):
        bad = (pos < 0) | (pos >= n)
        if bad.any():
            number = int(pos[bad][0])
            raise ArgumentValueError(f"pair_similarity: {side} holds {number}, not a text number (0 to {n - 1})")
    common = np.empty(lpos.size, dtype=np.float64)

    def work(lo: int, hi: int) -> None:
        common[lo:hi] = _set_kernels.intersections(offsets, hashes, lpos[lo:hi], rpos[lo:hi])

    each_chunk(lpos.size, 1 << 16, work)
    sizes = np.diff(offsets).astype(np.float64)
    union = sizes[lpos] + sizes[rpos] - common
    jaccard = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
    containment = np.divide(common, sizes[lpos], out=np.zeros_like(common), where=sizes[lpos] > 0)
    return jaccard, containment
