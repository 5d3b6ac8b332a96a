"""Numba kernels of the hashing core: UTF-8 tokenising, shingle hashing, MinHash.

Everything here takes and returns numpy arrays; Python never loops per token or per shingle.
The public wrappers live in :mod:`dedup.hashing.shingle` and :mod:`dedup.hashing.minhash`, which document the
scheme; this module documents each kernel's complexity. All kernels are compiled with
``cache=True``, so only the first run after an install pays the compile time, and release the GIL
(``nogil=True``): the wrappers run them on batches of texts in several Python threads at once (one per
core) while the main thread encodes the next batch. Threads that wait on a Python future sleep; numba's
``parallel=True`` regions (OpenMP spin-waiting) cost about 10 ms per launch on a loaded machine.

Integer discipline: numba promotes mixed signed/unsigned 64-bit arithmetic to float64, so hashing
is done in ``uint64`` with ``uint64`` constants only, and 32-bit values are kept masked in ``uint64``.

A text's bytes are ``data[starts[d]:starts[d + 1]]`` (UTF-8, from ``str.encode("utf-8",
"surrogatepass")``, so every byte sequence here is well formed).

numba's on-disk cache keys a kernel on its own file only: after editing :mod:`dedup.hashing._sha1`, touch this
file (and :mod:`dedup.hashing._set_kernels`) or clear ``__pycache__``.
"""

from __future__ import annotations

import numpy as np

from dedup._jit import jit
from dedup.hashing._sha1 import sha1_64

U64 = np.uint64
M32 = np.uint64(0xFFFFFFFF)
FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
COMBINE_SEED = np.uint64(0x9E3779B97F4A7C15)
COMBINE_MULT = np.uint64(0xBF58476D1CE4E5B9)

SEPARATOR, WORD, MARK, UNSEGMENTED, IGNORABLE = 0, 1, 2, 3, 4
MULTI_FOLD = 8
DOCS_PER_TASK = 64


@jit(inline="always")
def fmix64(h: np.uint64) -> np.uint64:
    """MurmurHash3's 64-bit finaliser (a bijection that avalanches)."""
    h ^= h >> U64(33)
    h *= U64(0xFF51AFD7ED558CCD)
    h ^= h >> U64(33)
    h *= U64(0xC4CEB9FE1A85EC53)
    h ^= h >> U64(33)
    return h


@jit(inline="always")
def fmix32(h: np.uint64) -> np.uint64:
    """MurmurHash3's 32-bit finaliser on a value below 2**32 held in a uint64."""
    h ^= h >> U64(16)
    h = (h * U64(0x85EBCA6B)) & M32
    h ^= h >> U64(13)
    h = (h * U64(0xC2B2AE35)) & M32
    h ^= h >> U64(16)
    return h


@jit(inline="always")
def count_starts(data: np.ndarray, lo: int, hi: int) -> int:
    """Characters starting in ``data[lo:hi]`` (bytes that are not UTF-8 continuation bytes). Vectorises."""
    count = np.int64(0)
    for j in range(lo, hi):
        count += np.int64((data[j] & 0xC0) != 0x80)
    return int(count)


@jit(nogil=True)
def byte_offsets(data: np.ndarray, char_offsets: np.ndarray) -> np.ndarray:
    """Byte offset of each character offset in UTF-8 ``data``; ``char_offsets`` ascending.

    A character takes at least one byte, so the next ``target - chars`` bytes can be counted in one
    vectorised pass without overshooting; a few passes reach each target. O(len(data)).
    """
    out = np.empty(char_offsets.size, dtype=np.int64)
    i = 0
    chars = 0  # characters starting before byte i
    for k in range(char_offsets.size):
        target = char_offsets[k]
        while chars < target and i < data.size:
            end = min(i + (target - chars), data.size)
            chars += count_starts(data, i, end)
            i = end
        while i < data.size and (data[i] & 0xC0) == 0x80:
            i += 1
        out[k] = i
    return out


