"""The peer the stripper is measured against: jusText run on plain-text lines.

jusText needs HTML; the plain-text dump is given to it with one ``<p>`` per line, which is how
users without the page's HTML run it today. The stoplist is English (most of the pages are).
jusText is a development dependency (``pip install -e '.[dev]'``); :func:`available` says whether it is
installed.
"""

from __future__ import annotations

import functools
import html
import importlib.util
from collections.abc import Iterator, Sequence
from typing import Any


def available() -> bool:
    """Whether jusText is installed."""
    return importlib.util.find_spec("justext") is not None


@functools.cache
def english_stoplist() -> frozenset[str]:
    """jusText's English stoplist, read once."""
    import justext

    return frozenset(justext.get_stoplist("English"))


def justext_lines(lines: Sequence[str]) -> list[str]:
    """The lines jusText keeps (its non-boilerplate paragraphs) of a page given one ``<p>`` per line."""
    import justext

    page = "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines) + "</body></html>"
    found = justext.justext(page.encode("utf-8"), english_stoplist(), encoding="utf-8")
    return [p.text for p in found if not p.is_boilerplate]


def run_justext(pairs: Sequence[Any]) -> Iterator[str]:
    """jusText's non-boilerplate paragraphs for each pair's lines, joined by newlines."""
    for pair in pairs:
        yield "\n".join(justext_lines(pair.lines))
