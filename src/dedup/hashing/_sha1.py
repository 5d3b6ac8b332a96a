"""SHA-1 in numba, for the datasketch-compatible shingle hash (``datasketch.hashfunc.sha1_hash32``).

Written from FIPS 180-4; checked against :mod:`hashlib` by the tests. 32-bit words are kept masked in
uint64 (numba would turn mixed signed/unsigned arithmetic into floats).
"""

from __future__ import annotations

import numpy as np

from dedup._jit import jit

U64 = np.uint64
M32 = np.uint64(0xFFFFFFFF)


@jit(inline="always")
def rotl32(x: np.uint64, n: int) -> np.uint64:
    return ((x << U64(n)) | (x >> U64(32 - n))) & M32


@jit(inline="always")
def bswap32(x: np.uint64) -> np.uint64:
    return (
        ((x & U64(0xFF)) << U64(24))
        | ((x & U64(0xFF00)) << U64(8))
        | ((x >> U64(8)) & U64(0xFF00))
        | ((x >> U64(24)) & U64(0xFF))
    )


@jit(inline="always")
def schedule(buf: np.ndarray, start: int, length: int, base: int, last: bool, w: np.ndarray) -> None:
    """The 80-word message schedule of the block at byte ``base`` of the padded message, into ``w``."""
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
        w[t] = rotl32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1)


@jit()
def sha1_64(buf: np.ndarray, start: int, end: int, w: np.ndarray) -> np.uint64:
    """The first 8 bytes of SHA-1(``buf[start:end]``) as a little-endian uint64 (FIPS 180-4).

    Its low 32 bits are datasketch's ``sha1_hash32``. ``w`` is scratch of 80 uint64. O(end - start).
    """
    h0, h1, h2, h3, h4 = U64(0x67452301), U64(0xEFCDAB89), U64(0x98BADCFE), U64(0x10325476), U64(0xC3D2E1F0)
    length = end - start
    nblocks = (length + 72) // 64
    for blk in range(nblocks):
        base = blk * 64
        schedule(buf, start, length, base, blk == nblocks - 1, w)
        a, b, c, d, e = h0, h1, h2, h3, h4
        for t in range(20):
            temp = (rotl32(a, 5) + ((b & c) | ((b ^ M32) & d)) + e + U64(0x5A827999) + w[t]) & M32
            a, b, c, d, e = temp, a, rotl32(b, 30), c, d
        for t in range(20, 40):
            temp = (rotl32(a, 5) + (b ^ c ^ d) + e + U64(0x6ED9EBA1) + w[t]) & M32
            a, b, c, d, e = temp, a, rotl32(b, 30), c, d
        for t in range(40, 60):
            temp = (rotl32(a, 5) + ((b & c) | (b & d) | (c & d)) + e + U64(0x8F1BBCDC) + w[t]) & M32
            a, b, c, d, e = temp, a, rotl32(b, 30), c, d
        for t in range(60, 80):
            temp = (rotl32(a, 5) + (b ^ c ^ d) + e + U64(0xCA62C1D6) + w[t]) & M32
            a, b, c, d, e = temp, a, rotl32(b, 30), c, d
        h0 = (h0 + a) & M32
        h1 = (h1 + b) & M32
        h2 = (h2 + c) & M32
        h3 = (h3 + d) & M32
        h4 = (h4 + e) & M32
    return bswap32(h0) | (bswap32(h1) << U64(32))
