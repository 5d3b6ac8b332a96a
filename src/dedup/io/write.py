"""Write outputs safely: never over an input, never outside the output folder, never half a file.

Every file is written to a temporary name beside its target and renamed over it, so a run that
is interrupted leaves each output either as it was or complete. An output folder is held by an
:class:`OutputTree` for the whole run: it is locked (a second run on the same folder is refused;
the lock dies with its process, so a killed run never leaves it stuck), marked as dedup's with a
marker file, cleared of the temporary files an interrupted run left, and written through folder
descriptors that never follow a symbolic link, so nothing lands outside it. A failed write
(a full disk, a read-only folder) raises :class:`~dedup.errors.OutputWriteError` naming the path.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
>>> with OutputTree.open(out) as tree:
...     tree.write("a/b.txt", "text\\n")
>>> (out / "a" / "b.txt").read_text()
'text\\n'
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import BinaryIO, Self

from dedup.errors import LockedError, OutputError, OutputWriteError

MARKER = ".dedup-output"
"""The file that marks a folder as written by dedup (so writing into it again is safe)."""

TEMP_SUFFIX = ".dedup-tmp"
"""The ending of temporary files; the next run removes any an interrupted run left."""

TEMP_NAME = re.compile(r"\A\.(?:.*\.)?\d+\.[0-9a-f]{8}\.dedup-tmp\Z", re.DOTALL)
"""The names :func:`_temp_name` makes (and older releases made): only these are ever removed."""

STREAM_CHUNK = 1 << 20
"""Characters encoded and written to a stream at a time."""

LINK_ERRORS = frozenset({errno.ELOOP, errno.ENOTDIR})
"""What opening a folder with ``O_NOFOLLOW`` raises when the name is a link (or not a folder)."""

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def is_within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or below it (both resolved).

    >>> is_within(Path("/a/b/c"), Path("/a/b")), is_within(Path("/a/bc"), Path("/a/b"))
    (True, False)
    """
    return path.resolve().is_relative_to(folder.resolve())


def check_output_dir(in_dir: Path, out_dir: Path, *, force: bool = False) -> None:
    """Refuse an output folder that would put input at risk.

    Raises:
        OutputError: ``out_dir`` is ``in_dir``, or contains it (outputs could land on inputs),
            or is a file, or already holds files that dedup did not write (unless ``force``).
    """
    if out_dir.resolve() == in_dir.resolve():
        raise OutputError(f"output folder {out_dir} is the input folder: refusing to overwrite input")
    if is_within(in_dir, out_dir):
        raise OutputError(f"input folder {in_dir} is inside output folder {out_dir}: outputs could overwrite it")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"output {out_dir} exists and is not a folder")
    if out_dir.is_dir() and not force and not (out_dir / MARKER).exists():
        visible = [p.name for p in out_dir.iterdir() if not p.name.startswith(".")]
        if visible:
            raise OutputError(
                f"output folder {out_dir} already holds files dedup did not write "
                f"(e.g. {sorted(visible)[0]}); choose an empty folder or pass --force"
            )


def lock_folder(root: Path, what: str, *, shared: bool = False) -> int:
    """Open the existing folder ``root`` and lock it (``flock``, exclusive or ``shared``); return its descriptor.

    The kernel releases the lock when the process dies, so a killed run never leaves a folder locked.

    Raises:
        LockedError: another process holds the lock the other way (``what`` names the folder's role).
        OutputWriteError: the folder cannot be opened or locked.
    """
    try:
        fd = os.open(root, DIR_FLAGS & ~os.O_NOFOLLOW)
    except OSError as exc:
        raise _write_failed(root, exc) from exc
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise LockedError(f"{what} {root} is in use by another dedup run; wait for it to end") from exc
        raise _write_failed(root, exc) from exc
    return fd


def _temp_name() -> str:
    """A fresh temporary file name: hidden, unique to this process, matching :data:`TEMP_NAME`.

    >>> bool(TEMP_NAME.match(_temp_name()))
    True
    """
    return f".{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _write_failed(path: Path | str, exc: OSError) -> OutputWriteError:
    """The error for a write to ``path`` that failed with ``exc``."""
    return OutputWriteError(exc.errno or 0, f"could not write {path}: {exc.strerror or exc}")


