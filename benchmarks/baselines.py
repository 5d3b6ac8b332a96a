"""Baselines for ``quality.py``: jusText run on plain-text lines.

jusText needs HTML; the plain-text dump is given to it with one ``<p>`` per line, which is how
users without the page's HTML run it today. The stoplist is English (most of the pages are).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Any

import justext


def run_justext(pairs: Sequence[Any]) -> Iterator[str]:
    """jusText's non-boilerplate paragraphs for each pair's lines, joined by newlines."""
    stoplist = justext.get_stoplist("English")
    for pair in pairs:
        page = "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in pair.lines) + "</body></html>"
        found = justext.justext(page.encode("utf-8"), stoplist, encoding="utf-8")
        kept = [p.text for p in found if not p.is_boilerplate]
        yield "\n".join(kept)
