"""Baselines for ``quality.py`` and ``bench_strip.py``: jusText run on plain-text lines.

jusText needs HTML; the plain-text dump is given to it with one ``<p>`` per line, which is how
users without the page's HTML run it today. The stoplist is English (most of the pages are).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterator, Sequence
from typing import Any

import justext


@functools.cache
def english_stoplist() -> frozenset[str]:
    """jusText's English stoplist, read once."""
    return frozenset(justext.get_stoplist("English"))


def justext_lines(lines: Sequence[str]) -> list[str]:
    """The lines jusText keeps (its non-boilerplate paragraphs) of a page given one ``<p>`` per line."""
    page = "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines) + "</body></html>"
    found = justext.justext(page.encode("utf-8"), english_stoplist(), encoding="utf-8")
    return [p.text for p in found if not p.is_boilerplate]


def run_justext(pairs: Sequence[Any]) -> Iterator[str]:
    """jusText's non-boilerplate paragraphs for each pair's lines, joined by newlines."""
    for pair in pairs:
        yield "\n".join(justext_lines(pair.lines))
