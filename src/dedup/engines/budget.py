"""The memory budget of a streaming run: how much RAM its sorts and buffers may take before spilling to disk.

``--memory 2G`` sets it; without it the budget is a share of the memory the machine has available
(:func:`default_memory`). The budget bounds what grows with the corpus (sorted runs of keys, candidate
pairs, buffers of sets); the worker processes, the models and the few integers kept per paragraph and
per document come on top (see ``docs/streaming.md``).

>>> parse_memory("512M"), parse_memory("1.5G"), parse_memory("2GB"), parse_memory("300000000")
(536870912, 1610612736, 2147483648, 300000000)
>>> parse_memory("lots")
Traceback (most recent call last):
...
dedup.errors.UsageError: --memory must be a size such as 512M or 2G, not 'lots'
"""

from __future__ import annotations

import os
import re

from dedup.errors import UsageError

__all__ = ["MIN_MEMORY", "default_memory", "parse_memory"]

MIN_MEMORY = 64 << 20
"""The smallest budget taken (64 MiB): below it every sort would spill runs of a few keys."""

DEFAULT_SHARE = 0.125
"""Share of the memory available at start-up that the default budget takes."""

DEFAULT_CAP = 1 << 30
"""The default budget never exceeds 1 GiB: larger sorts gain little over spilling, and the rest of the
machine's memory is better left to the page cache that reading the spilled runs goes through."""

SIZE = re.compile(r"\A\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*\Z", re.IGNORECASE)
UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_memory(text: str) -> int:
    """Bytes from a size: a number with an optional unit K, M, G or T (powers of 1024; ``B``/``iB`` allowed).

    Raises:
        UsageError: ``text`` is not a size, or is smaller than :data:`MIN_MEMORY`.
    """
    match = SIZE.match(text)
    if match is None:
        raise UsageError(f"--memory must be a size such as 512M or 2G, not {text!r}")
    size = int(float(match[1]) * UNITS[match[2].lower()])
    if size < MIN_MEMORY:
        raise UsageError(f"--memory must be at least {MIN_MEMORY >> 20}M, not {text!r}")
    return size


def default_memory() -> int:
    """The default budget: an eighth of the memory available now, at most 1 GiB, at least 64 MiB.

    >>> MIN_MEMORY <= default_memory() <= DEFAULT_CAP
    True
    """
    return max(MIN_MEMORY, min(DEFAULT_CAP, int(_available() * DEFAULT_SHARE)))


def _available() -> int:
    """Memory available to new work, in bytes: ``MemAvailable`` of ``/proc/meminfo``, else the physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError):
        return 8 << 30
