"""Numba kernels of the hashing core: UTF-8 tokenising, shingle hashing (fast and SHA-1), MinHash, set kernels.

Everything here takes and returns numpy arrays, bundled in the named tuples below where they travel
together; Python never loops per token or per shingle. The public wrappers live in
:mod:`dedup.hashing.shingle` and :mod:`dedup.hashing.minhash`, which document the scheme; this module
documents each kernel's complexity. All kernels are compiled with ``cache=True``, so only the first run
after an install pays the compile time, and the entry points release the GIL (``nogil=True``): the
wrappers run them on batches of texts in several Python threads at once (one per core) while the main
thread encodes the next batch. Threads that wait on a Python future sleep; numba's ``parallel=True``
regions (OpenMP spin-waiting) cost about 10 ms per launch on a loaded machine.

This is the subpackage's only kernel module: numba's on-disk cache keys a kernel on its own file only
(numba issue 1833), so a kernel calling into another file would keep stale machine code after that file
changed. Helpers whose names start with ``_`` are only called by kernels here.

Integer discipline: numba promotes mixed signed/unsigned 64-bit arithmetic to float64, so hashing
is done in ``uint64`` with ``uint64`` constants only, and 32-bit values are kept masked in ``uint64``.

A text's bytes are UTF-8 from ``str.encode("utf-8", "surrogatepass")``, so every byte sequence here is
well formed.

>>> texts = Texts(np.frombuffer(b"abc", dtype=np.uint8), np.array([0, 3]))
>>> scratch = Scratch(np.empty(4, np.uint64), np.empty(4, np.int64), np.empty(4, np.int64),
...                   np.empty(16, np.uint8), np.empty(80, np.uint64))
>>> from dedup.hashing.shingle import token_rules
>>> scan_tokens(texts, 0, token_rules("chars"), True, scratch), scratch.buf[:4].tobytes()
(1, b'abc ')
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from dedup._jit import jit

U64 = np.uint64
M32 = np.uint64(0xFFFFFFFF)
FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
COMBINE_SEED = np.uint64(0x9E3779B97F4A7C15)
COMBINE_MULT = np.uint64(0xBF58476D1CE4E5B9)

# The token table's format, defined here (a kernel file reads no other file's constants, see above)
# and documented in dedup.hashing.tokens, which uses them too.
CLASS_SEPARATOR, CLASS_WORD, CLASS_MARK, CLASS_UNSEGMENTED, CLASS_IGNORABLE = 0, 1, 2, 3, 4
MULTI_FOLD = 8
EMPTY = np.uint32(0xFFFFFFFF)
"""Every entry of the signature of a text without shingles: signature rows start as this."""
DOCS_PER_TASK = 64
"""Texts that share one set of scratch buffers (sized for the longest of them)."""
SMALL_SORT = 512
"""Sets up to this size are sorted by :func:`_sort_hashes`' bucket pass; larger ones by numpy's sort."""


class Texts(NamedTuple):
    """UTF-8 texts: text ``d`` is ``data[starts[d]:starts[d + 1]]``."""

    data: NDArray[np.uint8]
    starts: NDArray[np.int64]


class TokenTexts(NamedTuple):
    """Pre-tokenised texts: token ``t`` is ``data[bounds[t]:bounds[t + 1]]``, text ``d`` has tokens
    ``doc_tokens[d] .. doc_tokens[d + 1] - 1``."""

    data: NDArray[np.uint8]
    bounds: NDArray[np.int64]
    doc_tokens: NDArray[np.int64]


class TokenRules(NamedTuple):
    """The token table as the tokeniser reads it (see :class:`dedup.hashing.tokens.TokenTable`).

    Attributes:
        block_index, blocks, expansions: the two-stage table (``TokenTable.index``, ``.blocks``) and its
            multi-character foldings.
        ascii_fold: the folded byte of each ASCII word character, -1 for a separator.
        runs: whether characters of scripts without spaces join into words (``unsegmented="runs"``).
    """

    block_index: NDArray[np.int32]
    blocks: NDArray[np.int32]
    expansions: NDArray[np.int32]
    ascii_fold: NDArray[np.int32]
    runs: bool


class Permutations(NamedTuple):
    """MinHash permutations: ``k`` maps ``x`` to ``(a[k] * x + b[k]) mod 2**32``; every ``a[k]`` is odd."""

    a: NDArray[np.uint32]
    b: NDArray[np.uint32]


class Scratch(NamedTuple):
    """A tokeniser's buffers for one text at a time.

    Attributes:
        tok_hash: each token's 64-bit hash.
        tok_start, tok_end: each token's span in ``buf`` (written only when bytes are wanted).
        buf: the folded tokens as UTF-8, each followed by one space (so an n-gram's bytes are one slice).
        w: the SHA-1 message schedule, 80 words.
    """

    tok_hash: NDArray[np.uint64]
    tok_start: NDArray[np.int64]
    tok_end: NDArray[np.int64]
    buf: NDArray[np.uint8]
    w: NDArray[np.uint64]


@jit(inline="always")
def fmix64(h: np.uint64) -> np.uint64:
    """MurmurHash3's 64-bit finaliser (a bijection that avalanches): the last step of every token and
    shingle hash.

    Why two 64-bit finalisers in dedup: this one is part of the hashing scheme documented in
    :mod:`dedup.hashing.shingle`, so every shingle hash, signature and persisted LSH index depends on it.
    :func:`dedup.near._kernels.mix64` (xor-shift by 32, one constant twice) was chosen on its own for the
    near-duplicate finder's band keys and join keys, which it computes from values this one already
    finished. Either would serve both jobs, but swapping one for the other changes output (signatures,
    or which pairs become candidates), so each stays where it is.
    """
    h ^= h >> U64(33)
    h *= U64(0xFF51AFD7ED558CCD)
    h ^= h >> U64(33)
    h *= U64(0xC4CEB9FE1A85EC53)
    h ^= h >> U64(33)
    return h


@jit(inline="always")
def fmix32(h: np.uint64) -> np.uint64:
    """MurmurHash3's 32-bit finaliser on a value below 2**32 held in a uint64.

    It turns a shingle hash's low 32 bits (datasketch's ``sha1_hash32`` in SHA-1 mode) into the MinHash
    input, spreading structured values before the affine permutations; the 64-bit :func:`fmix64` cannot
    do this job because datasketch's permutations work on 32-bit inputs.
    """
    h ^= h >> U64(16)
    h = (h * U64(0x85EBCA6B)) & M32
    h ^= h >> U64(13)
    h = (h * U64(0xC2B2AE35)) & M32
    h ^= h >> U64(16)
    return h


@jit(inline="always")
def _count_starts(data: np.ndarray, lo: int, hi: int) -> int:
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
            chars += _count_starts(data, i, end)
            i = end
        while i < data.size and (data[i] & 0xC0) == 0x80:
            i += 1
        out[k] = i
    return out


@jit(inline="always")
def _put_utf8(buf: np.ndarray, pos: int, cp: int) -> int:
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
def _push_byte(h: np.uint64, byte: int) -> np.uint64:
    """One FNV-1a-64 step."""
    return (h ^ U64(byte)) * FNV_PRIME


@jit(inline="always")
def _push_char(h: np.uint64, cp: int) -> np.uint64:
    """FNV-1a-64 steps over the UTF-8 bytes of code point ``cp``."""
    if cp < 0x80:
        return _push_byte(h, cp)
    if cp < 0x800:
        h = _push_byte(h, 0xC0 | (cp >> 6))
    else:
        if cp < 0x10000:
            h = _push_byte(h, 0xE0 | (cp >> 12))
        else:
            h = _push_byte(h, 0xF0 | (cp >> 18))
            h = _push_byte(h, 0x80 | ((cp >> 12) & 0x3F))
        h = _push_byte(h, 0x80 | ((cp >> 6) & 0x3F))
    return _push_byte(h, 0x80 | (cp & 0x3F))


@jit(inline="always")
def _decode(data: np.ndarray, i: int) -> tuple[int, int]:
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
def _ascii_run(
    data: np.ndarray, end: int, ascii_fold: np.ndarray, tok_hash: np.ndarray, at: tuple[int, int, np.uint64, int]
) -> tuple[int, int, np.uint64, int]:
    """Tokenise ASCII bytes from ``at = (i, ntok, h, state)`` on, without branches; return ``at`` after.

    ``state`` is 0 (between tokens) or 1 (in a word) on entry and exit. A mispredicted branch per word
    boundary would cost more than computing both outcomes: ``tok_hash[ntok]`` is rewritten at every byte
    and kept (``ntok`` advances) where a word ends. Stops at the first non-ASCII byte or at ``end``.
    """
    i, ntok, h, state = at
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
def _close_token(scratch: Scratch, h: np.uint64, ntok: int, pos: int, want_bytes: bool) -> tuple[int, int]:
    """Store the hash (and end, and a space after the bytes) of the token just read; ``(ntok, pos)`` after."""
    scratch.tok_hash[ntok] = h
    if want_bytes:
        scratch.tok_end[ntok] = pos
        scratch.buf[pos] = 32
        pos += 1
    return ntok + 1, pos


@jit()
def scan_tokens(texts: Texts, d: int, rules: TokenRules, want_bytes: bool, scratch: Scratch) -> int:
    """Tokenise text ``d`` into ``scratch``; return the number of tokens. O(bytes of the text).

    Writes each token's hash, ``fmix64`` of FNV-1a-64 over the UTF-8 of its case-folded characters, to
    ``scratch.tok_hash``; with ``want_bytes`` also the folded tokens to ``scratch.buf`` and their spans.
    The state machine mirrors :func:`dedup.hashing.tokens.tokenize`: state 0 is between tokens, 1 in a
    word, 2 in a one-character token of a script without spaces (only marks may extend it).
    """
    data, end = texts.data, texts.starts[d + 1]
    ntok, state, h, pos, i = 0, 0, FNV_OFFSET, 0, texts.starts[d]
    while i < end:
        if not want_bytes and state != 2:
            i, ntok, h, state = _ascii_run(data, end, rules.ascii_fold, scratch.tok_hash, (i, ntok, h, state))
            if i >= end:
                break
        cp, i = _decode(data, i)
        e = int(rules.blocks[(int(rules.block_index[cp >> 7]) << 7) | (cp & 127)])
        cls = e & 7
        if cls == CLASS_UNSEGMENTED and rules.runs:
            cls = CLASS_WORD
        if cls == CLASS_IGNORABLE:
            continue
        if cls == CLASS_SEPARATOR or cls == CLASS_UNSEGMENTED or (cls == CLASS_WORD and state == 2):  # noqa: SIM109
            if state != 0:
                ntok, pos = _close_token(scratch, h, ntok, pos, want_bytes)
                state = 0
            if cls == CLASS_SEPARATOR:
                continue
        if state == 0:
            h = FNV_OFFSET
            if want_bytes:
                scratch.tok_start[ntok] = pos
        for k in range(rules.expansions.shape[1] if e & MULTI_FOLD else 1):
            f = int(rules.expansions[e >> 8, k]) if e & MULTI_FOLD else cp + (e >> 8)
            if f == 0:
                break
            h = _push_char(h, f)
            if want_bytes:
                pos = _put_utf8(scratch.buf, pos, f)
        state = 2 if cls == CLASS_UNSEGMENTED else max(state, 1)
    if state != 0:
        ntok, pos = _close_token(scratch, h, ntok, pos, want_bytes)
    for t in range(ntok):
        scratch.tok_hash[t] = fmix64(scratch.tok_hash[t])
    return ntok


@jit(inline="always")
def _given_tokens(tokens: TokenTexts, d: int, want_bytes: bool, scratch: Scratch) -> int:
    """Hash the tokens of pre-tokenised text ``d`` verbatim into ``scratch``; return how many. O(bytes).

    Same outputs as :func:`scan_tokens` (whose hash of an already folded token is the same).
    """
    first = tokens.doc_tokens[d]
    ntok = tokens.doc_tokens[d + 1] - first
    pos = 0
    for t in range(ntok):
        h = FNV_OFFSET
        if want_bytes:
            scratch.tok_start[t] = pos
        for i in range(tokens.bounds[first + t], tokens.bounds[first + t + 1]):
            h = _push_byte(h, tokens.data[i])
            if want_bytes:
                scratch.buf[pos] = tokens.data[i]
                pos += 1
        if want_bytes:
            scratch.tok_end[t] = pos
            scratch.buf[pos] = 32
            pos += 1
        scratch.tok_hash[t] = fmix64(h)
    return int(ntok)


@jit(inline="always")
def _new_scratch(tokens: int, nbytes: int, want_bytes: bool) -> Scratch:
    """Scratch for texts of at most ``tokens`` tokens and ``nbytes`` folded bytes (spaces included)."""
    spans = tokens if want_bytes else 1
    return Scratch(
        np.empty(tokens, dtype=np.uint64),
        np.empty(spans, dtype=np.int64),
        np.empty(spans, dtype=np.int64),
        np.empty(nbytes if want_bytes else 1, dtype=np.uint8),
        np.empty(80, dtype=np.uint64),
    )


@jit(inline="always")
def _rotl32(x: np.uint64, n: int) -> np.uint64:
    return ((x << U64(n)) | (x >> U64(32 - n))) & M32


@jit(inline="always")
def _bswap32(x: np.uint64) -> np.uint64:
    return (
        ((x & U64(0xFF)) << U64(24))
        | ((x & U64(0xFF00)) << U64(8))
        | ((x >> U64(8)) & U64(0xFF00))
        | ((x >> U64(24)) & U64(0xFF))
    )


@jit(inline="always")
def _schedule(buf: np.ndarray, start: int, length: int, base: int, last: bool, w: np.ndarray) -> None:
    """The 80-word SHA-1 message schedule of the block at byte ``base`` of the padded message, into ``w``."""
    for t in range(16):
        p = base + 4 * t
        if p + 4 <= length:
            q = start + p
            w[t] = (
                (U64(buf[q]) << U64(24)) | (U64(buf[q + 1]) << U64(16)) | (U64(buf[q + 2]) << U64(8)) | U64(buf[q + 3])
            )
            continue
        word = U64(0)
        for k in range(4):
            byte = U64(0)
            if p + k < length:
                byte = U64(buf[start + p + k])
            elif p + k == length:
                byte = U64(0x80)
            word = (word << U64(8)) | byte
        w[t] = word
    if last:
        bits = U64(length) * U64(8)
        w[14] = bits >> U64(32)
        w[15] = bits & M32
    for t in range(16, 80):
        w[t] = _rotl32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1)


@jit()
def sha1_64(buf: np.ndarray, start: int, end: int, w: np.ndarray) -> np.uint64:
    """The first 8 bytes of SHA-1(``buf[start:end]``) as a little-endian uint64 (written from FIPS 180-4).

    Its low 32 bits are datasketch's ``sha1_hash32``. ``w`` is scratch of 80 uint64. O(end - start).
    """
    h0, h1, h2, h3, h4 = U64(0x67452301), U64(0xEFCDAB89), U64(0x98BADCFE), U64(0x10325476), U64(0xC3D2E1F0)
    length = end - start
    nblocks = (length + 72) // 64
    for blk in range(nblocks):
        _schedule(buf, start, length, blk * 64, blk == nblocks - 1, w)
        a, b, c, d, e = h0, h1, h2, h3, h4
        for t in range(20):
            temp = (_rotl32(a, 5) + ((b & c) | ((b ^ M32) & d)) + e + U64(0x5A827999) + w[t]) & M32
            a, b, c, d, e = temp, a, _rotl32(b, 30), c, d
        for t in range(20, 40):
            temp = (_rotl32(a, 5) + (b ^ c ^ d) + e + U64(0x6ED9EBA1) + w[t]) & M32
            a, b, c, d, e = temp, a, _rotl32(b, 30), c, d
        for t in range(40, 60):
            temp = (_rotl32(a, 5) + ((b & c) | (b & d) | (c & d)) + e + U64(0x8F1BBCDC) + w[t]) & M32
            a, b, c, d, e = temp, a, _rotl32(b, 30), c, d
        for t in range(60, 80):
            temp = (_rotl32(a, 5) + (b ^ c ^ d) + e + U64(0xCA62C1D6) + w[t]) & M32
            a, b, c, d, e = temp, a, _rotl32(b, 30), c, d
        h0, h1, h2, h3, h4 = (h0 + a) & M32, (h1 + b) & M32, (h2 + c) & M32, (h3 + d) & M32, (h4 + e) & M32
    return _bswap32(h0) | (_bswap32(h1) << U64(32))


@jit(inline="always")
def _combine_all(tok_hash: np.ndarray, count: int, width: int, combined: np.ndarray) -> None:
    """The fast hashes of shingles ``0 .. count - 1`` (``width`` tokens each) into ``combined``.

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
def _shingles(scratch: Scratch, ntok: int, ngram: int, sha1: bool, out: np.ndarray) -> int:
    """The 64-bit hashes of the shingles of the ``ntok`` tokens in ``scratch`` into ``out``; return how many.

    A short non-empty text is one shingle. With ``sha1`` the tokens' bytes must be in ``scratch``.
    O(shingles * ngram), or O(bytes * ngram) with SHA-1.
    """
    count = 0 if ntok == 0 else max(1, ntok - ngram + 1)
    if count > out.size:
        raise AssertionError("more shingles than the buffer holds")
    width = min(ntok, ngram)
    if sha1:
        for j in range(count):
            out[j] = sha1_64(scratch.buf, scratch.tok_start[j], scratch.tok_end[j + width - 1], scratch.w)
    else:
        _combine_all(scratch.tok_hash, count, width, out)
    return count


