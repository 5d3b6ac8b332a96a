"""Near-duplicate finding: which paragraphs repeat which, with the similarity (kernels in ``_kernels``).

- :mod:`~dedup.near.exact`: verbatim repeats inside one document.
- :mod:`~dedup.near.lsh`: LSH banding, the containment screen and the prefix join (candidate pairs).
- :mod:`~dedup.near.match`: exact verification of candidates, clusters and the keep rule.
- :mod:`~dedup.near.clusters`: the public finder, cluster values and their formatting.

A new candidate generator (another index, a persistent store) goes beside ``lsh``.
"""

from __future__ import annotations

from dedup.near.clusters import Cluster, Member, find_duplicates, format_clusters, mark_duplicates
from dedup.near.exact import mark_exact_repeats

__all__ = ["Cluster", "Member", "find_duplicates", "format_clusters", "mark_duplicates", "mark_exact_repeats"]
