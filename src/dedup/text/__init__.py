"""Text repair and segmentation: raw text into canonical paragraphs (removes nothing).

- :mod:`~dedup.text.segment`: a text into paragraphs, for both layouts scrapers write.
- :mod:`~dedup.text.normalize`: the canonical cleaner (Unicode repair, NFC, spacing).
- :mod:`~dedup.text.pieces`: regex helpers that stay linear on huge lines.
"""

from __future__ import annotations

from dedup.text.normalize import fix_surrogates, normalize, normalize_paragraph
from dedup.text.segment import segment

__all__ = ["fix_surrogates", "normalize", "normalize_paragraph", "segment"]
