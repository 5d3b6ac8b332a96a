"""Site templates: short lines repeated across many pages of one site are chrome on all of them.

A navigation label, a newsletter blurb or a footer line comes back on every page a site
serves; no single page shows it is chrome, but the site's pages together do. A line counts once
per page, by its case-folded text, whether or not the per-page stripper already removed it
there: a menu line the classifier caught on most pages is still a template on the pages where
it slipped through.

>>> from dedup.config import StripConfig
>>> pages = [[Paragraph(f"d{i}", 0, 1, "Home"), Paragraph(f"d{i}", 1, 2, f"Story number {i}.")] for i in range(4)]
>>> out = mark_templates(pages, ["a.com"] * 4, StripConfig())
>>> [p.kept for p in out[0]], out[0][0].removed.detail
([False, True], "in 4 of 4 pages of site 'a.com'")
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import regex

from dedup.config import StripConfig
from dedup.records import Paragraph, Removal


def _template_key(text: str) -> str:
    """The text a template is recognised by: case-folded (digits stay: "Story 1" is not "Story 2").

    >>> _template_key("© 2019 Example News")
    '© 2019 example news'
    """
    return text.casefold()


def template_key(text: str, max_words: int) -> str | None:
    """The key a paragraph counts under as a template line, or ``None`` when it has more than ``max_words``
    words (it cannot be one).

    >>> template_key("Home", 25), template_key("one two three", 2)
    ('home', None)
    """
    return None if _more_words(max_words).match(text) else _template_key(text)


def template_removal(found: int, pages: int, site: str) -> Removal:
    """The removal of a template line found on ``found`` of the ``pages`` pages of ``site``."""
    return Removal(stage="template", rule="template", detail=f"in {found} of {pages} pages of site {site!r}")


def mark_templates(
    docs: Sequence[Sequence[Paragraph]], sites: Sequence[str | None], config: StripConfig
) -> list[list[Paragraph]]:
    """Mark as removed, in every page, the kept short lines that a large share of its site's pages carry.

    Args:
        docs: each document's paragraphs (after the per-page stripper).
        sites: each document's site, ``None`` where unknown (such pages are left alone).
        config: ``template_min_docs``, ``template_share`` and ``template_max_words`` apply.

    Returns:
        The documents, paragraph for paragraph, with template lines marked
        ``Removal(stage="template", rule="template", detail=...)``.

    Raises:
        ValueError: when ``docs`` and ``sites`` differ in length.
    """
    if len(docs) != len(sites):
        raise ValueError(f"mark_templates got {len(docs)} documents but {len(sites)} sites")
    pages: dict[str, int] = Counter(s for s in sites if s is not None)
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    keys: list[list[str | None]] = []  # per document and paragraph: its template key, None when not short
    for doc, site in zip(docs, sites, strict=True):
        if site is not None and pages[site] >= config.template_min_docs:
            doc_keys = [template_key(p.text, config.template_max_words) for p in doc]
            seen[site].update({k for k in doc_keys if k is not None})
        else:
            doc_keys = []
        keys.append(doc_keys)
    out: list[list[Paragraph]] = []
    for doc, site, doc_keys in zip(docs, sites, keys, strict=True):
        lines = list(doc)
        if site in seen:
            need = max(config.template_min_docs, math.ceil(config.template_share * pages[site]))
            counts = seen[site]
            for i, (p, key) in enumerate(zip(lines, doc_keys, strict=True)):
                found = counts[key] if key is not None and p.kept else 0
                if found >= need:
                    lines[i] = p.remove(template_removal(found, pages[site], site))
        out.append(lines)
    return out


@functools.lru_cache(maxsize=8)
def _more_words(max_words: int) -> regex.Pattern[str]:
    """A pattern that matches at the start of a text with more than ``max_words`` words.

    Words are runs of word characters, as :data:`dedup.text.WORD_RE` finds them.

    Possessive runs, so that no word is split in two, and only the first ``max_words + 1`` words are read
    (a long article paragraph costs no more than a short one).

    >>> [bool(_more_words(2).match(t)) for t in ("one, two", "one two three", "--")]
    [False, True, False]
    """
    return regex.compile(rf"(?:\W*+\w++){{{max_words + 1}}}")
