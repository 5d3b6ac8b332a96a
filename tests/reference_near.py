"""Plain-Python references for the near-duplicate finder's tests."""

from __future__ import annotations


def components_of(n: int, pairs: set[tuple[int, int]]) -> list[list[int]]:
    """Connected components by repeated merging (plain Python)."""
    groups = [{i} for i in range(n)]
    for a, b in pairs:
        ga = next(g for g in groups if a in g)
        gb = next(g for g in groups if b in g)
        if ga is not gb:
            ga |= gb
            groups.remove(gb)
    return sorted(sorted(g) for g in groups)