@jit(inline="always")
def _minhash_input(h: np.uint64) -> np.uint32:
    """The 32-bit value a shingle hash enters the permutations as: ``fmix32(h mod 2**32)``."""
    return np.uint32(fmix32(h & M32))


@jit()
def _permute_min(hashes: np.ndarray, count: int, perms: Permutations, row: np.ndarray) -> None:
    """Fold shingle hashes ``hashes[:count]`` into a signature row: ``row[k] = min(row[k], min_j perm_k(x_j))``.

    ``x_j`` is :func:`_minhash_input` of ``hashes[j]``. Computed in uint32, whose wraparound is exactly
    the ``mod 2**32``. Eight inputs share each pass over the row, so the row is loaded and stored once per
    eight (the loop over ``k`` vectorises). O(count * len(row)).
    """
    a, b = perms.a, perms.b
    j = 0
    while j + 8 <= count:
        x0, x1 = _minhash_input(hashes[j]), _minhash_input(hashes[j + 1])
        x2, x3 = _minhash_input(hashes[j + 2]), _minhash_input(hashes[j + 3])
        x4, x5 = _minhash_input(hashes[j + 4]), _minhash_input(hashes[j + 5])
        x6, x7 = _minhash_input(hashes[j + 6]), _minhash_input(hashes[j + 7])
        for k in range(row.size):
            ak, bk = a[k], b[k]
            v01 = min(np.uint32(ak * x0 + bk), np.uint32(ak * x1 + bk))
            v23 = min(np.uint32(ak * x2 + bk), np.uint32(ak * x3 + bk))
            v45 = min(np.uint32(ak * x4 + bk), np.uint32(ak * x5 + bk))
            v67 = min(np.uint32(ak * x6 + bk), np.uint32(ak * x7 + bk))
            row[k] = min(row[k], min(min(v01, v23), min(v45, v67)))
        j += 8
    while j < count:
        x = _minhash_input(hashes[j])
        for k in range(row.size):
            row[k] = min(row[k], np.uint32(a[k] * x + b[k]))
        j += 1


