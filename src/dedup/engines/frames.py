"""A Spark DataFrame of documents cleaned: the documents stay on the executors, the decisions come to them.

1. **Per document, on the executors.** ``mapInArrow`` cuts each partition into shards of about
   :data:`SHARD_CHARS` characters and cleans each one (:func:`dedup.engines.shard.clean_shard`). A shard
   is one row: a key (partition and place), its cleaned results, its arrays and its template rows (the
   keys the template count shuffles: a small column, so that job never reads the arrays back), pickled. The rows
   are kept on the executors' disks (``DISK_ONLY``), all partitions computed by one job.
2. **Over the corpus, in the driver.** Only the arrays come to the driver, one shard at a time, into a
   work folder; the streaming engine's corpus steps run on them (templates, exact repeats,
   near-duplicates, the keep rule; memory bounded by its budget). Each shard's decisions are made
   into a :class:`~dedup.engines.render.ShardMarks` (the marked paragraphs only).
3. **Rendering, on the executors.** The marks are joined to the shards by key, and each shard's
   documents are marked and turned into rows: the cleaned text and the line of ``report.jsonl``.

The documents and the report are those of :func:`dedup.clean_stream`, byte for byte, whatever the
partitions: the streaming engine's result does not depend on how the input is cut into shards, and
with ``order="id"`` not on the input's order either.
"""

from __future__ import annotations

import contextlib
import functools
import json
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.config import Config, StripConfig
from dedup.engines.frame_matching import NEAR, near_by_shard
from dedup.engines.frame_paragraphs import paragraph_rows, ranked_documents, shard_pre
from dedup.engines.render import NearRemoval, ShardMarks
from dedup.engines.shard import ShardTask, clean_shard
from dedup.engines.templates import Templates, counted, least_pages
from dedup.errors import ArgumentTypeError, ArgumentValueError
from dedup.io.read import MAX_BYTES, Skip, site_of_url
from dedup.records import CleanedDocument, Document

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SHARDS_PER_PARTITION", "SHARD_CHARS", "CleanedFrames", "clean_dataframe"]

SHARD_CHARS = 1 << 21
"""Characters of text a shard of a partition gathers before it is cleaned (about 2 MB, as locally)."""

_SHARDS = "key long, results binary, arrays binary, templates binary"
_RENDERED = "id string, text string, report string, document boolean"
_TEMPLATE_ROWS = "k0 long, k1 long, s0 long, s1 long"
_U64 = (1 << 64) - 1
SHARDS_PER_PARTITION = 16
"""Shards (about 2 MB of text each) per partition of the corpus steps, at least: a partition's paragraphs, its
candidate pairs or its clusters are held by one task."""
_ONE_ROW = "spark.sql.execution.arrow.maxRecordsPerBatch"
_SHARD_ROWS = {"spark.sql.inMemoryColumnarStorage.batchSize": "1", _ONE_ROW: "1"}
"""Settings while shard rows are made and cached: a cached batch and an Arrow batch of one row (see :func:`_settings`).
Rows of paragraphs, pairs or documents get Spark's cached batches and :data:`_MATCH_BATCH` rows an Arrow batch."""
_MATCH_BATCH = 1 << 16
"""Rows an Arrow batch carries in the matching stages (paragraphs, band rows, pairs: small rows)."""