@jit(inline="always")
def put_utf8(buf: np.ndarray, pos: int, cp: int) -> int:
    """Write code point ``cp`` as UTF-8 at ``buf[pos]``; return the position after it."""
    if cp < 0x80:
        buf[pos] = cp
        return pos + 1
    if cp < 0x800:
        buf[pos] = 0xC0 | (cp >> 6)
        buf[pos + 1] = 0x80 | (cp & 0x3F)
        return pos + 2
    if cp < 0x10000:
        buf[pos] = 0xE0 | (cp >> 12)
        buf[pos + 1] = 0x80 | ((cp >> 6) & 0x3F)
        buf[pos + 2] = 0x80 | (cp & 0x3F)
        return pos + 3
    buf[pos] = 0xF0 | (cp >> 18)
    buf[pos + 1] = 0x80 | ((cp >> 12) & 0x3F)
    buf[pos + 2] = 0x80 | ((cp >> 6) & 0x3F)
    buf[pos + 3] = 0x80 | (cp & 0x3F)
    return pos + 4


@jit(inline="always")
def push_byte(h: np.uint64, byte: int) -> np.uint64:
    """One FNV-1a-64 step."""
    return (h ^ U64(byte)) * FNV_PRIME


@jit(inline="always")
def push_char(h: np.uint64, cp: int) -> np.uint64:
    """FNV-1a-64 steps over the UTF-8 bytes of code point ``cp``."""
    if cp < 0x80:
        return push_byte(h, cp)
    if cp < 0x800:
        h = push_byte(h, 0xC0 | (cp >> 6))
    else:
        if cp < 0x10000:
            h = push_byte(h, 0xE0 | (cp >> 12))
        else:
            h = push_byte(h, 0xF0 | (cp >> 18))
            h = push_byte(h, 0x80 | ((cp >> 12) & 0x3F))
        h = push_byte(h, 0x80 | ((cp >> 6) & 0x3F))
    return push_byte(h, 0x80 | (cp & 0x3F))


@jit(inline="always")
def decode(data: np.ndarray, i: int) -> tuple[int, int]:
    """The code point starting at ``data[i]`` (well-formed UTF-8) and the index after it."""
    b0 = int(data[i])
    if b0 < 0x80:
        return b0, i + 1
    if b0 < 0xE0:
        return ((b0 & 0x1F) << 6) | (int(data[i + 1]) & 0x3F), i + 2
    if b0 < 0xF0:
        return ((b0 & 0x0F) << 12) | ((int(data[i + 1]) & 0x3F) << 6) | (int(data[i + 2]) & 0x3F), i + 3
    cp = ((b0 & 0x07) << 18) | ((int(data[i + 1]) & 0x3F) << 12) | ((int(data[i + 2]) & 0x3F) << 6)
    return cp | (int(data[i + 3]) & 0x3F), i + 4


@jit(inline="always")
def ascii_run(
    data: np.ndarray,
    i: int,
    end: int,
    ascii_fold: np.ndarray,
    tok_hash: np.ndarray,
    ntok: int,
    h: np.uint64,
    state: int,
) -> tuple[int, int, np.uint64, int]:
    """Tokenise ASCII bytes from ``data[i]`` on, without branches; return ``(i, ntok, h, state)``.

    ``state`` is 0 (between tokens) or 1 (in a word) on entry and exit. A mispredicted branch per word
    boundary would cost more than computing both outcomes: ``tok_hash[ntok]`` is rewritten at every byte
    and kept (``ntok`` advances) where a word ends. Stops at the first non-ASCII byte or at ``end``.
    """
    prev = state != 0
    while i < end and data[i] < 0x80:
        folded = np.int64(ascii_fold[data[i]])
        word = bool(folded >= 0)
        tok_hash[ntok] = h
        ntok += prev and not word
        base = h if prev else FNV_OFFSET
        stepped = (base ^ U64(folded & 0xFF)) * FNV_PRIME
        h = stepped if word else h
        prev = word
        i += 1
    return i, ntok, h, int(prev)