@jit()
def _max_span(starts: np.ndarray, lo: int, hi: int) -> int:
    """Longest ``starts[d + 1] - starts[d]`` for ``lo <= d < hi``."""
    longest = 0
    for d in range(lo, hi):
        longest = max(longest, starts[d + 1] - starts[d])
    return longest


@jit(nogil=True)
def signatures_from_bytes(
    texts: Texts, rules: TokenRules, ngram: int, sha1: bool, perms: Permutations, out: np.ndarray
) -> None:
    """MinHash rows of ``texts`` into ``out`` (pre-filled with 0xFFFFFFFF), without building their sets.

    Texts go in tasks of :data:`DOCS_PER_TASK` that share scratch buffers (O(longest text) each).
    O(bytes + shingles * (ngram + num_perm)); with SHA-1, O(bytes * ngram + shingles * num_perm).
    """
    n = texts.starts.size - 1
    for lo in range(0, n, DOCS_PER_TASK):
        longest = _max_span(texts.starts, lo, min(n, lo + DOCS_PER_TASK))
        scratch = _new_scratch(longest + 1, 4 * longest + 8, sha1)
        hashes = np.empty(longest + 1, dtype=np.uint64)
        for d in range(lo, min(n, lo + DOCS_PER_TASK)):
            count = _shingles(scratch, scan_tokens(texts, d, rules, sha1, scratch), ngram, sha1, hashes)
            _permute_min(hashes, count, perms, out[d])


