"""One BLAS thread for dedup's matrix products, which are small (a page's lines by a few dozen units).

numpy's OpenBLAS splits a product over every core once it has a few dozen rows, and its helper
threads then spin between calls: on the line taggers that costs about three times the CPU of one
thread, for no gain in time, and dedup parallelises over documents (``--jobs``) instead. One thread
gives the same bits (OpenBLAS splits rows, not the sums inside a row).

>>> import numpy as np
>>> with one_blas_thread():
...     float((np.ones((64, 8), dtype=np.float32) @ np.ones(8, dtype=np.float32)).sum())
512.0
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController


@functools.cache
def _controller() -> ThreadpoolController:
    """The loaded thread pools, found once (finding them walks the process's libraries)."""
    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS limited to one thread (about 13 microseconds to enter and leave)."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
