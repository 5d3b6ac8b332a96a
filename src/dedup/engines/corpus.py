"""The corpus steps before matching, shard by shard: templates and exact repeats marked, then the paragraphs
left to match written to a store in position order.

For each shard, :func:`mark_shard` marks template lines (from the corpus-wide table of
:mod:`dedup.engines.templates`) and exact repeats within each document (the first kept copy of a text
stays, as :func:`dedup.near.exact.mark_exact_repeats` decides), and saves the marks and the paragraphs
left to match (its *inputs*) to ``corpus/pre-NNNNNN.npz``. :func:`positions` then numbers every input
by the keep rule's order (document rank, then place in the document), and :func:`write_store` copies the
inputs' shingle sets, band hashes and text digests into one store in that order, a window of positions
at a time, gathering each window from every shard that holds part of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.config import Config
from dedup.engines.documents import Documents
from dedup.engines.shard import FolderArrays, load_array
from dedup.engines.store import Store, StoreWriter
from dedup.engines.templates import Templates
from dedup.hashing import ShingleSets, permutations
from dedup.near.banding import choose_banding
from dedup.near.pairs import narrowed
from dedup.near.screen import screen_pairs

__all__ = [
    "KEEP",
    "REPEAT",
    "TEMPLATE",
    "Inputs",
    "mark_shard",
    "placed",
    "positions",
    "pre_path",
    "screened_positions",
    "screened_within",
    "shard_marks",
    "write_store",
]  # fmt: skip

KEEP, TEMPLATE, REPEAT = 0, 1, 2
"""Codes of a paragraph's mark in a ``pre`` file: kept so far, a template line, an exact repeat."""

WINDOW_SHARE = 4
"""A window of the store takes about ``budget / WINDOW_SHARE`` bytes in memory."""


def pre_path(corpus: Path, shard: int) -> Path:
    """The file of a shard's marks and inputs."""
    return corpus / f"pre-{shard:06d}.npz"


def mark_shard(shard: Path, dropped: NDArray[np.bool_], templates: Templates, config: Config, out: Path) -> None:
    """Mark a shard's template lines and exact repeats (:func:`shard_marks`) and save them to ``out``."""
    marks = shard_marks(FolderArrays(shard), dropped, templates, config)
    np.savez(out, code=marks["code"], aux=marks["aux"], aux2=marks["aux2"], inputs=marks["inputs"],
             counts=marks["counts"])  # fmt: skip


def shard_marks(
    arrays: Mapping[str, NDArray[np.generic]], dropped: NDArray[np.bool_], templates: Templates, config: Config
) -> dict[str, NDArray[np.generic]]:
    """A shard's template lines and exact repeats within each document, and its paragraphs left to match.

    Returns ``code`` per paragraph (:data:`KEEP`, :data:`TEMPLATE`, :data:`REPEAT`) with ``aux``: for a
    template line, the number of its site's pages carrying it (``aux2``: the site's pages); for an exact
    repeat, the index of the paragraph it repeats. ``inputs``: the set numbers of the paragraphs left to
    match, in paragraph order; ``counts``: how many each document has. A pure function of the shard's
    arrays (:mod:`dedup.engines.extract`), so a Spark executor makes the same marks as a local run.
    """
    doc_par = arrays["doc_par"]
    owner = np.repeat(np.arange(doc_par.size - 1), np.diff(doc_par))
    alive = np.asarray(arrays["par_kept"], dtype=np.bool_) & ~dropped[owner]
    code = np.zeros(alive.size, dtype=np.uint8)
    aux = np.zeros(alive.size, dtype=np.int64)
    aux2 = np.zeros(alive.size, dtype=np.int64)
    if templates:
        found, total = _template_lines(arrays, alive, templates)
        code[found] = TEMPLATE
        aux[found], aux2[found] = total
        alive[found] = False
    if config.dedup.enabled:
        repeat, original = _repeats(arrays["par_same"], owner, doc_par, alive)
        code[repeat], aux[repeat] = REPEAT, original
        alive[repeat] = False
    if not config.dedup.enabled:  # nothing is matched
        alive[:] = False
    inputs = np.asarray(arrays["par_set"], dtype=np.int64)[alive]
    counts = np.bincount(owner[alive], minlength=doc_par.size - 1).astype(np.int64)
    return {"code": code, "aux": aux, "aux2": aux2, "inputs": inputs, "counts": counts}


