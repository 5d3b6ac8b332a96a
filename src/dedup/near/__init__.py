"""Near-duplicate finding: which paragraphs repeat which, with the similarity (kernels in ``_kernels``).

- :mod:`~dedup.near.exact`: verbatim repeats inside one document.
- :mod:`~dedup.near.pairs`: pairs of rows as two index arrays (:class:`Pairs`).
- :mod:`~dedup.near.banding`: LSH banding over signatures (candidate pairs of similar texts).
- :mod:`~dedup.near.screen`: the containment screen within a document (on signatures).
- :mod:`~dedup.near.prefix`: the prefix join across documents (every possible containment).
- :mod:`~dedup.near.match`: exact verification of candidates, clusters and the keep rule.
- :mod:`~dedup.near.clusters`: the public finder, cluster values and their formatting.

A new candidate generator (another index, a persistent store) goes beside ``banding``.
"""

from __future__ import annotations

from dedup.near.clusters import Cluster, Member, find_duplicates, format_clusters, mark_duplicates
from dedup.near.exact import mark_exact_repeats

__all__ = ["Cluster", "Member", "find_duplicates", "format_clusters", "mark_duplicates", "mark_exact_repeats"]