@jit(nogil=True)
def signatures_from_token_bytes(
    tokens: TokenTexts, ngram: int, sha1: bool, perms: Permutations, out: np.ndarray
) -> None:
    """MinHash rows of pre-tokenised texts into ``out`` (pre-filled), as :func:`signatures_from_bytes`.

    Texts go in tasks of :data:`DOCS_PER_TASK` that share scratch buffers. O(bytes + shingles * (ngram +
    num_perm)).
    """
    n = tokens.doc_tokens.size - 1
    for lo in range(0, n, DOCS_PER_TASK):
        most = 1
        longest = 1
        for d in range(lo, min(n, lo + DOCS_PER_TASK)):
            first, last = tokens.doc_tokens[d], tokens.doc_tokens[d + 1]
            most = max(most, last - first + 1)
            longest = max(longest, tokens.bounds[last] - tokens.bounds[first] + most)
        scratch = _new_scratch(most, longest, sha1)
        hashes = np.empty(most, dtype=np.uint64)
        for d in range(lo, min(n, lo + DOCS_PER_TASK)):
            count = _shingles(scratch, _given_tokens(tokens, d, sha1, scratch), ngram, sha1, hashes)
            _permute_min(hashes, count, perms, out[d])


@jit(nogil=True)
def signatures_from_csr(sets: tuple[np.ndarray, np.ndarray], first: int, perms: Permutations, out: np.ndarray) -> None:
    """MinHash row ``d`` of ``out`` (pre-filled) from CSR shingle set ``first + d`` of ``sets``.

    ``sets`` is a :class:`dedup.hashing.shingle.ShingleSets` (``offsets, hashes``). O(set sizes * num_perm).
    """
    offsets, hashes = sets
    for d in range(out.shape[0]):
        lo, hi = offsets[first + d], offsets[first + d + 1]
        _permute_min(hashes[lo:hi], hi - lo, perms, out[d])


