"""Write outputs safely: never over an input, never half a file.

Every file is written to a temporary name beside its target and renamed over it, so a run that
is interrupted leaves each output either as it was or complete. Temporary files an interrupted
run left behind are removed by the next run. An output folder is marked as dedup's with a marker
file; a folder that holds other files is refused unless the caller forces it.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
>>> write_atomic(out / "a" / "b.txt", "text\\n")
>>> (out / "a" / "b.txt").read_text()
'text\\n'
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from dedup.errors import OutputError

MARKER = ".dedup-output"
"""The file that marks a folder as written by dedup (so writing into it again is safe)."""

TEMP_SUFFIX = ".dedup-tmp"
"""The ending of temporary files; the next run removes any an interrupted run left."""


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


def prepare_output_dir(out_dir: Path) -> None:
    """Create ``out_dir``, mark it as dedup's, and remove temporary files an interrupted run left."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).touch()
    for stale in out_dir.rglob(f"*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` through a temporary file and a rename.

    Readers see the old file or the new one, never a part; parent folders are created.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    # os.open with mode 0o666 lets the umask decide the permissions, as a plain open() would.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
