"""Numba kernels for shingle sets in CSR layout: sizes, sorted distinct hashes, and pair intersections.

They share the tokeniser and shingle hash of :mod:`dedup.hashing._kernels`, so a text's set here is exactly the
set its MinHash signature summarises.

numba's on-disk cache keys a kernel on its own file only: after editing a kernel imported from
:mod:`dedup.hashing._kernels`, touch this file (or clear ``__pycache__``) so these are compiled again.
"""

from __future__ import annotations

import numpy as np

from dedup._jit import jit
from dedup.hashing._kernels import combine_all, max_span, shingle_count, tokenize
from dedup.hashing._sha1 import sha1_64

U64 = np.uint64


SMALL_SORT = 512
"""Sets up to this size are sorted by :func:`sort_hashes`' bucket pass; larger ones by numpy's sort."""


@jit(nogil=True)
def sort_hashes(seg: np.ndarray, buf: np.ndarray, counts: np.ndarray) -> None:
    """Sort uniform 64-bit hashes in place: a counting pass on the top byte, then insertion sort.

    After the bucket pass each value is near its place (a set of s hashes has s / 256 per bucket), so the
    insertion sort is close to linear: about 5 times faster than ``ndarray.sort`` for a few dozen values.
    ``buf`` holds at least ``SMALL_SORT`` values and ``counts`` 257. O(s + 256), larger sets O(s log s).
    """
    n = seg.size
    if n > SMALL_SORT:
        seg.sort()
        return
    counts[:] = 0
    for i in range(n):
        counts[(seg[i] >> U64(56)) + 1] += 1
    for k in range(256):
        counts[k + 1] += counts[k]
    for i in range(n):
        top = seg[i] >> U64(56)
        buf[counts[top]] = seg[i]
        counts[top] += 1
    for i in range(n):
        x = buf[i]
        j = i - 1
        while j >= 0 and seg[j] > x:
            seg[j + 1] = seg[j]
            j -= 1
        seg[j + 1] = x


@jit(nogil=True)
def shingle_sets(
    data: np.ndarray,
    starts: np.ndarray,
    index: np.ndarray,
    blocks: np.ndarray,
    expansions: np.ndarray,
    ascii_fold: np.ndarray,
    runs: bool,
    ngram: int,
    sha1: bool,
    out: np.ndarray,
    sizes: np.ndarray,
) -> int:
    """Sorted distinct shingle hashes of each text, one after the other in ``out``; return how many.

    Text ``d`` has ``sizes[d]`` of them. ``out`` must hold ``sum(nbytes // 2 + 1)`` values: a token is
    at least one byte, and two tokens without a separator between them include a character of three
    bytes (scripts without spaces), so a text of ``nbytes`` bytes has at most ``nbytes // 2 + 1`` tokens.
    O(bytes + s log s) for s shingles of a text.
    """
    n = starts.size - 1
    longest = max_span(starts, 0, n)
    tok_hash = np.empty(longest + 1, dtype=np.uint64)
    spans = longest + 1 if sha1 else 1
    tok_start = np.empty(spans, dtype=np.int64)
    tok_end = np.empty(spans, dtype=np.int64)
    buf = np.empty(4 * spans + 4, dtype=np.uint8)
    w = np.empty(80, dtype=np.uint64)
    sort_buf = np.empty(SMALL_SORT, dtype=np.uint64)
    sort_counts = np.empty(257, dtype=np.int64)
    pos = 0
    for d in range(n):
        ntok = tokenize(
            data, starts[d], starts[d + 1], index, blocks, expansions, ascii_fold, runs, sha1,
            tok_hash, tok_start, tok_end, buf,
        )  # fmt: skip
        width = min(ntok, ngram)
        count = shingle_count(ntok, ngram)
        if count > (starts[d + 1] - starts[d]) // 2 + 1:
            raise AssertionError("more shingles than the bound allows")
        seg = out[pos : pos + count]
        if sha1:
            for j in range(count):
                seg[j] = sha1_64(buf, tok_start[j], tok_end[j + width - 1], w)
        else:
            combine_all(tok_hash, count, width, seg)
        sort_hashes(seg, sort_buf, sort_counts)
        size = min(count, 1)
        for j in range(1, count):
            if seg[j] != seg[size - 1]:
                seg[size] = seg[j]
                size += 1
        sizes[d] = size
        pos += size
    return pos


@jit(nogil=True)
def intersections(offsets: np.ndarray, hashes: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Size of the intersection of sorted sets ``left[p]`` and ``right[p]``. O(|left| + |right|) per pair."""
    out = np.empty(left.size, dtype=np.int64)
    for p in range(left.size):
        i, i_end = offsets[left[p]], offsets[left[p] + 1]
        j, j_end = offsets[right[p]], offsets[right[p] + 1]
        common = 0
        while i < i_end and j < j_end:
            x, y = hashes[i], hashes[j]
            if x == y:
                common += 1
                i += 1
                j += 1
            elif x < y:
                i += 1
            else:
                j += 1
        out[p] = common
    return out
