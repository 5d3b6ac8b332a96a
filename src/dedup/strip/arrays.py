"""The arrays that travel together into the line-measure kernels of ``dedup.strip._kernels``, as named tuples.

They live apart from the kernels so that the kernel file stays within the module size; numba keys
a compiled kernel on the types of its arguments, fields included, so a change here cannot leave
stale machine code in the cache (a constant would: the kernels' flags stay in ``_kernels``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = ["CharTable", "Page", "Scratch", "TokenTable"]


class CharTable(NamedTuple):
    """Per code point (0 to 0x10FFFF): ``classes``, its flags; ``lower``, its ``str.lower`` (or ``NO_LOWER``)."""

    classes: NDArray[np.uint16]
    lower: NDArray[np.uint32]


class TokenTable(NamedTuple):
    """A set of tokens (strings as code points) with a value each, for exact look-ups by hash.

    Token ``k`` is ``cps[offsets[k]:offsets[k + 1]]``, with hash ``hashes[k]`` (the kernels' ``_mix``) and value
    ``values[k]``; ``slots`` (a power of two long, at most a quarter full) holds token numbers or -1 at ``h %
    len(slots)`` or the next free slot after it. No token is longer than ``max_len`` code points.
    """

    slots: NDArray[np.int64]
    hashes: NDArray[np.uint64]
    offsets: NDArray[np.int64]
    cps: NDArray[np.uint32]
    values: NDArray[np.float64]
    max_len: int


class Page(NamedTuple):
    """A page's code points; line ``i`` is ``cps[starts[i]:ends[i]]``."""

    cps: NDArray[np.uint32]
    starts: NDArray[np.int64]
    ends: NDArray[np.int64]


class Scratch(NamedTuple):
    """Buffers of ``measure_lines``: the current and previous word, a token, the line each lexicon token
    last counted for (``seen``), the lexicon's bias and then a line's token weights (``hits``), and
    ``exact_sum``'s partials."""

    word: NDArray[np.uint32]
    prev: NDArray[np.uint32]
    token: NDArray[np.uint32]
    seen: NDArray[np.int64]
    hits: NDArray[np.float64]
    partials: NDArray[np.float64]
