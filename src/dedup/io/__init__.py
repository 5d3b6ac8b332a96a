"""Reading inputs and writing outputs: the only part of dedup that touches the file system.

- :mod:`~dedup.io.read`: files, folders and standard input into text, every bad input a :class:`Skip`.
- :mod:`~dedup.io.jsonl`: JSONL records into documents, every bad line a :class:`Skip`.
- :mod:`~dedup.io.write`: atomic writes and the locked, link-safe :class:`OutputTree`.
- :mod:`~dedup.io.spill`: sorting under a memory budget, sorted runs spilled to a scratch folder
  (:class:`SortedKeys` for uint64 keys, :func:`rank_strings` for document ids).

A new reader (Parquet, WARC, ...) goes here as one module that yields documents and skips.
"""

from __future__ import annotations

from dedup.io.jsonl import read_jsonl
from dedup.io.read import MAX_BYTES, Skip, decode, iter_files, printable, read_file
from dedup.io.spill import SortedKeys, StringOrder, rank_strings
from dedup.io.write import OutputTree, check_output_dir, write_atomic, write_stream

__all__ = [
    "MAX_BYTES",
    "OutputTree",
    "Skip",
    "SortedKeys",
    "StringOrder",
    "check_output_dir",
    "decode",
    "iter_files",
    "printable",
    "rank_strings",
    "read_file",
    "read_jsonl",
    "write_atomic",
    "write_stream",
]