@dataclass(frozen=True, slots=True)
class CleanedFrames:
    """What :func:`clean_dataframe` returns (both checkpointed: they hold their rows, not a plan to redo).

    Attributes:
        documents: the input's rows with the text column cleaned (rows skipped are left out), other
            columns as they were.
        report: one row per input row: ``id`` (null where the row had none) and ``report``, the
            document's line of ``report.jsonl`` (what was removed and why) as JSON text.
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
    partitions: int | None = None,
) -> CleanedFrames:
    """Clean a DataFrame of documents on Spark: the same documents and report as :func:`dedup.clean_stream`.

    Args:
        df: one row per document; ``id_column`` and ``text_column`` are strings, ids unique.
        config: the pipeline's settings; ``dedup.order`` must be ``"id"`` (a DataFrame has no input order).
        url_column, site_column: where a document's site comes from (the site column, else the URL's host).
        partitions: the partitions of the corpus steps' shuffles (default: two per core of the cluster, or one
            per :data:`SHARDS_PER_PARTITION` shards where that is more).

    Raises:
        ArgumentValueError: a column is missing, ``order`` is not ``"id"``, or ``partitions`` is not positive.
        ArgumentTypeError: a column is not a string column.
        InputError: two rows have the same id.
    """
    from pyspark import StorageLevel

    config = config or Config()
    if config.dedup.order != "id":
        raise ArgumentValueError("clean_dataframe: a DataFrame has no input order: use DedupConfig(order='id')")
    columns = _Columns(id_column, text_column, url_column, site_column)
    _check_columns(df, columns)
    if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1):
        raise ArgumentValueError(f"clean_dataframe: partitions must be a positive int or None, not {partitions!r}")
    names = [c for c in (columns.id, columns.text, columns.url, columns.site) if c is not None]
    clean = functools.partial(_partition_shards, config=config, columns=columns, chars=SHARD_CHARS)
    spark = df.sparkSession
    parallelism = spark.sparkContext.defaultParallelism
    source = df.select(*names)
    if source.rdd.getNumPartitions() < parallelism:  # one Parquet file is one partition: every core cleans
        source = source.repartition(2 * parallelism)
    held: list[DataFrame] = []
    disk = StorageLevel.DISK_ONLY
    try:
        with _settings(spark, _SHARD_ROWS):
            shards = _held(source.mapInArrow(clean, _SHARDS), held, disk)
            count = shards.count()  # every partition cleaned by one job
            pre = _held(shard_pre(shards, _templates(shards, config.strip), config), held, disk)
            pre.count()
        parts = partitions or max(2 * parallelism, -(-count // SHARDS_PER_PARTITION))
        with _settings(spark, {"spark.sql.shuffle.partitions": str(parts), _ONE_ROW: str(_MATCH_BATCH)}):
            docs = ranked_documents(pre)
            if config.dedup.enabled:
                paragraphs = _held(paragraph_rows(shards, pre, docs, config), held, disk)
                with _settings(spark, {_ONE_ROW: "1"}):
                    paragraphs.count()  # made from the shards' arrays, a shard a batch
                hold = functools.partial(_held, held=held, level=disk)
                near = hold(near_by_shard(paragraphs, docs, config, hold))
            else:
                near = spark.createDataFrame([], NEAR)
            marks = pre.select("key", "pre").join(near, "key", "left")
            rendered = shards.select("key", "results").join(marks, "key").mapInArrow(_render_shards, _RENDERED)
            rendered = _held(rendered, held, disk)
            with _settings(spark, {_ONE_ROW: "1"}):
                rendered.count()  # the shards' results, a shard a batch
            return _frames(df, rendered, columns)
    finally:
        for frame in held:
            frame.unpersist()


def _held(frame: DataFrame, held: list[DataFrame], level: Any) -> DataFrame:
    """``frame`` persisted at ``level``, and listed to be unpersisted when the call ends."""
    held.append(frame.persist(level))
    return frame


@contextlib.contextmanager
def _settings(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """Spark SQL settings for the jobs planned inside, restored after.

    The shard rows are megabytes each (a shard's results or arrays), and Spark's defaults of 10,000 rows a
    cached batch and an Arrow batch put a whole partition's shards on the JVM's heap at once: a 100 MB
    input in two partitions ran a 1 GB heap out. So the shards are cached, and sent to Python, one a batch.
    """
    conf = spark.conf
    before = {key: conf.get(key, None) for key in settings}
    for key, value in settings.items():
        conf.set(key, value)
    try:
        yield
    finally:
        for key, old in before.items():
            if old is None:
                conf.unset(key)
            else:
                conf.set(key, old)


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


def _templates(shards: DataFrame, config: StripConfig) -> Templates:
    """The corpus's template lines, counted by Spark: the same table as :func:`dedup.engines.templates.find_templates`.

    Each shard gives its counted template keys (valid, first in their page) with their site, and a row per
    page of each site; two aggregations (lines per key, pages per site) and a join keep the keys that
    enough of their site's pages carry. The exact rule (:func:`~dedup.engines.templates.least_pages`) is
    applied once more here, in Python, on the few rows that come back.
    """
    if not config.enabled:
        return {}
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    rows = shards.select("templates").mapInArrow(_template_rows, _TEMPLATE_ROWS)
    pages = rows.where(F.col("k0").isNull()).groupBy("s0", "s1").agg(F.count("*").alias("pages"))
    lines = rows.where(F.col("k0").isNotNull()).groupBy("k0", "k1", "s0", "s1").agg(F.count("*").alias("n"))
    often = lines.where(F.col("n") >= config.template_min_docs).join(pages, ["s0", "s1"])
    often = often.where(F.col("n") >= F.ceil(F.col("pages") * F.lit(config.template_share)) - 1)  # exact rule below
    table: Templates = {}
    for row in often.select("k0", "k1", "n", "pages").toLocalIterator():
        count, total = int(row["n"]), int(row["pages"])
        if count >= least_pages(config, total):
            table[(int(row["k0"]) & _U64, int(row["k1"]) & _U64)] = (count, total)
    return table


def _template_rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Each shard's template rows (made by :func:`_shard_templates` when it was cleaned) as Arrow rows; only this
    small column is read, not the shards' arrays (on an executor)."""
    import pyarrow as pa

    for batch in batches:
        for blob in batch.column("templates").to_pylist():
            lines, sites = pickle.loads(blob)
            null = np.r_[np.zeros(lines.shape[0], np.bool_), np.ones(sites.shape[0] - lines.shape[0], np.bool_)]
            padded = np.concatenate([lines, np.zeros((null.size - lines.shape[0], 2), np.int64)])
            columns = [pa.array(padded[:, i], mask=null) for i in (0, 1)] + [pa.array(sites[:, i]) for i in (0, 1)]
            yield pa.RecordBatch.from_arrays(columns, names=["k0", "k1", "s0", "s1"])


def _shard_templates(arrays: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """A shard's counted template keys (:func:`~dedup.engines.templates.counted`) and, after their sites, a site
    row per page with a site; the unsigned 64-bit halves as Spark's signed longs:
    ``(lines (n, 2), sites (n + pages, 2))``."""
    doc_par = np.asarray(arrays["doc_par"], dtype=np.int64)
    owner = np.repeat(np.arange(doc_par.size - 1), np.diff(doc_par))
    kept = counted(arrays, np.zeros(doc_par.size - 1, dtype=np.bool_))  # ids are unique in a DataFrame
    sites = np.asarray(arrays["doc_site"], dtype=np.uint64).reshape(-1, 2)
    keys = np.asarray(arrays["par_tkey"], dtype=np.uint64).reshape(-1, 2)[kept]
    paged = sites[np.asarray(arrays["doc_has_site"], dtype=np.bool_)]
    lines = np.ascontiguousarray(keys).view(np.int64)
    both = np.concatenate([sites[owner[kept]], paged]).view(np.int64)
    return lines, both


def _partition_shards(
    batches: Iterator[pa.RecordBatch], config: Config, columns: _Columns, chars: int
) -> Iterator[pa.RecordBatch]:
    """One partition's documents in shards of about ``chars`` characters, each cleaned (on an executor)."""
    from pyspark import TaskContext

    context = TaskContext.get()
    partition = context.partitionId() if context is not None else 0
    items: list[Document | Skip] = []
    gathered = count = 0
    for batch in batches:
        for row in batch.to_pylist():
            item = _item(row, columns)
            items.append(item)
            gathered += len(item.text) if isinstance(item, Document) else 0
            if gathered >= chars:
                yield _shard_batch((partition << 32) | count, items, config)
                items, gathered, count = [], 0, count + 1
    if items:
        yield _shard_batch((partition << 32) | count, items, config)


def _item(row: dict[str, Any], columns: _Columns) -> Document | Skip:
    """A row as a document, or an error skip when its id or text is null."""
    doc_id, text = row[columns.id], row[columns.text]
    if doc_id is None:
        return Skip(f"{columns.id}=null", f"no {columns.id!r}", error=True)
    if text is None:
        return Skip(f"{columns.id}={doc_id}", f"no {columns.text!r}", error=True, doc_id=doc_id)
    site = row[columns.site] if columns.site is not None else None
    if site is None and columns.url is not None and row[columns.url] is not None:
        site = site_of_url(row[columns.url])
    return Document(doc_id, text, site=site)


def _shard_batch(key: int, items: list[Document | Skip], config: Config) -> pa.RecordBatch:
    """One shard's items cleaned: a one-row batch of its key, its results and its arrays (pickled)."""
    import pyarrow as pa

    results, arrays = clean_shard(ShardTask(0, "", items=tuple(items)), config, MAX_BYTES)
    blobs = [pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL) for x in (results, arrays, _shard_templates(arrays))]
    columns = [pa.array([key], pa.int64()), *(pa.array([b], pa.binary()) for b in blobs)]
    return pa.RecordBatch.from_arrays(columns, names=["key", "results", "arrays", "templates"])


def _render_shards(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Each shard's results with its marks applied, as rows of cleaned text and report lines (on an executor)."""
    import pyarrow as pa

    for batch in batches:
        for row in batch.to_pylist():
            results: list[CleanedDocument | Skip] = pickle.loads(row["results"])
            out: dict[str, list[Any]] = {"id": [], "text": [], "report": [], "document": []}
            for result in _marks(row["pre"], row["near"]).render(results):
                is_doc = isinstance(result, CleanedDocument)
                out["id"].append(result.id if isinstance(result, CleanedDocument) else result.doc_id)
                out["text"].append(result.text if isinstance(result, CleanedDocument) else None)
                out["report"].append(json.dumps(result.report(), ensure_ascii=False))
                out["document"].append(is_doc)
            yield pa.RecordBatch.from_pydict(out, schema=_rendered_schema())


def _marks(pre: bytes, near: list[dict[str, Any]] | None) -> ShardMarks:
    """A shard's marks: its template lines and exact repeats, and its near-duplicate removals by document."""
    marks = pickle.loads(pre)
    removals: dict[int, list[NearRemoval]] = {}
    for r in near or []:
        removals.setdefault(r["local"], []).append((r["local"], r["par"], r["kind"], r["rep_id"], r["rep_par"],
                                                    r["similarity"]))  # fmt: skip
    return ShardMarks.of(marks["doc_par"], marks, removals)


def _rendered_schema() -> pa.Schema:
    """The Arrow schema of :data:`_RENDERED`."""
    import pyarrow as pa

    return pa.schema([("id", pa.string()), ("text", pa.string()), ("report", pa.string()), ("document", pa.bool_())])


def _frames(df: DataFrame, rendered: DataFrame, columns: _Columns) -> CleanedFrames:
    """The output DataFrames: the input's rows with the cleaned text, and the report; checkpointed."""
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    cleaned = rendered.where("document").select(F.col("id").alias("__dedup_id"), F.col("text").alias("__dedup_text"))
    joined = df.join(cleaned, df[columns.id] == F.col("__dedup_id"), "inner")
    picked = [F.col("__dedup_text").alias(columns.text) if c == columns.text else df[c] for c in df.columns]
    documents = joined.select(*picked).localCheckpoint(eager=True)
    report = rendered.select("id", "report").localCheckpoint(eager=True)
    return CleanedFrames(documents, report)
