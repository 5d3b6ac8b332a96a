"""Text repair and segmentation: raw text into canonical paragraphs (removes nothing).

- :mod:`~dedup.text.segment`: a text into paragraphs, for both layouts scrapers write.
- :mod:`~dedup.text.normalize`: the canonical cleaner (Unicode repair, NFC, spacing).
- :mod:`~dedup.text.pieces`: regex helpers that stay linear on huge lines.
"""

from __future__ import annotations

from dedup.text.normalize import SURROGATE, fix_surrogates, normalize, normalize_paragraph
from dedup.text.pieces import WORD_RE, count, findall_pieces, is_long, piece_spans
from dedup.text.segment import Block, segment

__all__ = [
    "SURROGATE",
    "WORD_RE",
    "Block",
    "count",
    "findall_pieces",
    "fix_surrogates",
    "is_long",
    "normalize",
    "normalize_paragraph",
    "piece_spans",
    "segment",
]
