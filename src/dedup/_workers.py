"""Worker processes that die with their parent and never swallow a signal: what every engine's pool needs.

A worker leaves Ctrl-C to its parent, dies quietly on SIGTERM and exits when its parent is gone
(:func:`watch_parent`, the pool's initializer); the parent holds SIGINT and SIGTERM while it forks
(:func:`signals_held`) and ends its workers at once when a run fails or is interrupted
(:func:`stop_workers`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

__all__ = ["PARENT_POLL_SECONDS", "signals_held", "stop_workers", "watch_parent"]

PARENT_POLL_SECONDS = 0.2
"""How often a worker process checks that its parent is still alive."""


def watch_parent(parent: int) -> None:
    """Worker start-up: leave Ctrl-C to the parent, die quietly on SIGTERM, exit when the parent is gone.

    A forked worker inherits the CLI's SIGTERM handler, which raises an exception: the parent ending
    its workers (:func:`stop_workers`) would then print a traceback from each. A worker whose parent
    was killed (SIGKILL, an out-of-memory kill) would otherwise block for good in a queue put,
    holding its memory.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.enable()  # forked while the parent had paused it (_collector_paused): a worker's garbage is its own

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="dedup-parent-watch", daemon=True).start()


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the block runs (forking the workers); deliver one that came after it.

    A handler that raises (Ctrl-C, the CLI's SIGTERM) would otherwise raise inside a fork hook, such as
    logging's, where the exception is printed and ignored and the run goes on.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: arrived.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if arrived:
            signal.raise_signal(arrived[0])


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now (the run is failing or interrupted: their results are not wanted)."""
    workers = dict(getattr(pool, "_processes", None) or {})  # not public API: empty if it ever goes
    for process in workers.values():
        with contextlib.suppress(Exception):
            process.terminate()
    pool.shutdown(wait=False)  # not cancel_futures: see _ordered_results
