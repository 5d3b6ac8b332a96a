"""Freed heap memory given back to the system between the corpus steps.

glibc's allocator keeps freed blocks smaller than its (growing) mapping threshold in the process's heap,
so after a step that made and dropped many arrays of a few megabytes, the process stays as large as
that step's peak, and the next step starts from there: at 300k records the corpus steps held 230 MB
of freed memory that way. :func:`release` asks the allocator to return what it can (``malloc_trim``);
where the C library has no such call (musl, macOS), it does nothing.

>>> release()  # safe anywhere, any number of times
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

__all__ = ["release"]


@functools.cache
def _trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` where the C library lacks it."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else ctypes.CDLL(None)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release() -> None:
    """Return the heap's free memory to the system where the C library allows it (a few milliseconds)."""
    trim = _trim()
    if trim is not None:
        trim(0)
