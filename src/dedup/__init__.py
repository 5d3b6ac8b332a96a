"""dedup: clean, canonical, de-duplicated text from scraped articles.

>>> import dedup
>>> dedup.clean_text("Firstly , the visit.\\n\\nFirstly , the visit.\\n")
'Firstly, the visit.\\n'
>>> dedup.text.normalize("caf\\u0065\\u0301  au lait")
'café au lait\\n'
>>> sigs = dedup.signatures(["The visit is of great significance.", "The visit is of great significance!"])
>>> sigs.shape, bool((sigs[0] == sigs[1]).all())
((2, 128), True)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from dedup.config import CleanConfig, Config, DedupConfig, MinHashConfig, StripConfig
from dedup.engines.index import Index
from dedup.engines.stream import clean_stream
from dedup.hashing.minhash import (
    estimate_jaccard,
    lean_minhashes,
    signatures,
    signatures_from_hashes,
    signatures_from_tokens,
)
from dedup.hashing.shingle import pair_similarity, shingle_hashes
from dedup.hashing.tokens import tokenize
from dedup.near.clusters import Cluster, Member, find_duplicates, format_clusters
from dedup.pipeline import clean_documents, clean_text
from dedup.records import CleanedDocument, Document, Edit, Paragraph, ParagraphRef, Removal
from dedup.text.normalize import normalize, normalize_paragraph
from dedup.text.segment import segment

try:
    __version__ = version("dedup-text")  # the distribution's name: "dedup" is taken on PyPI
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "CleanConfig",
    "CleanedDocument",
    "Cluster",
    "Config",
    "DedupConfig",
    "Document",
    "Edit",
    "Index",
    "Member",
    "MinHashConfig",
    "Paragraph",
    "ParagraphRef",
    "Removal",
    "StripConfig",
    "__version__",
    "clean_documents",
    "clean_stream",
    "clean_text",
    "estimate_jaccard",
    "find_duplicates",
    "format_clusters",
    "lean_minhashes",
    "normalize",
    "normalize_paragraph",
    "pair_similarity",
    "segment",
    "shingle_hashes",
    "signatures",
    "signatures_from_hashes",
    "signatures_from_tokens",
    "tokenize",
]
