"""Hashing: texts into tokens, shingle sets and MinHash signatures (numba kernels in ``_kernels``).

- :mod:`~dedup.hashing.tokens`: the Unicode token classes and the Python reference tokenizer.
- :mod:`~dedup.hashing.shingle`: shingle hash sets (CSR) and exact set similarity.
- :mod:`~dedup.hashing.minhash`: MinHash signatures, datasketch-compatible.
"""

from __future__ import annotations

from dedup.hashing.minhash import (
    estimate_jaccard,
    lean_minhashes,
    signatures,
    signatures_from_hashes,
    signatures_from_tokens,
)
from dedup.hashing.shingle import pair_similarity, shingle_hashes
from dedup.hashing.tokens import tokenize

__all__ = [
    "estimate_jaccard",
    "lean_minhashes",
    "pair_similarity",
    "shingle_hashes",
    "signatures",
    "signatures_from_hashes",
    "signatures_from_tokens",
    "tokenize",
]
