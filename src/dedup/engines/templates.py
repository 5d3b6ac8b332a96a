"""Site templates over the whole corpus, on digests: the lines a large share of a site's pages carry.

The same rule as :func:`dedup.strip.templates.mark_templates`, counted without holding the corpus: each
page contributes each of its template keys once (:mod:`dedup.engines.extract` digests the site with the
case-folded line), and a line is a template of its site when at least
``max(template_min_docs, ceil(template_share * pages))`` of the site's pages carry it. Two passes keep the
count exact and the memory small: the first sorts the keys' first 64 bits (spilling under the budget)
and keeps those counted at least ``template_min_docs`` times, the second counts the full 128-bit keys of
only those, with their site's page count.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np
from numpy.typing import NDArray

from dedup.config import StripConfig
from dedup.engines.documents import Documents, site_index
from dedup.engines.shard import FolderArrays, load_array
from dedup.near.sorting import Sorters

__all__ = ["Templates", "counted", "find_templates", "least_pages"]

Templates = dict[tuple[int, int], tuple[int, int]]
"""Template keys (128-bit digests, as two ints) and, for each, ``(pages carrying it, pages of its site)``."""


def find_templates(docs: Documents, config: StripConfig, sorters: Sorters) -> Templates:
    """The template lines of every site of the corpus (none when the stripper is off)."""
    if not config.enabled:
        return {}
    dropped = docs.dropped()
    candidates = _often(_first_halves(docs, dropped), config.template_min_docs, sorters)
    if not candidates.size:
        return {}
    found = _exact_counts(docs, dropped, candidates)
    if not found:
        return {}
    keys = list(found)
    sites = np.array([found[k][1] for k in keys], dtype=np.uint64).reshape(-1, 2)
    pages = docs.pages[site_index(docs.sites, sites)]
    table: Templates = {}
    for key, total in zip(keys, pages.tolist(), strict=True):
        count = found[key][0]
        if count >= least_pages(config, total):
            table[key] = (count, total)
    return table


def least_pages(config: StripConfig, pages: int) -> int:
    """The pages of a site of ``pages`` pages that must carry a line for it to be a template line.

    >>> least_pages(StripConfig(template_min_docs=3, template_share=0.5), 10)
    5
    """
    return max(config.template_min_docs, math.ceil(config.template_share * pages))


def counted(arrays: Mapping[str, NDArray[np.generic]], dropped: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The paragraphs of a shard whose template key counts: valid, first in its page, of a document kept."""
    doc_par = arrays["doc_par"]
    owner = np.repeat(np.arange(doc_par.size - 1), np.diff(doc_par))
    valid = np.asarray(arrays["par_tvalid"], dtype=np.bool_)
    first = np.asarray(arrays["par_tfirst"], dtype=np.bool_)
    return valid & first & ~dropped[owner]


def _first_halves(docs: Documents, dropped: NDArray[np.bool_]) -> Iterator[NDArray[np.uint64]]:
    """Each shard's counted template keys, first 64 bits."""
    for k, shard in enumerate(docs.shards):
        keys = np.asarray(load_array(shard, "par_tkey"), dtype=np.uint64)
        yield keys[counted(FolderArrays(shard), dropped[docs.bases[k] : docs.bases[k + 1]]), 0]


def _often(halves: Iterator[NDArray[np.uint64]], least: int, sorters: Sorters) -> NDArray[np.uint64]:
    """The values that come at least ``least`` times, ascending."""
    sorter = sorters()
    try:
        for chunk in halves:
            sorter.add(chunk)
        found = []
        carry = np.empty(0, dtype=np.uint64)
        for chunk in sorter.chunks():
            values = np.concatenate([carry, chunk])
            starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
            counts = np.diff(np.append(starts, values.size))
            last = starts[-1]  # the last run may go on in the next chunk
            carry = values[last:]
            found.append(values[starts[:-1]][counts[:-1] >= least])
        if carry.size >= least:
            found.append(carry[:1])
        return np.concatenate(found) if found else np.empty(0, dtype=np.uint64)
    finally:
        sorter.close()


def _exact_counts(
    docs: Documents, dropped: NDArray[np.bool_], candidates: NDArray[np.uint64]
) -> dict[tuple[int, int], tuple[int, tuple[int, int]]]:
    """For every counted key whose first half is a candidate: the pages carrying it and its site's digest,
    counted a shard at a time (memory grows with the distinct candidate keys, not with the pages)."""
    found: dict[tuple[int, int], tuple[int, tuple[int, int]]] = {}
    for k, shard in enumerate(docs.shards):
        all_keys = np.asarray(load_array(shard, "par_tkey"), dtype=np.uint64)
        at = np.searchsorted(candidates, all_keys[:, 0])
        hit = counted(FolderArrays(shard), dropped[docs.bases[k] : docs.bases[k + 1]]) & (at < candidates.size)
        hit[hit] = candidates[at[hit]] == all_keys[hit, 0]
        if not hit.any():
            continue
        doc_par = load_array(shard, "doc_par")
        owner = np.repeat(np.arange(doc_par.size - 1), np.diff(doc_par))
        keys = all_keys[hit]
        sites = np.asarray(load_array(shard, "doc_site"), dtype=np.uint64)[owner[hit]]
        order = np.lexsort((keys[:, 1], keys[:, 0]))
        keys, sites = keys[order], sites[order]
        starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
        counts = np.diff(np.append(starts, keys.shape[0]))
        for start, count in zip(starts.tolist(), counts.tolist(), strict=True):
            key = (int(keys[start, 0]), int(keys[start, 1]))
            before = found.get(key, (0, (int(sites[start, 0]), int(sites[start, 1]))))
            found[key] = (before[0] + count, before[1])
    return found