@jit()
def _sort_hashes(seg: np.ndarray, buf: np.ndarray, counts: np.ndarray) -> None:
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
def shingle_sets(texts: Texts, rules: TokenRules, ngram: int, sha1: bool, out: np.ndarray, sizes: np.ndarray) -> int:
    """Sorted distinct shingle hashes of each text, one after the other in ``out``; return how many.

    Text ``d`` has ``sizes[d]`` of them. ``out`` must hold ``sum(nbytes // 2 + 1)`` values: a token is
    at least one byte, and two tokens without a separator between them include a character of three
    bytes (scripts without spaces), so a text of ``nbytes`` bytes has at most ``nbytes // 2 + 1`` tokens.
    O(bytes + s log s) for s shingles of a text.
    """
    longest = _max_span(texts.starts, 0, texts.starts.size - 1)
    scratch = _new_scratch(longest + 1, 4 * longest + 8, sha1)
    sort_buf = np.empty(SMALL_SORT, dtype=np.uint64)
    sort_counts = np.empty(257, dtype=np.int64)
    pos = 0
    for d in range(texts.starts.size - 1):
        count = _shingles(scratch, scan_tokens(texts, d, rules, sha1, scratch), ngram, sha1, out[pos:])
        seg = out[pos : pos + count]
        _sort_hashes(seg, sort_buf, sort_counts)
        size = min(count, 1)
        for j in range(1, count):
            if seg[j] != seg[size - 1]:
                seg[size] = seg[j]
                size += 1
        sizes[d] = size
        pos += size
    return pos