@jit(inline="always")
def close_token(
    h: np.uint64, ntok: int, pos: int, want_bytes: bool, tok_hash: np.ndarray, tok_end: np.ndarray, buf: np.ndarray
) -> tuple[int, int]:
    """Store the hash (and end, and a space after the bytes) of the token just read; ``(ntok, pos)`` after."""
    tok_hash[ntok] = h
    if want_bytes:
        tok_end[ntok] = pos
        buf[pos] = 32
        pos += 1
    return ntok + 1, pos


@jit()
def tokenize(
    data: np.ndarray,
    start: int,
    end: int,
    index: np.ndarray,
    blocks: np.ndarray,
    expansions: np.ndarray,
    ascii_fold: np.ndarray,
    runs: bool,
    want_bytes: bool,
    tok_hash: np.ndarray,
    tok_start: np.ndarray,
    tok_end: np.ndarray,
    buf: np.ndarray,
) -> int:
    """Tokenise ``data[start:end]``; return the number of tokens. O(end - start).

    Writes each token's hash, ``fmix64`` of FNV-1a-64 over the UTF-8 of its case-folded characters, to
    ``tok_hash``. With ``want_bytes``, also writes the folded tokens to ``buf`` as UTF-8, each followed by
    one space, and their spans to ``tok_start``/``tok_end`` (so an n-gram's bytes are one slice of
    ``buf``). The state machine mirrors :func:`dedup.hashing.tokens.tokenize`: state 0 is between tokens, 1 in a
    word, 2 in a one-character token of a script without spaces (only marks may extend it).
    """
    ntok, state, h, pos, i = 0, 0, FNV_OFFSET, 0, start
    while i < end:
        if not want_bytes and state != 2:
            i, ntok, h, state = ascii_run(data, i, end, ascii_fold, tok_hash, ntok, h, state)
            if i >= end:
                break
        cp, i = decode(data, i)
        e = int(blocks[(int(index[cp >> 7]) << 7) | (cp & 127)])
        cls = e & 7
        if cls == UNSEGMENTED and runs:
            cls = WORD
        if cls == IGNORABLE:
            continue
        if cls == SEPARATOR or cls == UNSEGMENTED or (cls == WORD and state == 2):  # noqa: SIM109
            if state != 0:
                ntok, pos = close_token(h, ntok, pos, want_bytes, tok_hash, tok_end, buf)
                state = 0
            if cls == SEPARATOR:
                continue
        if state == 0:
            h = FNV_OFFSET
            if want_bytes:
                tok_start[ntok] = pos
        for k in range(expansions.shape[1] if e & MULTI_FOLD else 1):
            f = int(expansions[e >> 8, k]) if e & MULTI_FOLD else cp + (e >> 8)
            if f == 0:
                break
            h = push_char(h, f)
            if want_bytes:
                pos = put_utf8(buf, pos, f)
        state = 2 if cls == UNSEGMENTED else max(state, 1)
    if state != 0:
        ntok, pos = close_token(h, ntok, pos, want_bytes, tok_hash, tok_end, buf)
    for t in range(ntok):
        tok_hash[t] = fmix64(tok_hash[t])
    return ntok


@jit(inline="always")
def shingle_count(ntok: int, ngram: int) -> int:
    """Shingles of a text of ``ntok`` tokens: a short non-empty text is one shingle."""
    if ntok == 0:
        return 0
    if ntok < ngram:
        return 1
    return ntok - ngram + 1


@jit(inline="always")
def shingle_hash(
    j: int,
    width: int,
    sha1: bool,
    tok_hash: np.ndarray,
    tok_start: np.ndarray,
    tok_end: np.ndarray,
    buf: np.ndarray,
    w: np.ndarray,
) -> np.uint64:
    """64-bit hash of the shingle of tokens ``j .. j + width - 1``. O(width), or O(bytes) with SHA-1."""
    if sha1:
        return sha1_64(buf, tok_start[j], tok_end[j + width - 1], w)
    s = COMBINE_SEED
    for t in range(j, j + width):
        s = (s ^ tok_hash[t]) * COMBINE_MULT
    return fmix64(s)


