"""The package's data files (``dedup/data/``), read in one place.

Every loader of shipped data (chrome rules, stopwords, the lexicon, the line model, the Unicode token
table) reads through these functions, so a file that is missing or broken in an install gives one
:class:`~dedup.errors.DataFileError` that names it, instead of whatever the reader happened to raise.

>>> read_text("chrome.txt").startswith("#")
True
>>> sorted(text_files("stopwords"))[:2]
['de', 'en']
>>> read_text("no-such-file.txt")
Traceback (most recent call last):
...
dedup.errors.DataFileError: dedup data file no-such-file.txt cannot be read: ...
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import IO, Any

from dedup.errors import DataFileError

PACKAGE = "dedup"
FOLDER = "data"


def _path(name: str) -> Traversable:
    """The shipped file ``name`` (a ``/``-separated path under ``data/``)."""
    entry = resources.files(PACKAGE).joinpath(FOLDER)
    for part in name.split("/"):
        entry = entry.joinpath(part)
    return entry


def file_path(name: str) -> Path:
    """The path of the shipped file ``name`` on disk (for programs that read it themselves, such as Spark)."""
    entry = _path(name)
    if not isinstance(entry, Path) or not entry.is_file():
        raise DataFileError(f"dedup data file {name} is not a file on disk: {entry}")
    return entry


def read_text(name: str) -> str:
    """The text of the shipped file ``name`` (UTF-8)."""
    try:
        return _path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataFileError(f"dedup data file {name} cannot be read: {e}") from e


def read_json(name: str) -> Any:
    """The parsed JSON of the shipped file ``name``."""
    text = read_text(name)
    try:
        return json.loads(text)
    except ValueError as e:
        raise DataFileError(f"dedup data file {name} is not JSON: {e}") from e


@contextmanager
def open_binary(name: str) -> Iterator[IO[bytes]]:
    """The shipped file ``name``, open for reading bytes."""
    try:
        f = _path(name).open("rb")
    except OSError as e:
        raise DataFileError(f"dedup data file {name} cannot be read: {e}") from e
    with f:
        yield f


def text_files(folder: str, suffix: str = ".txt") -> dict[str, str]:
    """The texts of the shipped files ``folder/*suffix``, by name without the suffix, in name order."""
    try:
        entries = sorted(_path(folder).iterdir(), key=lambda e: e.name)
    except OSError as e:
        raise DataFileError(f"dedup data folder {folder} cannot be read: {e}") from e
    return {e.name[: -len(suffix)]: read_text(f"{folder}/{e.name}") for e in entries if e.name.endswith(suffix)}
