"""Parquet datasets on Spark: ``dedup clean IN.parquet -o OUT.parquet --engine spark``.

Spark reads the input dataset (a ``.parquet`` file, or a folder of Parquet parts), :func:`dedup.spark.clean_dataframe`
cleans it, and the cleaned rows (every column kept, ``text`` cleaned, documents whose text is all removed
left out, as in JSONL output) are written by Spark as a new dataset sorted by id; the report goes to a
JSONL file, one line per input row in id order, each the line ``--engine stream`` writes for that record.

Nothing is replaced until all is written: the dataset goes to a hidden sibling folder that is renamed into
place at the end (an existing output only with ``--force``), the report to a temporary file renamed over
its name.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dedup.config import Config
from dedup.errors import OutputError, UsageError
from dedup.io.read import Skip, printable
from dedup.io.sinks import Tally
from dedup.io.write import AtomicFile, is_within

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["ParquetPlan", "clean_parquet", "is_parquet", "parquet_plan"]

SUFFIX = ".parquet"
SITE_COLUMNS = ("url", "site")
"""Optional columns a document's site comes from, as the fields of a JSONL record."""


def is_parquet(path: Path) -> bool:
    """Whether ``path`` is a Parquet dataset: a ``.parquet`` file or folder, or a folder whose data files
    (names not starting with ``.`` or ``_``, which Spark and pyarrow skip too) are all ``.parquet`` parts.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "part-0.parquet").write_bytes(b"PAR1"), (folder / "_SUCCESS").write_bytes(b"")
    >>> is_parquet(folder), is_parquet(Path("x.parquet")), is_parquet(Path("x.jsonl"))
    (True, True, False)
    """
    return path.suffix == SUFFIX or _data_files(path) not in (None, [])


def _data_files(folder: Path) -> list[str] | None:
    """The names of a folder's data files when all are Parquet parts; ``None`` when some are not, or it is no
    folder. Spark's own files (``_SUCCESS``, ``.crc`` files) do not count."""
    if not folder.is_dir():
        return None
    with contextlib.suppress(OSError):
        names = [p.name for p in folder.iterdir() if not p.name.startswith((".", "_"))]
        if all(name.endswith(SUFFIX) and (folder / name).is_file() for name in names):
            return names
    return None


@dataclass(frozen=True, slots=True)
class ParquetPlan:
    """Where a Parquet run reads and writes; ``force``: an existing output dataset or report may be replaced."""

    source: Path
    out: Path
    report: Path
    force: bool = False


def parquet_plan(source: Path, output: str | None, report: Path | None, *, force: bool = False) -> ParquetPlan:
    """Check a Parquet run's paths before anything is read or written.

    The output is a dataset folder named ``*.parquet``; the report defaults to ``OUT.report.jsonl`` beside it.

    Raises:
        UsageError: no output, or one not named ``.parquet``.
        OutputError: an output would overwrite the input or an existing file (without ``force``), or the
            output exists and is not a folder of Parquet parts (never replaced: it may hold other data).

    >>> parquet_plan(Path("in.parquet"), "out.parquet", None).report
    PosixPath('out.report.jsonl')
    """
    if output in (None, "-") or not str(output).endswith(SUFFIX):
        raise UsageError(f"Parquet input {printable(str(source))} is written as a Parquet dataset: give -o OUT.parquet")
    out = Path(str(output))
    report = report or out.with_suffix(".report.jsonl")
    for path, name in ((out, "output"), (report, "report")):
        if is_within(path, source) or is_within(source, path):
            raise OutputError(f"{name} {printable(str(path))} overlaps the input {printable(str(source))}")
        if (path.exists() or path.is_symlink()) and not force:
            raise OutputError(f"{name} {printable(str(path))} exists: give --force to replace it")
    if is_within(report, out):
        raise OutputError(f"report {printable(str(report))} is inside the output dataset {printable(str(out))}")
    if out.exists() and _data_files(out) is None:
        raise OutputError(f"output {printable(str(out))} exists and is not a Parquet dataset folder: not replaced")
    return ParquetPlan(source, out, report, force)


def clean_parquet(spark: SparkSession, plan: ParquetPlan, config: Config) -> Tally:
    """Clean the plan's dataset on ``spark`` into its output dataset and report; return the run's tally.

    Raises:
        InputError: two rows have the same id.
        ArgumentValueError, ArgumentTypeError: the dataset has no string ``id`` and ``text`` columns.
    """
    from dedup.engines.frames import clean_dataframe

    df = spark.read.parquet(str(plan.source))
    present = {name: name if name in df.columns else None for name in SITE_COLUMNS}
    frames = clean_dataframe(df, config, url_column=present["url"], site_column=present["site"])
    tally = Tally()
    staged = plan.out.parent / f".{plan.out.name}.dedup-{uuid.uuid4().hex[:12]}"
    try:
        with AtomicFile.at(plan.report) as report:
            for line in _report_lines(frames.report):
                report.write(line + "\n")
                _count(tally, json.loads(line))
            frames.documents.orderBy("id").write.parquet(str(staged))
            report.commit()
        _swap(staged, plan.out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return tally


def _report_lines(report: DataFrame) -> Iterator[str]:
    """The report DataFrame's lines in id order, one partition at a time."""
    for row in report.orderBy("id").toLocalIterator():
        yield row["report"]


def _count(tally: Tally, line: dict[str, object]) -> None:
    """Add one report line to ``tally`` as the sinks count a result."""
    if line["status"] != "ok":
        tally.skips.append(Skip(str(line["source"]), str(line["reason"]), line["status"] == "error", str(line["id"])))
        return
    tally.documents += 1
    tally.paragraphs += int(line["paragraphs_in"])  # type: ignore[call-overload]
    tally.kept += int(line["paragraphs_out"])  # type: ignore[call-overload]
    for removed in line["removed"]:  # type: ignore[attr-defined]
        tally.stages[removed["stage"]] += 1


def _swap(staged: Path, out: Path) -> None:
    """Put the staged dataset at ``out``; an old one there (``--force``) is renamed aside first, then removed."""
    old = out.parent / f".{out.name}.dedup-old-{uuid.uuid4().hex[:12]}"
    if out.exists():
        out.rename(old)
    try:
        staged.rename(out)
    except OSError as exc:
        if old.exists():
            old.rename(out)
        raise OutputError(f"could not move the new dataset to {printable(str(out))}: {exc.strerror}") from exc
    shutil.rmtree(old, ignore_errors=True)
