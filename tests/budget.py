"""How hard the property tests try: in full under CI (``CI`` set) or with ``--slow``, a quarter as hard in a
plain local run, so that the default run stays quick while CI still searches as widely as before.

>>> examples(400) in (400, 100)
True
"""

from __future__ import annotations

import os

FULL = bool(os.environ.get("CI"))
"""Whether to run every example; ``conftest.py`` sets it for ``--slow`` before the tests are collected."""

LOCAL_SHARE = 4
LOCAL_MIN = 10


def examples(count: int) -> int:
    """The ``max_examples`` for a property test that CI runs with ``count`` examples."""
    return count if FULL else max(min(count, LOCAL_MIN), count // LOCAL_SHARE)
