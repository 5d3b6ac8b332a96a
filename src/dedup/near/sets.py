"""Where the finder reads shingle sets from: memory, or a store on disk that a streaming engine provides.

The finder numbers the paragraphs it matches by *position* (document order, then place in the
document). It reads their shingle sets through a :class:`SetSource`: every set once, part by part, for
the passes over the whole corpus (shingle counts, prefixes, holders), and pairs of sets for exact
verification. :class:`MemorySets` serves sets held in memory as one part; a streaming engine serves
sets stored on disk a shard at a time, so the finder never holds every set at once. Both give the same
numbers, so the finder's decisions do not depend on where the sets live.

>>> from dedup.hashing import shingle_hashes
>>> source = MemorySets(shingle_hashes(["a b c d", "a b c", "x y z"]))
>>> source.sizes().tolist(), source.total
([2, 1, 1], 4)
>>> jaccard, contained = source.similarity(np.array([1]), np.array([0]))
>>> float(jaccard[0]), float(contained[0])
(0.5, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from dedup.hashing import ShingleSets

__all__ = ["MemorySets", "SetSource"]


class SetSource(Protocol):
    """The shingle sets of the paragraphs a finder matches, by position ``0 .. n - 1``."""

    @property
    def total(self) -> int:
        """The number of hashes in all sets."""
        ...

    def sizes(self) -> NDArray[np.integer[Any]]:
        """Each set's number of hashes, by position."""
        ...

    def parts(self) -> Iterator[tuple[NDArray[np.int64], ShingleSets]]:
        """Every set once, in parts ``(positions, sets)``: set ``i`` of ``sets`` is at ``positions[i]``."""
        ...

    def similarity(
        self, left: NDArray[np.int64], right: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Exact ``(jaccard, containment)`` of the set pairs at positions ``(left[p], right[p])``, as
        :meth:`ShingleSets.similarity` computes them."""
        ...


class MemorySets:
    """A :class:`SetSource` over sets held in memory, positions being the sets' numbers."""

    def __init__(self, sets: ShingleSets) -> None:
        self.sets = sets

    @property
    def total(self) -> int:
        """The number of hashes in all sets."""
        return int(self.sets.hashes.size)

    def sizes(self) -> NDArray[np.integer[Any]]:
        """Each set's number of hashes."""
        return self.sets.sizes()

    def parts(self) -> Iterator[tuple[NDArray[np.int64], ShingleSets]]:
        """All sets as one part."""
        yield np.arange(self.sets.offsets.size - 1, dtype=np.int64), self.sets

    def similarity(
        self, left: NDArray[np.int64], right: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Exact ``(jaccard, containment)`` of set pairs."""
        return self.sets.similarity(left, right)
