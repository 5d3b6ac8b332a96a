"""The pipeline on Apache Spark (PySpark): the per-document steps run on the cluster's executors.

Two ways in, both giving the documents and the report of the local engine, byte for byte:

- :class:`SparkRunner` is a :class:`~dedup.engines.stream.Runner` for the streaming engine: the input
  is read and cut into shards as locally (:mod:`dedup.engines.sources`), each shard is cleaned on an
  executor (:func:`dedup.engines.shard.clean_shard`: segment, normalise, strip, and the arrays of
  :mod:`dedup.engines.extract`), and the driver writes it to the work folder. ``dedup clean --engine
  spark`` uses it, so a run resumes as a local one does.
- :func:`clean_dataframe` takes a DataFrame of documents (id and text columns, any others passed
  through): each partition is cut into shards by ``mapInArrow``, the shards are kept on the executors'
  disks (``DISK_ONLY``) and read back by the driver one at a time.

Then the corpus steps (site templates, exact repeats, near-duplicates, the keep rule) and the rendering
run in the driver on arrays, as the streaming engine runs them (memory bounded by its budget, sorts
spilling to the work folder). Shards, partitions and executors change nothing in the result: the
streaming engine's result does not depend on how the input is cut into shards.

What does not scale past one driver yet: the driver reads the input (for the runner), and holds the
work folder, about eight times the input on disk. ``docs/spark.md`` says where the corpus steps go next.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dedup._resources import file_path
from dedup.config import Config
from dedup.engines.shard import Arrays, ShardTask, clean_shard, write_shard
from dedup.engines.stream import Progress, run_stream, settings_of
from dedup.engines.work import WorkFolder
from dedup.errors import ArgumentTypeError, ArgumentValueError, UsageError
from dedup.io.read import MAX_BYTES, Skip, site_of_url
from dedup.records import CleanedDocument, Document

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["CleanedFrames", "SparkRunner", "clean_dataframe", "session_at", "spark_session"]

SHARD_CHARS = 1 << 21
"""Characters of text a shard of a DataFrame's partition gathers before it is cleaned (about 2 MB, as locally)."""

_ROWS_PER_FILE = 1 << 14
"""Rows of the output DataFrames written per Parquet row group."""


def _pyspark() -> Any:
    """The pyspark module, or a usage error that says how to install it."""
    try:
        import pyspark
    except ImportError as exc:
        raise UsageError("the Spark engine needs pyspark and pyarrow: pip install 'dedup[spark]'") from exc
    return pyspark


def spark_session(
    master: str = "local[2]", *, app: str = "dedup", conf: Mapping[str, str] | None = None
) -> SparkSession:
    """A Spark session for dedup's jobs (the active one if there is one).

    ``PYSPARK_PYTHON`` is set to this interpreter unless it is set already, so that the executors' Python
    workers import the same dedup (on a cluster, set it to an interpreter that has dedup on every node).

    Raises:
        UsageError: pyspark is not installed, or Spark could not start (no Java runtime).
    """
    _pyspark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app)
    logging = f"-Dlog4j2.configurationFile={file_path('spark-log4j2.properties').as_uri()}"
    settings = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                "spark.driver.extraJavaOptions": logging, "spark.executor.extraJavaOptions": logging,
                **(conf or {})}  # fmt: skip
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own errors for a missing or broken Java runtime
        raise UsageError(f"could not start Spark ({master}): {exc}; it needs a Java runtime 17 or later "
                         "(Debian: apt-get install openjdk-17-jre-headless) or JAVA_HOME set") from exc  # fmt: skip


@contextlib.contextmanager
def session_at(master: str) -> Iterator[SparkSession]:
    """The active Spark session, or a new one at ``master`` that is stopped when the block ends.

    Raises:
        UsageError: as :func:`spark_session`.
    """
    _pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    session = active or spark_session(master)
    try:
        yield session
    finally:
        if active is None:
            session.stop()


