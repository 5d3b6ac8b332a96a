"""``numba.njit`` with the on-disk cache where numba can write one, and without it where it cannot.

numba picks a cache folder when a kernel is decorated: ``NUMBA_CACHE_DIR`` if set, else the module's
``__pycache__``, else a user-wide folder (``~/.cache/numba``); it raises ``RuntimeError`` when none of
them is writable, which made ``import dedup`` fail for a read-only install with a read-only (or no) home.
Every kernel module (one ``_kernels.py`` per subpackage) is installed with this one, so one probe here
answers for all of them: where caching
fails, :func:`jit` compiles in memory (each process pays the compile time again) and the import
gives one :class:`~dedup.errors.KernelCacheWarning` that says why and how to fix it. Parallel kernels run on a
fork-safe threading layer unless ``NUMBA_THREADING_LAYER`` says otherwise (see below).

>>> from dedup.strip._kernels import gru_states  # like every kernel, decorated with jit
>>> (gru_states.stats.cache_path is None) == (CACHE_PROBLEM is not None)
True
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numba
from numba import njit

from dedup.errors import KernelCacheWarning

__all__ = ["CACHE_PROBLEM", "jit"]

F = TypeVar("F", bound=Callable[..., Any])


def _probe() -> None:
    """A kernel that is decorated, never compiled: decorating it asks numba for a cache folder."""


def _cache_problem() -> str | None:
    """Why numba cannot cache kernels defined in this folder, or ``None`` when it can."""
    try:
        njit(cache=True)(_probe)
    except RuntimeError as exc:  # numba's "cannot cache function ...: no locator available for file ..."
        return str(exc)
    return None


CACHE_PROBLEM = _cache_problem()
if CACHE_PROBLEM is not None:
    warnings.warn(
        f"dedup: numba cannot write its kernel cache ({CACHE_PROBLEM}); compiling the kernels in memory "
        "instead, so every process compiles them again. Set NUMBA_CACHE_DIR to a writable folder to cache them.",
        KernelCacheWarning,
        stacklevel=1,  # the import machinery above has no line worth showing; this one says where
    )


if not os.environ.get("NUMBA_THREADING_LAYER"):
    # numba's default picks GNU OpenMP where TBB is missing, and a process forked after an OpenMP kernel ran
    # dies when it runs one ("fork() called from a process already using GNU OpenMP"): a library user cleaning
    # twice in one process with worker processes, or any worker forked after the corpus steps ran. A
    # fork-safe layer (TBB where installed, else numba's own work queue) gives the same results.
    numba.config.THREADING_LAYER = "forksafe"  # type: ignore[attr-defined]


def jit(**options: Any) -> Callable[[F], F]:
    """``numba.njit(**options)``, cached on disk when :data:`CACHE_PROBLEM` is ``None``.

    Args:
        options: numba's own options (``nogil``, ``parallel``, ``inline``); not ``cache``, decided here.

    Returns:
        A decorator that turns a function into a numba dispatcher (typed as the function, so that mypy
        checks calls to kernels against their annotations).
    """
    decorator: Callable[[F], F] = njit(cache=CACHE_PROBLEM is None, **options)
    return decorator
