"""Boilerplate stripping: which lines of a page are site chrome, and why.

Data flow inside: :mod:`~dedup.strip.rules` (chrome rules as data) and :mod:`~dedup.strip.features`
(per-line features, with :mod:`~dedup.strip.lexicon`) feed :mod:`~dedup.strip.classifier` (the GRU
line taggers of :mod:`~dedup.strip.tagger`, kernels in ``_kernels``); :mod:`~dedup.strip.stripper`
combines rules, scores and page context into decisions; :mod:`~dedup.strip.templates` finds lines
repeated across one site's pages. A new rule is a line in ``data/chrome.txt``; a new per-page
heuristic goes in the stripper.
"""

from __future__ import annotations

from dedup.strip.stripper import strip_paragraphs
from dedup.strip.templates import mark_templates

__all__ = ["mark_templates", "strip_paragraphs"]