def _write_fd(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` through a temporary file and a rename.

    Readers see the old file or the new one, never a part; parent folders are created. A link at
    ``path`` is replaced, not followed.

    Raises:
        OutputWriteError: the file could not be written (nothing is left behind).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        parent = os.open(path.parent, DIR_FLAGS & ~os.O_NOFOLLOW)
    except OSError as exc:
        raise _write_failed(path, exc) from exc
    try:
        _replace_in(parent, path.name, text.encode("utf-8"), path)
    finally:
        os.close(parent)


def _replace_in(folder: int, name: str, data: bytes, shown: Path | str) -> None:
    """Write ``data`` to ``name`` in the open ``folder`` through a temporary file and a rename."""
    temp = _temp_name()
    try:
        # mode 0o666 lets the umask decide the permissions, as a plain open() would.
        fd = os.open(temp, FILE_FLAGS, 0o666, dir_fd=folder)
    except OSError as exc:
        raise _write_failed(shown, exc) from exc
    try:
        try:
            _write_fd(fd, data)
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=folder)
        if isinstance(exc, OSError):
            raise _write_failed(shown, exc) from exc
        raise


class AtomicFile:
    """A file written piece by piece under a temporary name in an open folder, renamed into place by
    :meth:`commit`; :meth:`abort` (or leaving a ``with`` block with an exception) removes it.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with AtomicFile.at(folder / "out.txt") as out:
    ...     out.write("one ")
    ...     out.write("two")
    ...     out.commit()
    >>> (folder / "out.txt").read_text()
    'one two'
    """

    def __init__(self, folder: int, name: str, shown: Path | str) -> None:
        self._folder, self._name, self._shown = folder, name, shown
        self._temp = _temp_name()
        try:
            self._fd = os.open(self._temp, FILE_FLAGS, 0o666, dir_fd=folder)
        except OSError as exc:
            os.close(folder)
            raise _write_failed(shown, exc) from exc

    @classmethod
    def at(cls, path: Path) -> AtomicFile:
        """An atomic file at ``path`` (parent folders made; a link at ``path`` is replaced, not followed)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            folder = os.open(path.parent, DIR_FLAGS & ~os.O_NOFOLLOW)
        except OSError as exc:
            raise _write_failed(path, exc) from exc
        return cls(folder, path.name, path)

    def write(self, text: str) -> None:
        """Append ``text`` (UTF-8)."""
        try:
            _write_fd(self._fd, text.encode("utf-8"))
        except OSError as exc:
            raise _write_failed(self._shown, exc) from exc

    def commit(self) -> None:
        """Close the file and rename it over its target."""
        fd, self._fd = self._fd, -1
        try:
            os.close(fd)
            os.replace(self._temp, self._name, src_dir_fd=self._folder, dst_dir_fd=self._folder)
        except OSError as exc:
            self._discard()
            raise _write_failed(self._shown, exc) from exc
        self._release()

    def abort(self) -> None:
        """Remove the temporary file; the target stays as it was."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._discard()

    def _discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self._temp, dir_fd=self._folder)
        self._release()

    def _release(self) -> None:
        if self._folder >= 0:
            os.close(self._folder)
            self._folder = -1

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._folder >= 0:
            self.abort()


def write_stream(stream: BinaryIO, text: str, shown: str = "standard output") -> None:
    """Write ``text`` as UTF-8 to ``stream`` in chunks and flush it, so a short write is an error.

    Raises:
        OutputWriteError: the stream refused the bytes (a full disk behind it).
        BrokenPipeError: the reader went away (left for the caller, as it is not a failure).
    """
    try:
        for start in range(0, len(text), STREAM_CHUNK):
            stream.write(text[start : start + STREAM_CHUNK].encode("utf-8"))
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _write_failed(shown, exc) from exc


class HeldFolder:
    """A folder held for as long as this object lives: its descriptor, which carries the folder's lock
    (:func:`lock_folder`). A context manager; :meth:`close` releases the lock, and a second close does nothing."""

    def __init__(self, root: Path, fd: int) -> None:
        self.root = root
        self._fd = fd

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the lock."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class OutputTree(HeldFolder):
    """An output folder held for one run: locked, marked, and written without following links.

    Use :meth:`open` as a context manager; :meth:`write` takes paths relative to the folder.
    """

    @classmethod
    def open(cls, root: Path) -> OutputTree:
        """Create (if needed), lock and mark ``root``, and remove stale temporary files.

        Raises:
            LockedError: another dedup run holds the folder.
            OutputWriteError: the folder cannot be made or written.
        """
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_failed(root, exc) from exc
        tree = cls(root, lock_folder(root, "output folder"))
        try:
            if not _marker_exists(tree._fd):
                _replace_in(tree._fd, MARKER, b"", root / MARKER)
            tree.remove_stale()
        except BaseException:
            tree.close()
            raise
        return tree

    def remove_stale(self) -> None:
        """Remove the temporary files an interrupted run left (only names :data:`TEMP_NAME` matches)."""
        for _, _, files, folder in os.fwalk(dir_fd=self._fd):
            for name in files:
                if TEMP_NAME.match(name):
                    with contextlib.suppress(OSError):
                        os.unlink(name, dir_fd=folder)

    def atomic(self, rel: str) -> AtomicFile:
        """An :class:`AtomicFile` at ``rel`` below the root (folders made, links refused), for writing in pieces.

        Raises:
            OutputError: ``rel`` leaves the folder, or a folder on its way is a symbolic link.
            OutputWriteError: the file could not be made.
        """
        parts = _safe_parts(rel)
        with self.folder(parts[:-1], rel) as folder:
            return AtomicFile(os.dup(folder), parts[-1], self.root / rel)

    def write(self, rel: str, text: str) -> None:
        """Write ``text`` to ``rel`` (a relative path) below the root, atomically.

        Raises:
            OutputError: ``rel`` leaves the folder, or a folder on its way is a symbolic link.
            OutputWriteError: the file could not be written.
        """
        parts = _safe_parts(rel)
        with self.folder(parts[:-1], rel) as folder:
            _replace_in(folder, parts[-1], text.encode("utf-8"), self.root / rel)

    @contextlib.contextmanager
    def folder(self, parts: tuple[str, ...], rel: str) -> Iterator[int]:
        """An open descriptor of the folder ``parts`` below the root, made as needed, links refused."""
        fd = os.dup(self._fd)
        try:
            for part in parts:
                inner = self.step(fd, part, rel)
                os.close(fd)
                fd = inner
            yield fd
        finally:
            os.close(fd)

    def step(self, fd: int, part: str, rel: str) -> int:
        """Open (making it if needed) the folder ``part`` inside the open folder ``fd``."""
        try:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, dir_fd=fd)
            return os.open(part, DIR_FLAGS, dir_fd=fd)
        except OSError as exc:
            if exc.errno in LINK_ERRORS:
                raise OutputError(
                    f"{self.root / rel}: {part} on its way is a symbolic link or not a folder; "
                    "refusing to write through it"
                ) from exc
            raise _write_failed(self.root / rel, exc) from exc


def _marker_exists(fd: int) -> bool:
    """Whether the folder open as ``fd`` holds the marker file."""
    try:
        os.stat(MARKER, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _safe_parts(rel: str) -> tuple[str, ...]:
    """The components of a relative output path, refusing any that would leave the folder.

    >>> _safe_parts("a/b.txt")
    ('a', 'b.txt')
    >>> _safe_parts("../x")
    Traceback (most recent call last):
    ...
    dedup.errors.OutputError: output path '../x' leaves the output folder
    """
    path = PurePosixPath(rel)
    parts = path.parts
    if not parts or path.is_absolute() or any(p in ("", ".", "..") for p in parts) or "\x00" in rel:
        raise OutputError(f"output path {rel!r} leaves the output folder")
    return parts
