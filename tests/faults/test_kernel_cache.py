"""``import dedup`` where numba can write no kernel cache: a read-only install, an unwritable home.

numba looks for a cache folder when a kernel is decorated (``NUMBA_CACHE_DIR``, the package's
``__pycache__``, ``~/.cache/numba``) and raised ``RuntimeError`` when none was writable, so the import
failed. The test makes every one of them unwritable for a process without privileges and checks that
the import works, cleans a text as a cached run does, and warns once with the fix.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import dedup

pytestmark = pytest.mark.slow  # a subprocess compiling kernels without a cache: CI runs it

TEXT = "a b c"  # short, so that the child compiles only a few kernels (each costs seconds without a cache)

CHILD = f"""
import pathlib, sys
package = pathlib.Path(sys.argv[1])
try:
    (package / "probe").touch()
except OSError:
    pass
else:
    sys.exit("the package copy is writable here: the test did not drop privileges")
import dedup
assert pathlib.Path(dedup.__file__).parent == package, dedup.__file__
print(repr(dedup.clean_text({TEXT!r})))
"""


def _read_only(root: Path) -> None:
    """Take write permission away from every file and folder under ``root``, for everyone."""
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _unprivileged() -> list[str]:
    """A command prefix that runs this interpreter without the power to ignore file permissions."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is not None:
        # A user that can run this interpreter at all (it may sit in root's home, out of nobody's reach).
        prefix = [runuser, "-u", "nobody", "--"]
        if subprocess.run([*prefix, sys.executable, "-c", "pass"], capture_output=True).returncode == 0:
            return prefix
    setpriv = shutil.which("setpriv")
    if setpriv is not None:
        # Still root, but without CAP_DAC_OVERRIDE a read-only mode binds root as it binds anyone.
        prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-all", "--"]
        if subprocess.run([*prefix, sys.executable, "-c", "pass"], capture_output=True).returncode == 0:
            return prefix
    pytest.skip("running as root, and neither runuser -u nobody nor setpriv can drop the privileges here")


@pytest.fixture
def read_only_install() -> Iterator[Path]:
    """A read-only copy of the package (no ``__pycache__``) and a read-only home, in a folder all may read."""
    top = Path(tempfile.mkdtemp(prefix="dedup-ro-"))  # not tmp_path: pytest's base folder is private to its user
    try:
        top.chmod(0o755)
        source = Path(dedup.__file__).parent
        shutil.copytree(source, top / "site" / "dedup", ignore=shutil.ignore_patterns("__pycache__"))
        (top / "home").mkdir()
        _read_only(top)
        yield top
    finally:
        for path in [top, *top.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(top)


@pytest.mark.slow
def test_import_without_a_writable_cache_warns_and_works(read_only_install: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_") and k != "XDG_CACHE_HOME"}
    home = read_only_install / "home"
    env |= {
        "HOME": str(home),
        "NUMBA_CACHE_DIR": str(home / "numba-cache"),  # cannot be created: home is read-only
        "PYTHONPATH": str(read_only_install / "site"),
    }
    package = read_only_install / "site" / "dedup"
    done = subprocess.run(
        [*_unprivileged(), sys.executable, "-c", CHILD, str(package)],
        env=env,
        cwd=read_only_install,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == repr(dedup.clean_text(TEXT)) + "\n"  # what the cached kernels make of it here
    assert done.stderr.count("KernelCacheWarning") == 1, done.stderr
    assert "Set NUMBA_CACHE_DIR to a writable folder" in done.stderr
    assert not (home / "numba-cache").exists()
