"""A persistent index of earlier crawls: what later runs need to match new paragraphs against them.

An index is a folder: ``index.json`` (a versioned header with every setting that changes matches, and the
list of segments) and ``segments/NNNNNN/``, one per crawl added, each a store (:mod:`dedup.engines.store`)
of the crawl's paragraphs left to match after its own templates and exact repeats (shingle hashes, band
hashes, text digests, document and paragraph numbers, in the keep rule's order), its screen's pairs, and
its document ids (``ids.bin``, ``id_off.npy``) in rank order.

Why sorted, memory-mapped arrays rather than a key-value store: every use reads them in bulk and in order
(a band's hashes, the sets for the prefix join, windows of sets to verify), which arrays on disk serve at
the speed of sequential reads and without a second copy in memory; nothing is ever looked up one key at a
time. A segment never changes once written, so readers need no coordination beyond a shared lock.

Writes are atomic: a segment is written under a temporary name and renamed, then ``index.json`` is
replaced by a rename; an index interrupted while being written is the old one (a segment not listed in
``index.json`` is ignored and removed by the next writer) or the new one. Writers take the folder's lock
exclusively, readers shared, so no run reads an index while another adds to it.

A run matching against an index (``dedup clean NEW --against INDEX``) sees the indexed paragraphs as
documents that come before all of its own, earlier crawls first: its result for its own documents is the
one a single run over every crawl and the new documents would give (templates aside: they are counted
within each crawl).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup._check import check_config, check_document, type_error
from dedup.config import CleanConfig, Config, DedupConfig, MinHashConfig, StripConfig
from dedup.engines.budget import default_memory
from dedup.engines.documents import Documents, ids_of
from dedup.engines.render import repeated_id_skips
from dedup.engines.shard import ShardTask, load_skips
from dedup.engines.sources import item_tasks
from dedup.engines.store import Store
from dedup.engines.stream import Progress, prepare_corpus, settings_of, sort_budget, store_inputs
from dedup.engines.work import WorkFolder, read_json, remove_tree, write_json
from dedup.errors import IndexMismatchError, OutputError, OutputWriteError, UsageError
from dedup.io.read import MAX_BYTES, Skip
from dedup.io.write import HeldFolder, lock_folder
from dedup.near.banding import choose_banding
from dedup.pipeline import DocumentLike, as_document

__all__ = ["FORMAT", "VERSION", "Added", "Index", "matching_settings"]

FORMAT = "dedup-index"
VERSION = 1
"""The layout of an index folder; an index of another version is refused."""

MANIFEST = "index.json"
WORK = ".work"
ID_BYTES = 128
"""Memory an id takes while the ids are gathered in rank order (a bytes object and its place in a list)."""


def matching_settings(config: Config) -> dict[str, Any]:
    """The settings that change which paragraphs match: a run must share them with the index it matches against.

    >>> sorted(matching_settings(Config()))[:3]
    ['across_documents', 'bands', 'containment']
    """
    banding = choose_banding(config.dedup.lsh_threshold, config.minhash.num_perm)
    dedup = {k: getattr(config.dedup, k) for k in ("threshold", "containment", "min_shingles",
                                                    "min_contained_shingles", "lsh_threshold", "order",
                                                    "across_documents")}  # fmt: skip
    return {**asdict(config.minhash), **dedup, "bands": banding.bands, "rows": banding.rows}


def _config_of(saved: dict[str, Any]) -> Config:
    """The configuration an index was built with."""
    return Config(clean=CleanConfig(**saved["clean"]), strip=StripConfig(**saved["strip"]),
                  minhash=MinHashConfig(**saved["minhash"]), dedup=DedupConfig(**saved["dedup"]))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Added:
    """What :meth:`Index.add` added: documents, paragraphs to match, and the inputs it skipped."""

    documents: int
    paragraphs: int
    skips: tuple[Skip, ...]


class Index(HeldFolder):
    """An index folder held open (locked shared to read, exclusive to write). See the module docstring."""

    def __init__(self, path: Path, fd: int, manifest: dict[str, Any]) -> None:
        super().__init__(path, fd)
        self.manifest = manifest

    @property
    def path(self) -> Path:
        """The index folder."""
        return self.root

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, config: Config | None = None, write: bool = False) -> Index:
        """Open an index; with ``config``, check that its matching settings are the index's.

        Raises:
            UsageError: ``path`` is not an index, or one of another version.
            IndexMismatchError: ``config`` matches differently than the index was built to.
            LockedError: another run is writing to it (or, to write, reading it).
        """
        check_config("Index.open", config, Config)
        folder = Path(path)
        manifest = read_json(folder / MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise UsageError(f"{folder} is not a dedup index (no {MANIFEST}); make one with: dedup index build")
        if manifest.get("version") != VERSION:
            found = manifest.get("version")
            raise UsageError(f"index {folder} has version {found}; this dedup reads version {VERSION}")
        index = cls(folder, lock_folder(folder, "index", shared=not write), manifest)
        if config is not None:
            index.check(config)
        return index

    @classmethod
    def create(cls, path: str | os.PathLike[str], config: Config) -> Index:
        """Make a new, empty index at ``path`` for ``config`` (a new or empty folder, or one an interrupted
        build left), held for writing.

        Raises:
            OutputError: ``path`` is an index already, a file, or a folder with other files.
        """
        check_config("Index.create", config, Config)
        if config is None:
            raise type_error("Index.create", "config", "a Config", config)
        folder = Path(path)
        if (folder / MANIFEST).exists():
            raise OutputError(f"{folder} is an index already; add to it with: dedup index add {folder} NEW")
        if folder.exists() and (not folder.is_dir() or any(p.name not in (WORK, "segments") for p in folder.iterdir())):
            raise OutputError(f"{folder} exists and is not an empty folder; choose a new path for the index")
        try:
            (folder / "segments").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputWriteError(exc.errno or 0, f"could not make index {folder}: {exc.strerror}") from exc
        fd = lock_folder(folder, "index")
        config = dataclasses.replace(config, dedup=dataclasses.replace(config.dedup, enabled=True))
        manifest = {"format": FORMAT, "version": VERSION, "settings": matching_settings(config),
                    "config": asdict(config), "segments": []}  # fmt: skip
        write_json(folder / MANIFEST, manifest)
        return cls(folder, fd, manifest)

    @property
    def config(self) -> Config:
        """The configuration the index was built with (its crawls are cleaned with it)."""
        return _config_of(self.manifest["config"])

    @property
    def documents(self) -> int:
        """The number of documents indexed."""
        return sum(int(s["documents"]) for s in self.manifest["segments"])

    @property
    def paragraphs(self) -> int:
        """The number of paragraphs indexed."""
        return sum(int(s["paragraphs"]) for s in self.manifest["segments"])

    def check(self, config: Config) -> None:
        """Raise :class:`IndexMismatchError` naming every matching setting of ``config`` the index differs in."""
        wanted, built = matching_settings(config), self.manifest["settings"]
        differ = [f"{k} {wanted[k]!r} (index: {built.get(k)!r})" for k in sorted(wanted) if built.get(k) != wanted[k]]
        if differ:
            raise IndexMismatchError(
                f"index {self.path} was built with other matching settings: {', '.join(differ)}; "
                "run with the index's settings, or build another index"
            )

    def stores(self) -> list[Store]:
        """The segments' stores, in order."""
        return [Store(self.path / "segments" / s["name"]) for s in self.manifest["segments"]]

    def ranks(self) -> NDArray[np.int64]:
        """The document number of every indexed paragraph, by position: earlier crawls first, each in rank order."""
        parts, base = [np.empty(0, np.int64)], 0
        for segment, store in zip(self.manifest["segments"], self.stores(), strict=True):
            parts.append(np.asarray(store.mapped("doc"), dtype=np.int64) + base)
            base += int(segment["documents"])
        return np.concatenate(parts)

    def ids(self, positions: NDArray[np.int64]) -> list[str]:
        """The ids of the documents of the indexed paragraphs at ``positions``."""
        stores = self.stores()
        bases = np.cumsum([0] + [s.count for s in stores])
        which = np.searchsorted(bases, positions, side="right") - 1
        out = [""] * positions.size
        for k, store in enumerate(stores):
            hits = np.flatnonzero(which == k)
            if hits.size:
                numbers = store.column("doc", positions[hits] - bases[k])
                blob = np.load(store.folder / "ids.npy", mmap_mode="r")
                offsets = np.load(store.folder / "id_off.npy", mmap_mode="r")
                for i, local in zip(hits.tolist(), numbers.tolist(), strict=True):
                    out[i] = bytes(blob[offsets[local] : offsets[local + 1]]).decode("utf-8", "surrogatepass")
        return out

    def add(
        self,
        tasks: Iterable[ShardTask],
        *,
        jobs: int = 1,
        max_bytes: int = MAX_BYTES,
        memory: int | None = None,
        progress: Progress | None = None,
    ) -> Added:
        """Clean a crawl with the index's configuration and add its paragraphs as a new segment (atomically).

        The crawl's work goes to ``.work`` inside the index: an interrupted add, run again on the same input,
        redoes only what it had not finished.
        """
        config, budget = self.config, memory or default_memory()
        with WorkFolder.open(self.path / WORK, settings_of(config, index=True, max_bytes=max_bytes)) as work:
            docs = prepare_corpus(tasks, config, work, jobs=jobs, max_bytes=max_bytes, budget=budget, progress=progress)
            inputs, store = store_inputs(docs, config, work, budget)
            name = f"{len(self.manifest['segments']):06d}"
            self._publish(name, docs, store, inputs.total, budget)
            skips = (*(s for shard in docs.shards for s in load_skips(shard)), *repeated_id_skips(docs))
            work.close(remove=True)
        return Added(docs.count - len(docs.first_of), inputs.total, skips)

    def add_documents(
        self, documents: Iterable[DocumentLike], *, jobs: int = 1, memory: int | None = None
    ) -> Added:
        """:meth:`add` for documents or ``(id, text)`` pairs (any iterable, read once).

        >>> import tempfile, pathlib
        >>> with Index.create(pathlib.Path(tempfile.mkdtemp()) / "idx", Config()) as index:
        ...     index.add_documents([("a", "A paragraph of an earlier crawl, long enough to match.")]).documents
        1
        """
        checked = (as_document(check_document("Index.add_documents", i, d)) for i, d in enumerate(documents))
        return self.add(item_tasks(checked), jobs=jobs, memory=memory)

    def _publish(self, name: str, docs: Documents, store: Store, paragraphs: int, budget: int) -> None:
        """Turn the run's store into segment ``name``: documents renumbered by rank, ids saved in rank order."""
        segments = self.path / "segments"
        for stale in segments.iterdir():  # a segment an interrupted add left, never listed
            if stale.name not in {s["name"] for s in self.manifest["segments"]}:
                remove_tree(stale)
        doc = np.load(store.folder / "doc.npy", mmap_mode="r+")
        for lo in range(0, doc.size, 1 << 20):
            doc[lo : lo + (1 << 20)] = docs.rank[doc[lo : lo + (1 << 20)]]
        doc.flush()
        del doc
        _save_ids(docs, store.folder, sort_budget(budget))
        os.rename(store.folder, segments / name)  # not listed yet: an add killed now leaves the index as it was
        entry = {"name": name, "documents": docs.count, "paragraphs": paragraphs, "hashes": store.hashes}
        manifest = {**self.manifest, "segments": [*self.manifest["segments"], entry]}
        write_json(self.path / MANIFEST, manifest)
        self.manifest = manifest


def _save_ids(docs: Documents, folder: Path, budget: int) -> None:
    """The ids of the documents in rank order, as one UTF-8 blob (``ids.npy``) and offsets (``id_off.npy``),
    gathered a window of ranks at a time (each window reads every shard's ids at most once)."""
    window = max(1 << 16, budget // ID_BYTES)
    lengths = np.zeros(docs.count, dtype=np.int64)
    chunks = []
    for lo in range(0, docs.count, window):
        ids = ids_of(docs, docs.by_rank[lo : lo + window])
        lengths[lo : lo + len(ids)] = [len(x) for x in ids]
        chunks.append(np.frombuffer(b"".join(ids), dtype=np.uint8))
    offsets = np.zeros(docs.count + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    np.save(folder / "ids.npy", np.concatenate(chunks) if chunks else np.empty(0, np.uint8))
    np.save(folder / "id_off.npy", offsets)
