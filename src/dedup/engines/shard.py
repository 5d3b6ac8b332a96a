"""Shards: runs of consecutive input items, cleaned in a worker and written to the work folder whole.

A :class:`ShardTask` carries its items (documents, skips, files to read) or the raw lines of a JSONL
stream, and a *fingerprint* of that input (the files' sizes and times, the lines' bytes), so a rerun can
tell a finished shard of the same input from a stale one. :func:`run_shard` reads and cleans the items,
derives the arrays of :mod:`dedup.engines.extract`, and writes them with the results under a temporary
name, then renames the folder into place with ``meta.json``: a shard on disk is complete or absent.

>>> import tempfile, pathlib
>>> from dedup.config import Config
>>> from dedup.records import Document
>>> work = pathlib.Path(tempfile.mkdtemp())
>>> task = ShardTask(0, "f", items=(Document("a", "Hello there, reader."),))
>>> run_shard(task, Config(), 1 << 20, work / "000000").documents
1
>>> [r.id for r in load_results(work / "000000")]
['a']
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.config import Config
from dedup.engines.extract import Arrays, shard_arrays
from dedup.engines.work import remove_tree, write_json
from dedup.errors import OutputWriteError
from dedup.io.jsonl import parse_line
from dedup.io.read import Skip, read_file
from dedup.pipeline import FileItem, prepare_document
from dedup.records import CleanedDocument, Document

__all__ = [
    "Arrays", "FolderArrays", "Line", "ShardDone", "ShardTask", "clean_shard", "fingerprint", "load_array",
    "load_results",
    "load_skips", "run_shard", "write_shard",
]

Line = tuple[int, bytes | None]
"""A JSONL line: its number and its bytes (``None``: longer than the size limit, not read)."""

Item = Document | Skip | FileItem

LARGE = ("set_off", "set_hashes", "set_bands", "set_text", "set_par")
"""The arrays of a shard kept in files of their own (read through mappings); the others share ``small.npz``."""


@dataclass(frozen=True, slots=True)
class ShardTask:
    """One shard's input: ``items``, or the ``lines`` of the JSONL stream ``origin``."""

    number: int
    fingerprint: str
    items: tuple[Item, ...] = ()
    lines: tuple[Line, ...] = ()
    origin: str = ""


@dataclass(frozen=True, slots=True)
class ShardDone:
    """What a finished shard holds: results (documents and skips), documents, paragraphs, text bytes."""

    number: int
    results: int
    documents: int
    paragraphs: int


def fingerprint(parts: Iterable[bytes]) -> str:
    """A hex digest of byte strings taken in order (lengths included, so no two sequences mix up).

    >>> fingerprint([b"ab", b"c"]) != fingerprint([b"a", b"bc"])
    True
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def run_shard(task: ShardTask, config: Config, max_bytes: int, folder: Path) -> ShardDone:
    """Clean a shard's items and write the shard to ``folder`` (made atomically; replaced if there).

    Raises:
        OutputWriteError: the shard could not be written (a full disk).
    """
    return write_shard(folder, task, *clean_shard(task, config, max_bytes))


def clean_shard(task: ShardTask, config: Config, max_bytes: int) -> tuple[list[CleanedDocument | Skip], Arrays]:
    """A shard's results (its items read and cleaned, skips in their places) and their arrays: what
    :func:`write_shard` writes. Pure of the file system but for the files a shard's items name."""
    results = _results(task, config, max_bytes)
    return results, shard_arrays(results, config)


def write_shard(folder: Path, task: ShardTask, results: list[CleanedDocument | Skip], arrays: Arrays) -> ShardDone:
    """Write a cleaned shard to ``folder`` (made atomically; replaced if there).

    Raises:
        OutputWriteError: the shard could not be written (a full disk).
    """
    _write(folder, task, results, arrays)
    docs = [r for r in results if isinstance(r, CleanedDocument)]
    return ShardDone(task.number, len(results), len(docs), sum(len(d.paragraphs) for d in docs))


def _results(task: ShardTask, config: Config, max_bytes: int) -> list[CleanedDocument | Skip]:
    """The shard's items read (files, JSONL lines) and cleaned, skips kept in their places."""
    out: list[CleanedDocument | Skip] = []
    items: Iterable[Item | None] = task.items or (parse_line(raw, n, task.origin, max_bytes) for n, raw in task.lines)
    for item in items:
        if item is None:  # a blank line
            continue
        if isinstance(item, tuple):
            path, doc_id, site = item
            read = read_file(path, doc_id, max_bytes=max_bytes, follow_links=False)
            item = read if isinstance(read, Skip) else dataclasses.replace(read, site=site)
        out.append(item if isinstance(item, Skip) else prepare_document(item, config))
    return out


def _write(folder: Path, task: ShardTask, results: list[CleanedDocument | Skip], arrays: Arrays) -> None:
    """Write the shard under a temporary name beside ``folder``, then rename it into place."""
    temp = folder.with_name(f".tmp-{folder.name}-{os.getpid()}")
    remove_tree(temp)
    try:
        temp.mkdir(parents=True)
        with open(temp / "results.pkl", "wb") as out:
            pickle.dump(results, out, protocol=pickle.HIGHEST_PROTOCOL)
        with open(temp / "skips.pkl", "wb") as out:
            pickle.dump([r for r in results if isinstance(r, Skip)], out, protocol=pickle.HIGHEST_PROTOCOL)
        small: dict[str, Any] = {k: v for k, v in arrays.items() if k not in LARGE}
        np.savez(temp / "small.npz", **small)
        for name in LARGE:
            np.save(temp / f"{name}.npy", arrays[name], allow_pickle=False)
        write_json(temp / "meta.json", {"fingerprint": task.fingerprint, "results": len(results)})
        remove_tree(folder)
        os.rename(temp, folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            remove_tree(temp)
        raise OutputWriteError(exc.errno or 0, f"could not write shard {folder}: {exc.strerror or exc}") from exc


def load_results(folder: Path) -> list[CleanedDocument | Skip]:
    """The results of a finished shard, in input order."""
    with open(folder / "results.pkl", "rb") as stream:
        results: list[CleanedDocument | Skip] = pickle.load(stream)
    return results


def load_skips(folder: Path) -> list[Skip]:
    """The skips of a finished shard (without reading its documents)."""
    with open(folder / "skips.pkl", "rb") as stream:
        skips: list[Skip] = pickle.load(stream)
    return skips


def load_array(folder: Path, name: str, *, mapped: bool = False) -> NDArray[np.generic]:
    """A shard's array ``name``; ``mapped`` maps one of the :data:`LARGE` ones from disk instead of reading it."""
    if name not in LARGE:
        with np.load(folder / "small.npz", allow_pickle=False) as small:
            found: NDArray[np.generic] = small[name]
        return found
    array: NDArray[np.generic] = np.load(folder / f"{name}.npy", mmap_mode="r" if mapped else None, allow_pickle=False)
    return array


class FolderArrays(Mapping[str, NDArray[np.generic]]):
    """A finished shard's arrays by name, each read from its folder when asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __getitem__(self, name: str) -> NDArray[np.generic]:
        return load_array(self.folder, name)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a shard folder's arrays are read by name")

    def __len__(self) -> int:
        raise TypeError("a shard folder's arrays are read by name")