def _template_lines(
    arrays: Mapping[str, NDArray[np.generic]], alive: NDArray[np.bool_], templates: Templates
) -> tuple[NDArray[np.int64], tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """The kept paragraphs whose template key is in the table, and their ``(found, pages)``."""
    keys = np.asarray(arrays["par_tkey"], dtype=np.uint64)
    firsts = np.array(sorted({k for k, _ in templates}), dtype=np.uint64)
    maybe = alive & np.asarray(arrays["par_tvalid"], dtype=np.bool_) & np.isin(keys[:, 0], firsts)
    hits = [(i, found) for i in np.flatnonzero(maybe).tolist()
            if (found := templates.get((int(keys[i, 0]), int(keys[i, 1])))) is not None]  # fmt: skip
    index = np.array([i for i, _ in hits], dtype=np.int64)
    counts = np.array([f for _, f in hits], dtype=np.int64).reshape(-1, 2)
    return index, (counts[:, 0], counts[:, 1])


def _repeats(
    same: NDArray[np.generic], owner: NDArray[np.int64], doc_par: NDArray[np.generic], alive: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The kept paragraphs whose text an earlier kept paragraph of their document has, and that paragraph's index."""
    where = np.flatnonzero(alive)
    if not where.size:
        return where, where
    group = np.asarray(doc_par, dtype=np.int64)[owner[where]] + np.asarray(same, dtype=np.int64)[where]
    order = np.lexsort((where, group))
    first = np.r_[True, group[order][1:] != group[order][:-1]]
    head = where[order][first][np.cumsum(first) - 1]  # the first kept paragraph of each one's group
    repeat = where[order][~first]
    base = np.asarray(doc_par, dtype=np.int64)[owner[repeat]]
    return repeat, head[~first] - base


@dataclass(frozen=True, slots=True, eq=False)
class Inputs:
    """Where the paragraphs left to match go: each document's first position and count, in all ``total``."""

    first: NDArray[np.signedinteger[Any]]
    counts: NDArray[np.signedinteger[Any]]
    total: int
    hashes: int


def positions(docs: Documents, corpus: Path) -> Inputs:
    """Number the inputs of every shard by the keep rule's order: document rank, then place in the document."""
    counts = np.concatenate([np.load(pre_path(corpus, k))["counts"] for k in range(len(docs.shards))] or
                            [np.empty(0, np.int64)])  # fmt: skip
    ordered = counts[docs.by_rank]
    starts = np.concatenate([[0], np.cumsum(ordered)[:-1]]).astype(np.int64) if ordered.size else ordered
    first = np.empty_like(starts)
    first[docs.by_rank] = starts
    hashes = 0
    for k, shard in enumerate(docs.shards):
        inputs = np.load(pre_path(corpus, k))["inputs"]
        offsets = load_array(shard, "set_off")
        hashes += int((offsets[inputs + 1] - offsets[inputs]).sum())
    return Inputs(narrowed(first), narrowed(counts), int(counts.sum()), hashes)  # int32: 8 bytes a document


def write_store(docs: Documents, inputs: Inputs, corpus: Path, config: Config, folder: Path, budget: int) -> None:
    """Copy every input into one store in position order, a window of positions at a time, each gathered from
    the shards that hold part of it; then save the screen's pairs within documents as positions (``screen.npy``).

    Windows are written whole and in order (contiguous writes, whatever the keep rule's order does to the
    positions of a shard); each shard's positions are saved once, with their range, so a window reads only
    the shards whose range meets it.
    """
    bands = choose_banding(config.dedup.lsh_threshold, config.minhash.num_perm).bands
    ranges, screened = _save_positions(docs, inputs, corpus)
    per = max(1, budget // WINDOW_SHARE // ((8 * inputs.hashes // max(1, inputs.total)) + 8 * bands + 40))
    with StoreWriter(folder, count=inputs.total, hashes=inputs.hashes, bands=bands) as out:
        for lo in range(0, inputs.total, per):
            hi = min(inputs.total, lo + per)
            meets = np.flatnonzero((ranges[:, 0] < hi) & (ranges[:, 1] >= lo))
            sets, band_rows, columns = _window(docs, corpus, meets.tolist(), lo, hi, bands)
            out.write(lo, sets, band_rows, columns)
            del sets, band_rows, columns  # else two windows are alive while the next one is gathered
    later = _screened_here(Store(folder), _later(docs, inputs), inputs, config)
    np.save(folder / "screen.npy", np.concatenate([*screened, later]))


def _save_positions(
    docs: Documents, inputs: Inputs, corpus: Path
) -> tuple[NDArray[np.int64], list[NDArray[np.int64]]]:
    """Save each shard's inputs as ``(position, set number, document)`` rows (``pos-NNNNNN.npy``); return each
    shard's range of positions (empty: ``(total, -1)``) and its screen's pairs as positions."""
    ranges = np.tile(np.array([inputs.total, -1], dtype=np.int64), (len(docs.shards), 1))
    screened = [np.zeros((0, 2), dtype=np.int64)]
    for k, shard in enumerate(docs.shards):
        where, ids, owner = _placed(docs, inputs, corpus, k)
        np.save(corpus / f"pos-{k:06d}.npy", np.stack([where, ids, owner]))
        if where.size:
            ranges[k] = where.min(), where.max()
        screened.append(_screened(shard, where, ids))
    return ranges, screened


def _window(
    docs: Documents, corpus: Path, shards: list[int], lo: int, hi: int, bands: int
) -> tuple[ShingleSets, NDArray[np.uint64], dict[str, NDArray[np.int64]]]:
    """The inputs at positions ``lo .. hi - 1``, from ``shards``, in position order: sets, band hashes, columns.

    Each shard's inputs are copied straight to their rows (no gathered copy to reorder afterwards), so the
    window holds one copy of its inputs and one shard's part of it in flight.
    """
    count = hi - lo
    parts: list[tuple[Path, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]] = []
    sizes = np.zeros(count, dtype=np.int64)
    seen = 0
    for k in shards:
        placed = np.load(corpus / f"pos-{k:06d}.npy")
        keep = (placed[0] >= lo) & (placed[0] < hi)
        if not keep.any():
            continue
        rows, ids = placed[0, keep] - lo, placed[1, keep]
        starts = load_array(docs.shards[k], "set_off", mapped=True)
        sizes[rows] = starts[ids + 1] - starts[ids]
        parts.append((docs.shards[k], rows, ids, placed[2, keep]))
        seen += rows.size
    if seen != count:
        raise ValueError(f"positions {lo}..{hi - 1}: {seen} inputs found")
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    del sizes
    sets = ShingleSets(offsets, np.empty(int(offsets[-1]), dtype=np.uint64))
    band_rows = np.empty((bands, count), dtype=np.uint64)
    columns = {name: np.empty(count, dtype=np.int64) for name in ("text", "par", "doc")}
    for shard, rows, ids, owners in parts:
        source = ShingleSets(load_array(shard, "set_off", mapped=True),  # type: ignore[arg-type]
                             load_array(shard, "set_hashes", mapped=True))  # type: ignore[arg-type]
        source.put(ids, rows, sets)
        del source
        band_rows[:, rows] = load_array(shard, "set_bands", mapped=True)[:, ids]
        columns["text"][rows] = load_array(shard, "set_text", mapped=True)[ids]
        columns["par"][rows] = load_array(shard, "set_par", mapped=True)[ids]
        columns["doc"][rows] = owners
    return sets, band_rows, columns


def _placed(
    docs: Documents, inputs: Inputs, corpus: Path, k: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Shard ``k``'s inputs: their positions, their set numbers in the shard, and their documents' numbers."""
    with np.load(pre_path(corpus, k)) as saved:
        counts, ids = saved["counts"], saved["inputs"]
    where, owner = placed(np.asarray(inputs.first[docs.bases[k] : docs.bases[k + 1]]), counts)
    return where, ids.astype(np.int64), docs.bases[k] + owner


def placed(
    first: NDArray[np.integer[Any]], counts: NDArray[np.integer[Any]]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The positions of a shard's inputs, and each one's document in the shard, from its documents' first
    positions and counts of inputs (inputs in document order, then paragraph order).

    >>> [a.tolist() for a in placed(np.array([5, 0, 9]), np.array([2, 0, 1]))]
    [[5, 6, 9], [0, 0, 2]]
    """
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    return np.asarray(first, dtype=np.int64)[owner] + np.arange(owner.size) - starts[owner], owner


def _screened(shard: Path, where: NDArray[np.int64], ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """The screen's pairs of a shard (made in the worker) whose paragraphs are both inputs, as positions."""
    return screened_positions(FolderArrays(shard), where, ids)


def screened_positions(
    arrays: Mapping[str, NDArray[np.generic]], where: NDArray[np.int64], ids: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The screen's pairs of a shard whose paragraphs are both inputs (set numbers ``ids``, at ``where``), as
    positions, shape ``(n, 2)``."""
    position = np.full(int(arrays["set_off"].size) - 1, -1, dtype=np.int64)
    position[ids] = where
    pairs = position[np.asarray(arrays["screen"], dtype=np.int64)]
    return pairs[(pairs >= 0).all(axis=1)]


def _later(docs: Documents, inputs: Inputs) -> NDArray[np.int64]:
    """The documents with too many paragraphs for the workers to screen, that have at least two inputs."""
    flagged = np.concatenate([np.asarray(load_array(s, "screen_later"), dtype=np.bool_) for s in docs.shards] or
                             [np.empty(0, np.bool_)])  # fmt: skip
    return np.flatnonzero(flagged & (inputs.counts > 1))


def _screened_here(store: Store, later: NDArray[np.int64], inputs: Inputs, config: Config) -> NDArray[np.int64]:
    """The screen's pairs within each of the documents ``later``, on their inputs in the store, as positions."""
    found = [np.zeros((0, 2), dtype=np.int64)]
    for doc in later.tolist():
        first, count = int(inputs.first[doc]), int(inputs.counts[doc])
        found.append(screened_within(store.take(np.arange(first, first + count, dtype=np.int64)), config) + first)
    return np.concatenate(found)


def screened_within(sets: ShingleSets, config: Config) -> NDArray[np.int64]:
    """The screen's pairs among one document's inputs (``sets``, in position order), as their indices ``(n, 2)``:
    for a document with too many paragraphs for the worker to screen (``screen_later``)."""
    perms = permutations(config.minhash.num_perm, config.minhash.seed)
    dedup = config.dedup
    sizes = sets.sizes()
    rows = np.flatnonzero(sizes >= dedup.min_shingles)
    pairs = screen_pairs(sets.signatures(perms), rows, np.array([0, rows.size], dtype=np.int64), sizes,
                         threshold=dedup.threshold, containment=dedup.containment,
                         min_contained=dedup.min_contained_shingles)  # fmt: skip
    return np.stack([pairs.left, pairs.right], axis=1).reshape(-1, 2).astype(np.int64)
