"""Cut a run's input into shards: documents and files by count and size, JSONL streams by lines.

The parent process only cuts: files are read and JSONL lines parsed in the workers. A shard's
fingerprint covers everything its results depend on that may change between runs: the lines' bytes,
the documents' contents, and for files their path, size, change time and inode (a file rewritten
between a kill and the rerun makes its shard stale, and it is redone).

>>> from dedup.records import Document
>>> tasks = list(item_tasks([Document("a", "x" * 10), Document("b", "y")], shard_bytes=5))
>>> [(t.number, [d.id for d in t.items]) for t in tasks]
[(0, ['a']), (1, ['b'])]
>>> import io
>>> [len(t.lines) for t in jsonl_tasks(io.BytesIO(b'{"text": "a"}\\n' * 5), "in.jsonl", 100, shard_bytes=30)]
[3, 2]
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Iterator
from typing import IO

from dedup.engines.shard import Item, Line, ShardTask, fingerprint
from dedup.io.jsonl import bounded_lines, unreadable_line
from dedup.io.read import Skip
from dedup.records import Document

__all__ = ["SHARD_BYTES", "SHARD_FILES", "SHARD_ITEMS", "item_tasks", "jsonl_tasks"]

SHARD_BYTES = 2 << 20
"""Bytes of text (or JSONL lines) per shard: a few seconds of work and a few tens of MB in a worker. Small
shards balance the workers and lose little to a kill (a rerun redoes the shards that were in flight)."""

SHARD_ITEMS = 16384
"""At most this many documents or lines per shard."""

SHARD_FILES = 64
"""At most this many files per shard (their sizes are not known before they are read)."""


def item_tasks(items: Iterable[Item], *, shard_bytes: int | None = None, first: int = 0) -> Iterator[ShardTask]:
    """Shards of documents, skips and files to read, in input order, numbered from ``first``; about
    ``shard_bytes`` (default :data:`SHARD_BYTES`) of text each."""
    shard_bytes = shard_bytes or SHARD_BYTES
    batch: list[Item] = []
    size = files = 0
    number = first
    for item in items:
        batch.append(item)
        size += len(item.text) if isinstance(item, Document) else 0
        files += isinstance(item, tuple)
        if size >= shard_bytes or files >= SHARD_FILES or len(batch) >= SHARD_ITEMS:
            yield ShardTask(number, fingerprint(map(_item_identity, batch)), items=tuple(batch))
            batch, size, files, number = [], 0, 0, number + 1
    if batch:
        yield ShardTask(number, fingerprint(map(_item_identity, batch)), items=tuple(batch))


def _item_identity(item: Item) -> bytes:
    """What a shard's results depend on, for one item: a document or skip whole, a file's path and state."""
    if not isinstance(item, tuple):
        return pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    path, doc_id, site = item
    state: tuple[int, ...]
    try:
        info = os.lstat(path)
        state = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_mode)
    except OSError as exc:
        state = (exc.errno or 0,)
    return pickle.dumps((os.fsencode(path), doc_id, site, state), protocol=pickle.HIGHEST_PROTOCOL)


def jsonl_tasks(
    stream: IO[bytes], origin: str, max_bytes: int, *, shard_bytes: int | None = None
) -> Iterator[ShardTask]:
    """Shards of the lines of a JSONL stream (each read with at most ``max_bytes + 1`` bytes in memory), about
    ``shard_bytes`` (default :data:`SHARD_BYTES`) each. A stream that fails while read ends with a shard
    holding the error skip.
    """
    shard_bytes = shard_bytes or SHARD_BYTES
    batch: list[Line] = []
    size = 0
    number = count = 0
    try:
        for count, raw in enumerate(bounded_lines(stream, max_bytes), start=1):
            batch.append((count, raw))
            size += len(raw) if raw is not None else 0
            if size >= shard_bytes or len(batch) >= SHARD_ITEMS:
                yield _lines_task(number, batch, origin)
                batch, size, number = [], 0, number + 1
    except OSError as exc:
        if batch:
            yield _lines_task(number, batch, origin)
            batch, number = [], number + 1
        skip: Skip = unreadable_line(origin, count + 1, exc)
        yield ShardTask(number, fingerprint([pickle.dumps(skip)]), items=(skip,))
        return
    if batch:
        yield _lines_task(number, batch, origin)


def _lines_task(number: int, lines: list[Line], origin: str) -> ShardTask:
    """The shard of ``lines`` of the stream ``origin``."""
    parts = (n.to_bytes(8, "little") + (b"\x01" + raw if raw is not None else b"\x00") for n, raw in lines)
    return ShardTask(number, fingerprint([origin.encode("utf-8", "surrogatepass"), *parts]), lines=tuple(lines),
                     origin=origin)  # fmt: skip