@jit(inline="always")
def combine_all(tok_hash: np.ndarray, count: int, width: int, combined: np.ndarray) -> None:
    """The fast hashes of shingles ``0 .. count - 1`` into ``combined``, as :func:`shingle_hash` computes them.

    Loops run over shingles (token ``t`` of every shingle at once), so they vectorise. O(count * width).
    """
    for j in range(count):
        combined[j] = COMBINE_SEED
    for t in range(width):
        for j in range(count):
            combined[j] = (combined[j] ^ tok_hash[j + t]) * COMBINE_MULT
    for j in range(count):
        combined[j] = fmix64(combined[j])


@jit(inline="always")
def minhash_input(h: np.uint64) -> np.uint32:
    """The 32-bit value a shingle hash enters the permutations as: ``fmix32(h mod 2**32)``."""
    return np.uint32(fmix32(h & M32))


@jit()
def permute_min(xs: np.ndarray, count: int, a: np.ndarray, b: np.ndarray, row: np.ndarray) -> None:
    """Fold inputs ``xs[:count]`` into a signature row: ``row[k] = min(row[k], min_j (a[k] * xs[j] + b[k]))``.

    Computed in uint32, whose wraparound is exactly the ``mod 2**32``. Eight inputs share each pass over
    the row, so the row is loaded and stored once per eight (the loop over ``k`` vectorises).
    O(count * len(row)).
    """
    j = 0
    while j + 8 <= count:
        x0, x1, x2, x3 = xs[j], xs[j + 1], xs[j + 2], xs[j + 3]
        x4, x5, x6, x7 = xs[j + 4], xs[j + 5], xs[j + 6], xs[j + 7]
        for k in range(row.size):
            ak, bk = a[k], b[k]
            v01 = min(np.uint32(ak * x0 + bk), np.uint32(ak * x1 + bk))
            v23 = min(np.uint32(ak * x2 + bk), np.uint32(ak * x3 + bk))
            v45 = min(np.uint32(ak * x4 + bk), np.uint32(ak * x5 + bk))
            v67 = min(np.uint32(ak * x6 + bk), np.uint32(ak * x7 + bk))
            row[k] = min(row[k], min(min(v01, v23), min(v45, v67)))
        j += 8
    while j < count:
        x = xs[j]
        for k in range(row.size):
            row[k] = min(row[k], np.uint32(a[k] * x + b[k]))
        j += 1


@jit()
def max_span(starts: np.ndarray, lo: int, hi: int) -> int:
    """Longest ``starts[d + 1] - starts[d]`` for ``lo <= d < hi``."""
    longest = 0
    for d in range(lo, hi):
        longest = max(longest, starts[d + 1] - starts[d])
    return longest


