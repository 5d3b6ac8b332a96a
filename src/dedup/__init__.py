"""dedup: clean, canonical, de-duplicated text from scraped articles.

>>> import dedup
>>> no_strip = dedup.Config(strip=dedup.StripConfig(enabled=False))
>>> dedup.clean_text("Firstly , the visit.\\n\\nFirstly , the visit.\\n", no_strip)
'Firstly, the visit.\\n'
>>> dedup.normalize("caf\\u0065\\u0301  au lait")
'café au lait\\n'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from dedup.config import CleanConfig, Config, DedupConfig, MinHashConfig, StripConfig
from dedup.model import CleanedDocument, Document, Edit, Paragraph, ParagraphRef, Removal
from dedup.normalize import normalize, normalize_paragraph
from dedup.pipeline import clean_documents, clean_text
from dedup.segment import segment

try:
    __version__ = version("dedup")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "CleanConfig",
    "CleanedDocument",
    "Config",
    "DedupConfig",
    "Document",
    "Edit",
    "MinHashConfig",
    "Paragraph",
    "ParagraphRef",
    "Removal",
    "StripConfig",
    "__version__",
    "clean_documents",
    "clean_text",
    "normalize",
    "normalize_paragraph",
    "segment",
]
