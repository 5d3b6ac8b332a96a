"""Texts to kernels in batches: UTF-8 encoding, byte offsets, and the worker threads that run kernels.

The kernels release the GIL, so batches of texts run on all cores at once in Python threads, while the
calling thread encodes the next batches (one ``str.encode`` per batch of about :data:`BATCH_CHARS`
characters; Python never loops per character).

>>> data, char_offsets = encode(["ab", "é"], char_lengths(["ab", "é"]))
>>> data.tobytes(), char_offsets.tolist(), byte_starts(data, char_offsets).tolist()
(b'ab\\xc3\\xa9', [0, 2, 3], [0, 2, 4])
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numba
import numpy as np
from numpy.typing import NDArray

from dedup.errors import ArgumentTypeError
from dedup.hashing import _kernels

__all__ = [
    "BATCH_CHARS",
    "batches",
    "byte_starts",
    "char_lengths",
    "each_batch",
    "each_chunk",
    "encode",
    "worker_count",
]

BATCH_CHARS = 1 << 20
"""Characters encoded per batch: large enough to amortise a kernel call, small enough to stay in cache."""


def char_lengths(texts: Sequence[str]) -> NDArray[np.int64]:
    """Length of each text in characters; ArgumentTypeError naming the first item that is not a str."""
    try:
        return np.array(list(map(len, texts)), dtype=np.int64)
    except TypeError:
        raise _not_str(texts) from None


def _not_str(texts: Sequence[object], first: int = 0) -> ArgumentTypeError:
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
        raise _not_str(texts, first) from None
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