@jit(nogil=True)
def signatures_from_bytes(
    data: np.ndarray,
    starts: np.ndarray,
    index: np.ndarray,
    blocks: np.ndarray,
    expansions: np.ndarray,
    ascii_fold: np.ndarray,
    runs: bool,
    ngram: int,
    sha1: bool,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> None:
    """MinHash rows of the texts of ``data`` into ``out`` (pre-filled with 0xFFFFFFFF).

    Texts go in tasks of 64 that share scratch buffers. O(bytes + shingles * (ngram + num_perm)); with SHA-1,
    O(bytes * ngram + shingles * num_perm). Scratch per task: O(longest text).
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
        xs = np.empty(longest + 1, dtype=np.uint32)
        combined = np.empty(longest + 1, dtype=np.uint64)
        for d in range(lo, hi):
            ntok = tokenize(
                data, starts[d], starts[d + 1], index, blocks, expansions, ascii_fold, runs, sha1,
                tok_hash, tok_start, tok_end, buf,
            )  # fmt: skip
            width = min(ntok, ngram)
            count = shingle_count(ntok, ngram)
            if sha1:
                for j in range(count):
                    xs[j] = minhash_input(sha1_64(buf, tok_start[j], tok_end[j + width - 1], w))
            else:
                combine_all(tok_hash, count, width, combined)
                for j in range(count):
                    xs[j] = minhash_input(combined[j])
            permute_min(xs, count, a, b, out[d])


@jit(nogil=True)
def signatures_from_csr(offsets: np.ndarray, hashes: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """MinHash rows from CSR shingle hashes into ``out`` (pre-filled). O(len(hashes) * num_perm)."""
    xs = np.empty(max_span(offsets, 0, offsets.size - 1), dtype=np.uint32)
    for d in range(offsets.size - 1):
        lo, hi = offsets[d], offsets[d + 1]
        for j in range(hi - lo):
            xs[j] = minhash_input(hashes[lo + j])
        permute_min(xs, hi - lo, a, b, out[d])


@jit(nogil=True)
def given_tokens(
    data: np.ndarray,
    tok_bytes: np.ndarray,
    first: int,
    ntok: int,
    want_bytes: bool,
    tok_hash: np.ndarray,
    tok_start: np.ndarray,
    tok_end: np.ndarray,
    buf: np.ndarray,
) -> None:
    """Hash tokens ``first .. first + ntok - 1`` given as ``data[tok_bytes[t]:tok_bytes[t + 1]]``, verbatim.

    Same outputs as :func:`tokenize` (whose hash of an already folded token is the same). O(bytes).
    """
    pos = 0
    for t in range(ntok):
        h = FNV_OFFSET
        if want_bytes:
            tok_start[t] = pos
        for i in range(tok_bytes[first + t], tok_bytes[first + t + 1]):
            h = push_byte(h, data[i])
            if want_bytes:
                buf[pos] = data[i]
                pos += 1
        if want_bytes:
            tok_end[t] = pos
            buf[pos] = 32
            pos += 1
        tok_hash[t] = fmix64(h)


@jit(nogil=True)
def signatures_from_token_bytes(
    data: np.ndarray,
    tok_bytes: np.ndarray,
    doc_tokens: np.ndarray,
    ngram: int,
    sha1: bool,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> None:
    """MinHash rows of pre-tokenised texts: text ``d`` has tokens ``doc_tokens[d] .. doc_tokens[d + 1] - 1``.

    Texts go in tasks of 64 that share scratch buffers. O(bytes + shingles * (ngram + num_perm)).
    """
    n = doc_tokens.size - 1
    for task in range((n + DOCS_PER_TASK - 1) // DOCS_PER_TASK):
        lo = task * DOCS_PER_TASK
        hi = min(n, lo + DOCS_PER_TASK)
        most = 1
        longest = 1
        for d in range(lo, hi):
            most = max(most, doc_tokens[d + 1] - doc_tokens[d] + 1)
            longest = max(longest, tok_bytes[doc_tokens[d + 1]] - tok_bytes[doc_tokens[d]] + most)
        tok_hash = np.empty(most, dtype=np.uint64)
        tok_start = np.empty(most if sha1 else 1, dtype=np.int64)
        tok_end = np.empty(most if sha1 else 1, dtype=np.int64)
        buf = np.empty(longest if sha1 else 1, dtype=np.uint8)
        w = np.empty(80, dtype=np.uint64)
        xs = np.empty(most, dtype=np.uint32)
        for d in range(lo, hi):
            ntok = doc_tokens[d + 1] - doc_tokens[d]
            given_tokens(data, tok_bytes, doc_tokens[d], ntok, sha1, tok_hash, tok_start, tok_end, buf)
            width = min(ntok, ngram)
            count = shingle_count(ntok, ngram)
            for j in range(count):
                xs[j] = minhash_input(shingle_hash(j, width, sha1, tok_hash, tok_start, tok_end, buf, w))
            permute_min(xs, count, a, b, out[d])
