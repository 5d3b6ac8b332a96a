"""The work folder of a streaming run: finished shards, scratch space for sorts, and the lock that guards it.

A run cuts its input into *shards* (runs of consecutive documents) and writes each finished shard
to ``shards/NNNNNN/``: written under a temporary name, then renamed, its ``meta.json`` naming the
fingerprint of the input it came from. A rerun after a kill or a crash finds the shards whose
fingerprint still matches its input and skips them, so only unfinished shards are redone. ``run.json``
holds the fingerprint of the run's settings: a folder left by a run with other settings is cleared
before use. ``scratch/`` holds the sorted runs that sorts spill, and is emptied at every start.

The folder is locked (``flock``) while a run uses it: a second run on it is refused, and the lock dies
with its process. A folder that exists, is not empty and was not made by dedup is refused, so a wrong
``--work`` never deletes anyone's files.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()) / "work"
>>> with WorkFolder.open(root, "settings-1") as work:
...     work.finished(0, "abc")
False
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from dedup.errors import OutputError, OutputWriteError
from dedup.io.write import HeldFolder, lock_folder

__all__ = ["RUN_FILE", "WorkFolder", "read_json", "remove_tree", "write_json"]

RUN_FILE = "run.json"
"""The file that marks a folder as a dedup work folder and names the settings its shards were made with."""

VERSION = 1
"""The layout of the work folder; a folder of another version is cleared."""

OWN = frozenset({RUN_FILE, "shards", "scratch", "corpus"})
"""The entries dedup makes in a work folder (only these are ever removed)."""


class WorkFolder(HeldFolder):
    """A locked work folder; see the module's docstring. Use :meth:`open` as a context manager."""

    @classmethod
    def open(cls, root: Path, settings: str) -> WorkFolder:
        """Create or reuse ``root``, lock it, clear what another version or other settings left, empty the scratch.

        Raises:
            OutputError: ``root`` is a file, or a folder with files dedup did not make.
            LockedError: another run uses it.
            OutputWriteError: it cannot be made or written.
        """
        _check_own(root)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputWriteError(exc.errno or 0, f"could not make work folder {root}: {exc.strerror}") from exc
        work = cls(root, lock_folder(root, "work folder"))
        try:
            work._prepare(settings)
        except BaseException:
            work.close()
            raise
        return work

    def _prepare(self, settings: str) -> None:
        """Clear a folder made with other settings, write ``run.json``, empty the scratch folder."""
        wanted = {"version": VERSION, "settings": settings}
        if read_json(self.root / RUN_FILE) != wanted:
            self.clear()
            write_json(self.root / RUN_FILE, wanted)
        remove_tree(self.root / "scratch")
        remove_tree(self.root / "corpus")
        for path in (self.root / "scratch", self.root / "shards", self.root / "corpus"):
            path.mkdir(exist_ok=True)
        for stale in (self.root / "shards").glob(".tmp-*"):
            remove_tree(stale)

    @property
    def scratch(self) -> Path:
        """The folder for spilled sorted runs and other short-lived files."""
        return self.root / "scratch"

    @property
    def corpus(self) -> Path:
        """The folder for the corpus steps' files (rebuilt by every run)."""
        return self.root / "corpus"

    def shard(self, number: int) -> Path:
        """The folder of finished shard ``number``."""
        return self.root / "shards" / f"{number:06d}"

    def finished(self, number: int, fingerprint: str) -> bool:
        """Whether shard ``number`` is finished and was made from input with this ``fingerprint``."""
        meta = read_json(self.shard(number) / "meta.json")
        return isinstance(meta, dict) and meta.get("fingerprint") == fingerprint

    def clear(self) -> None:
        """Remove every entry dedup made here (shards, scratch, corpus files, ``run.json``)."""
        for name in OWN:
            remove_tree(self.root / name)

    def close(self, *, remove: bool = False) -> None:
        """Release the lock; with ``remove``, first delete what dedup made here, and the folder if it is empty."""
        if self._fd >= 0 and remove:
            self.clear()
            with contextlib.suppress(OSError):
                self.root.rmdir()
        super().close()


def _check_own(root: Path) -> None:
    """Refuse a path that is a file, or a folder holding entries dedup did not make."""
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise OutputError(f"work folder {root} exists and is not a folder")
    if root.is_dir() and not (root / RUN_FILE).is_file():
        foreign = sorted(p.name for p in root.iterdir())
        if foreign:
            raise OutputError(
                f"work folder {root} already holds files dedup did not make (e.g. {foreign[0]}); "
                "choose an empty or new folder"
            )


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or ``None`` when it is missing or unreadable (a half-written file never is: see
    :func:`write_json`)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as JSON to ``path`` atomically (a temporary name, then a rename)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(json.dumps(value, sort_keys=True), encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise OutputWriteError(exc.errno or 0, f"could not write {path}: {exc.strerror}") from exc


def remove_tree(path: Path) -> None:
    """Remove a file or folder tree if it is there (never following a link out of it)."""
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)