@jit(nogil=True)
def intersections(sets: tuple[np.ndarray, np.ndarray], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Size of the intersection of sorted CSR sets ``left[p]`` and ``right[p]`` of ``sets``.

    O(|left| + |right|) per pair.
    """
    offsets, hashes = sets
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


@jit(nogil=True)
def take_sets(sets: tuple[np.ndarray, np.ndarray], ids: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    """Copy set ``ids[i]`` of CSR ``sets`` to ``out[offsets[i]:offsets[i + 1]]`` (the caller sized them).

    ``sets`` may be memory-mapped: only the copied ranges are read. O(len(ids) + copied hashes).
    """
    src_offsets, hashes = sets
    for i in range(ids.size):
        start = src_offsets[ids[i]]
        length = offsets[i + 1] - offsets[i]
        out[offsets[i] : offsets[i] + length] = hashes[start : start + length]


@jit(nogil=True)
def place_sets(
    sets: tuple[np.ndarray, np.ndarray], ids: np.ndarray, rows: np.ndarray, offsets: np.ndarray, out: np.ndarray
) -> None:
    """Copy set ``ids[i]`` of CSR ``sets`` to row ``rows[i]`` of CSR ``(offsets, out)`` (the caller sized them).

    ``sets`` may be memory-mapped: only the copied ranges are read. O(len(ids) + copied hashes).
    """
    src_offsets, hashes = sets
    for i in range(ids.size):
        start, row = src_offsets[ids[i]], rows[i]
        length = offsets[row + 1] - offsets[row]
        out[offsets[row] : offsets[row] + length] = hashes[start : start + length]