@dataclass(frozen=True, slots=True)
class SparkRunner:
    """A :class:`~dedup.engines.stream.Runner` that cleans shards on Spark's executors.

    The driver sends ``batch`` shards at a time (default: two per core of the cluster) as one job and
    writes each cleaned shard to the work folder as it comes back. A shard's files (for a folder input)
    are read by the executor: on a cluster they must be on storage every node sees.
    """

    spark: SparkSession
    batch: int = 0

    def __call__(
        self, todo: Iterator[ShardTask], config: Config, work: WorkFolder, max_bytes: int, progress: Progress | None
    ) -> None:
        context = self.spark.sparkContext
        size = self.batch or 2 * max(1, context.defaultParallelism)
        clean = functools.partial(clean_shard, config=config, max_bytes=max_bytes)
        try:
            while batch := list(itertools.islice(todo, size)):
                cleaned = context.parallelize(batch, len(batch)).map(clean).collect()
                for task, (results, arrays) in zip(batch, cleaned, strict=True):
                    done = write_shard(work.shard(task.number), task, results, arrays)
                    if progress is not None:
                        progress(done.results)
        except BaseException:
            context.cancelAllJobs()
            raise


@dataclass(frozen=True, slots=True)
class CleanedFrames:
    """What :func:`clean_dataframe` returns.

    Attributes:
        documents: the input's rows with the text column cleaned (rows skipped are left out), other
            columns as they were.
        report: one row per input row: ``id`` (null where the row had none) and ``report``, the
            document's line of ``report.jsonl`` (what was removed and why), as JSON text.
    """

    documents: DataFrame
    report: DataFrame


@dataclass(frozen=True, slots=True)
class _Columns:
    """The names of the columns a DataFrame's documents are read from."""

    id: str
    text: str
    url: str | None
    site: str | None


