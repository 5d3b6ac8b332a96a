"""Hashing: texts into tokens, shingle sets and MinHash signatures (numba kernels in ``_kernels``).

- :mod:`~dedup.hashing.tokens`: the Unicode token classes and the Python reference tokenizer.
- :mod:`~dedup.hashing.batching`: UTF-8 encoding in batches and the threads that run the kernels.
- :mod:`~dedup.hashing.shingle`: shingle hash sets (:class:`ShingleSets`, CSR) and exact set similarity.
- :mod:`~dedup.hashing.minhash`: MinHash signatures, datasketch-compatible.
"""

from __future__ import annotations

from dedup.hashing.minhash import (
    Permutations,
    estimate_jaccard,
    lean_minhashes,
    permutations,
    signatures,
    signatures_from_hashes,
    signatures_from_tokens,
)
from dedup.hashing.shingle import ShingleSets, pair_similarity, shingle_hashes
from dedup.hashing.tokens import tokenize

__all__ = [
    "Permutations",
    "ShingleSets",
    "estimate_jaccard",
    "lean_minhashes",
    "pair_similarity",
    "permutations",
    "shingle_hashes",
    "signatures",
    "signatures_from_hashes",
    "signatures_from_tokens",
    "tokenize",
]
