"""Numba kernels for shingle sets in CSR layout: sizes, sorted distinct hashes, and pair intersections.

They share the tokeniser and shingle hash of :mod:`dedup._kernels`, so a text's set here is exactly the
set its MinHash signature summarises.

numba's on-disk cache keys a kernel on its own file only: after editing a kernel imported from
:mod:`dedup._kernels`, touch this file (or clear ``__pycache__``) so these are compiled again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dedup._kernels import DOCS_PER_TASK, max_span, shingle_count, shingle_hash, tokenize


@njit(cache=True, nogil=True)
def shingle_counts(
    data: np.ndarray,
    starts: np.ndarray,
    index: np.ndarray,
    blocks: np.ndarray,
    expansions: np.ndarray,
    ascii_fold: np.ndarray,
    runs: bool,
    ngram: int,
    counts: np.ndarray,
) -> None:
    """Number of shingles (with repeats) of each text into ``counts``. O(bytes)."""
    n = starts.size - 1
    for task in range((n + DOCS_PER_TASK - 1) // DOCS_PER_TASK):
        lo = task * DOCS_PER_TASK
        hi = min(n, lo + DOCS_PER_TASK)
        tok_hash = np.empty(max_span(starts, lo, hi) + 1, dtype=np.uint64)
        none = np.empty(1, dtype=np.int64)
        nobuf = np.empty(1, dtype=np.uint8)
        for d in range(lo, hi):
            ntok = tokenize(
                data, starts[d], starts[d + 1], index, blocks, expansions, ascii_fold, runs, False,
                tok_hash, none, none, nobuf,
            )  # fmt: skip
            counts[d] = shingle_count(ntok, ngram)


@njit(cache=True, nogil=True)
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
    bounds: np.ndarray,
    hashes: np.ndarray,
    sizes: np.ndarray,
) -> None:
    """Sorted distinct shingle hashes of text ``d`` into ``hashes[bounds[d]:bounds[d] + sizes[d]]``.

    ``bounds`` comes from :func:`shingle_counts`. O(bytes + s log s) for s shingles of a text.
    """
    n = starts.size - 1
    for task in range((n + DOCS_PER_TASK - 1) // DOCS_PER_TASK):
        lo = task * DOCS_PER_TASK
        hi = min(n, lo + DOCS_PER_TASK)
        longest = max_span(starts, lo, hi)
        tok_hash = np.empty(longest + 1, dtype=np.uint64)
        spans = longest + 1 if sha1 else 1
        tok_start = np.empty(spans, dtype=np.int64)
        tok_end = np.empty(spans, dtype=np.int64)
        buf = np.empty(4 * spans + 4, dtype=np.uint8)
        w = np.empty(80, dtype=np.uint64)
        for d in range(lo, hi):
            ntok = tokenize(
                data, starts[d], starts[d + 1], index, blocks, expansions, ascii_fold, runs, sha1,
                tok_hash, tok_start, tok_end, buf,
            )  # fmt: skip
            width = min(ntok, ngram)
            count = shingle_count(ntok, ngram)
            seg = hashes[bounds[d] : bounds[d] + count]
            for j in range(count):
                seg[j] = shingle_hash(j, width, sha1, tok_hash, tok_start, tok_end, buf, w)
            seg.sort()
            size = min(count, 1)
            for j in range(1, count):
                if seg[j] != seg[size - 1]:
                    seg[size] = seg[j]
                    size += 1
            sizes[d] = size


@njit(cache=True, nogil=True)
def compact(bounds: np.ndarray, hashes: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    """Copy ``hashes[bounds[d]:...]`` to ``out[offsets[d]:offsets[d + 1]]``. O(len(out))."""
    for d in range(offsets.size - 1):
        lo = bounds[d]
        for j in range(offsets[d + 1] - offsets[d]):
            out[offsets[d] + j] = hashes[lo + j]


@njit(cache=True, nogil=True)
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