def clean_dataframe(
    df: DataFrame,
    config: Config | None = None,
    *,
    id_column: str = "id",
    text_column: str = "text",
    url_column: str | None = None,
    site_column: str | None = None,
    memory: int | None = None,
    work: str | os.PathLike[str] | None = None,
) -> CleanedFrames:
    """Clean a DataFrame of documents on Spark: the same documents and report as :func:`dedup.clean_stream`.

    Args:
        df: one row per document; ``id_column`` and ``text_column`` are strings, ids unique.
        config: the pipeline's settings; ``dedup.order`` must be ``"id"`` (a DataFrame has no input order).
        url_column, site_column: where a document's site comes from (the site column, else the URL's host).
        memory: the driver's memory budget for the corpus steps (bytes; default from the machine).
        work: a folder for the work (default: a temporary one); the output is read back from it, so on a
            cluster it must be on storage the executors see.

    Raises:
        ArgumentValueError: a column is missing or ``order`` is not ``"id"``.
        ArgumentTypeError: a column is not a string column.
        InputError: two rows have the same id.
    """
    config = config or Config()
    if config.dedup.order != "id":
        raise ArgumentValueError("clean_dataframe: a DataFrame has no input order: use DedupConfig(order='id')")
    columns = _Columns(id_column, text_column, url_column, site_column)
    _check_columns(df, columns)
    parent = Path(work) if work is not None else None
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="dedup-spark-", dir=parent))
    try:
        with WorkFolder.open(root / "work", settings_of(config, engine="spark")) as folder:
            tasks = _shards_from(df, config, columns, folder)
            results = run_stream(tasks, config, folder, memory=memory, refuse_repeated_ids=True)
            _write_frames(results, root / "documents", root / "report")
        return _frames(df.sparkSession, df, columns, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _check_columns(df: DataFrame, columns: _Columns) -> None:
    """Refuse missing columns and columns that are not strings."""
    types = dict(df.dtypes)
    for name in (columns.id, columns.text, columns.url, columns.site):
        if name is None:
            continue
        if name not in types:
            raise ArgumentValueError(f"clean_dataframe: no column {name!r} (columns: {', '.join(df.columns)})")
        if types[name] != "string":
            raise ArgumentTypeError(f"clean_dataframe: column {name!r} must be a string column, not {types[name]}")


def _shards_from(df: DataFrame, config: Config, columns: _Columns, folder: WorkFolder) -> list[ShardTask]:
    """Clean the DataFrame's partitions into shards on the executors, write them to ``folder``; their tasks."""
    from pyspark import StorageLevel

    names = [c for c in (columns.id, columns.text, columns.url, columns.site) if c is not None]
    clean = functools.partial(_partition_shards, config=config, columns=columns, chars=SHARD_CHARS)
    shards = df.select(*names).mapInArrow(clean, "shard binary").persist(StorageLevel.DISK_ONLY)
    tasks: list[ShardTask] = []
    try:
        shards.count()  # every partition cleaned at once; the driver then reads them one at a time
        for number, row in enumerate(shards.toLocalIterator()):
            results, arrays = _loads(row["shard"])
            task = ShardTask(number, f"dataframe:{number}")
            write_shard(folder.shard(number), task, results, arrays)
            tasks.append(task)
    finally:
        shards.unpersist()
    return tasks


def _partition_shards(
    batches: Iterator[pa.RecordBatch], config: Config, columns: _Columns, chars: int
) -> Iterator[pa.RecordBatch]:
    """One partition's documents in shards of about ``chars`` characters, each cleaned (on an executor)."""
    items: list[Document | Skip] = []
    gathered = 0
    for batch in batches:
        for row in batch.to_pylist():
            item = _item(row, columns)
            items.append(item)
            gathered += len(item.text) if isinstance(item, Document) else 0
            if gathered >= chars:
                yield _shard_batch(items, config)
                items, gathered = [], 0
    if items:
        yield _shard_batch(items, config)


def _item(row: dict[str, Any], columns: _Columns) -> Document | Skip:
    """A row as a document, or a skip when its id or text is null."""
    doc_id, text = row[columns.id], row[columns.text]
    if doc_id is None:
        return Skip(f"{columns.id}=null", f"no {columns.id!r}", error=True)
    if text is None:
        return Skip(f"{columns.id}={doc_id}", f"no {columns.text!r}", error=True, doc_id=doc_id)
    site = row[columns.site] if columns.site is not None else None
    if site is None and columns.url is not None and row[columns.url] is not None:
        site = site_of_url(row[columns.url])
    return Document(doc_id, text, site=site)


def _shard_batch(items: list[Document | Skip], config: Config) -> pa.RecordBatch:
    """One shard's items cleaned, as a one-row batch holding its results and arrays, pickled."""
    import pickle

    import pyarrow as pa

    results, arrays = clean_shard(ShardTask(0, "", items=tuple(items)), config, MAX_BYTES)
    blob = pickle.dumps((results, arrays), protocol=pickle.HIGHEST_PROTOCOL)
    return pa.RecordBatch.from_arrays([pa.array([blob], type=pa.binary())], names=["shard"])


def _loads(blob: bytes) -> tuple[list[CleanedDocument | Skip], Arrays]:
    """A shard made by :func:`_shard_batch`, unpickled (it comes from this job's own executors)."""
    import pickle

    results, arrays = pickle.loads(blob)
    return results, arrays


def _write_frames(results: Iterator[CleanedDocument | Skip], documents: Path, report: Path) -> None:
    """Write the results as two Parquet files: the documents' ids and texts, and every result's report line."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    documents.mkdir()
    report.mkdir()
    doc_schema = pa.schema([("id", pa.string()), ("text", pa.string())])
    report_schema = pa.schema([("id", pa.string()), ("report", pa.string())])
    with contextlib.ExitStack() as stack:
        doc_out = stack.enter_context(pq.ParquetWriter(documents / "part-0.parquet", doc_schema))
        report_out = stack.enter_context(pq.ParquetWriter(report / "part-0.parquet", report_schema))
        while chunk := list(itertools.islice(results, _ROWS_PER_FILE)):
            docs = [r for r in chunk if isinstance(r, CleanedDocument)]
            texts = {"id": [d.id for d in docs], "text": [d.text for d in docs]}
            doc_out.write_table(pa.table(texts, schema=doc_schema))
            ids = [r.id if isinstance(r, CleanedDocument) else r.doc_id for r in chunk]
            lines = [json.dumps(r.report(), ensure_ascii=False) for r in chunk]
            report_out.write_table(pa.table({"id": ids, "report": lines}, schema=report_schema))


def _frames(spark: SparkSession, df: DataFrame, columns: _Columns, root: Path) -> CleanedFrames:
    """The output DataFrames, read from the Parquet files and checkpointed (so the files can go)."""
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    cleaned = spark.read.parquet(str(root / "documents")).withColumnRenamed("text", "__dedup_text")
    cleaned = cleaned.withColumnRenamed("id", "__dedup_id")
    joined = df.join(cleaned, df[columns.id] == F.col("__dedup_id"), "inner")
    picked = [F.col("__dedup_text").alias(columns.text) if c == columns.text else df[c] for c in df.columns]
    documents = joined.select(*picked).localCheckpoint(eager=True)
    report = spark.read.parquet(str(root / "report")).localCheckpoint(eager=True)
    return CleanedFrames(documents, report)
