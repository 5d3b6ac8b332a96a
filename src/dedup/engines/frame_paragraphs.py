"""The corpus's paragraphs left to match, as a DataFrame numbered as the local engine numbers them.

1. **Marks, per shard** (:func:`shard_pre`, on the executors): template lines (from the table Spark
   counted) and exact repeats within each document, by :func:`dedup.engines.corpus.shard_marks`, the code a
   local run uses; each shard's documents (their ids, and how many paragraphs each leaves to match).
2. **Ranks and positions** (:func:`ranked_documents`): the documents sorted by id (a range-partitioned
   sort); each partition's documents and paragraphs counted (one small job), so each document gets its
   rank and its first position, as :func:`dedup.engines.corpus.positions` numbers them.
3. **Paragraphs** (:func:`paragraph_rows`, on the executors): each shard's paragraphs left to match with
   their position, document rank, shingle set, band hashes and text digest, and the partners the screen
   within a document found (:func:`dedup.engines.corpus.screened_positions`, and
   :func:`~dedup.engines.corpus.screened_within` for documents too long for the worker to screen).
"""

from __future__ import annotations

import functools
import itertools
import pickle
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.config import Config
from dedup.engines.arrow import longs, rows_column, sets_column
from dedup.engines.corpus import placed, screened_positions, screened_within, shard_marks
from dedup.engines.templates import Templates
from dedup.errors import InputError
from dedup.hashing import ShingleSets

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["PARAGRAPHS", "PRE", "paragraph_rows", "ranked_documents", "shard_pre"]

PRE = "key long, pre binary, ids array<string>, counts array<long>"
"""A shard's marks (pickled :func:`~dedup.engines.corpus.shard_marks` with ``doc_par``) and its documents."""

PARAGRAPHS = ("pos long, doc long, size long, text long, key long, local long, par long, hashes binary, "
              "bands binary, partners array<long>")  # fmt: skip
"""A paragraph left to match: its position, its document's rank, its set's size, its text digest, where it is
(shard key, document in the shard, paragraph), its shingle set and band hashes, and its screen partners."""

_PLACES = "key long, local long, rank long, first long"


def shard_pre(shards: DataFrame, templates: Templates, config: Config) -> DataFrame:
    """Each shard's marks and documents (:data:`PRE`), made on the executors."""
    return shards.select("key", "arrays").mapInArrow(functools.partial(_pre_batches, templates=templates,
                                                                       config=config), PRE)  # fmt: skip


def _pre_batches(batches: Iterator[pa.RecordBatch], templates: Templates, config: Config) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    for batch in batches:
        for key, blob in zip(batch.column("key").to_pylist(), batch.column("arrays").to_pylist(), strict=True):
            arrays = pickle.loads(blob)
            doc_par = np.asarray(arrays["doc_par"], dtype=np.int64)
            marks = shard_marks(arrays, np.zeros(doc_par.size - 1, dtype=np.bool_), templates, config)
            marks["doc_par"] = doc_par
            starts = np.asarray(arrays["doc_id_off"], dtype=np.int64).tolist()
            raw = np.asarray(arrays["doc_ids"], dtype=np.uint8).tobytes()
            ids = [raw[a:b].decode("utf-8", "surrogatepass") for a, b in itertools.pairwise(starts)]
            blob = pickle.dumps(marks, protocol=pickle.HIGHEST_PROTOCOL)
            columns = [pa.array([key], pa.int64()), pa.array([blob]), pa.array([ids], pa.list_(pa.string())),
                       pa.array([marks["counts"].tolist()], pa.list_(pa.int64()))]  # fmt: skip
            yield pa.RecordBatch.from_arrays(columns, names=["key", "pre", "ids", "counts"])


def ranked_documents(pre: DataFrame) -> DataFrame:
    """Every document with its rank by id and its first position (``key, local, rank, first, id``), checkpointed.

    Raises:
        InputError: two documents have the same id.
    """
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    docs = pre.select("key", F.posexplode(F.arrays_zip("ids", "counts")).alias("local", "d")).select(
        "key", F.col("local").cast("long").alias("local"), F.col("d.ids").alias("id"),
        F.col("d.counts").alias("count"))  # fmt: skip
    repeated = docs.groupBy("id").count().where(F.col("count") > 1).select("id").limit(1).collect()
    if repeated:
        raise InputError(f"two documents have the same id {repeated[0]['id']!r}: ids must be unique")
    ordered = docs.orderBy("id").localCheckpoint(eager=True)  # range partitions, in id order
    totals = sorted(ordered.mapInArrow(_partition_totals, "part long, docs long, paragraphs long").collect())
    starts: dict[int, tuple[int, int]] = {}
    rank = first = 0
    for row in totals:
        starts[int(row["part"])] = (rank, first)
        rank, first = rank + int(row["docs"]), first + int(row["paragraphs"])
    placed = ordered.mapInArrow(functools.partial(_places, starts=starts), _PLACES)
    return placed.join(ordered.select("key", "local", "id"), ["key", "local"]).localCheckpoint(eager=True)


def _partition_totals(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa
    from pyspark import TaskContext

    docs = paragraphs = 0
    for batch in batches:
        docs += batch.num_rows
        paragraphs += int(longs(batch.column("count")).sum())
    part = TaskContext.get().partitionId()  # type: ignore[union-attr]
    yield pa.RecordBatch.from_pydict({"part": [part], "docs": [docs], "paragraphs": [paragraphs]})


def _places(batches: Iterator[pa.RecordBatch], starts: dict[int, tuple[int, int]]) -> Iterator[pa.RecordBatch]:
    """Ranks and first positions of one partition's documents, from the counts of the partitions before."""
    import pyarrow as pa
    from pyspark import TaskContext

    rank, first = starts.get(TaskContext.get().partitionId(), (0, 0))  # type: ignore[union-attr]
    for batch in batches:
        counts = longs(batch.column("count"))
        firsts = first + np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if counts.size else counts
        ranks = np.arange(rank, rank + counts.size, dtype=np.int64)
        rank, first = rank + counts.size, first + int(counts.sum())
        yield pa.RecordBatch.from_arrays([batch.column("key"), batch.column("local"), pa.array(ranks),
                                          pa.array(firsts)], names=["key", "local", "rank", "first"])  # fmt: skip


def paragraph_rows(shards: DataFrame, pre: DataFrame, docs: DataFrame, config: Config) -> DataFrame:
    """Every paragraph left to match (:data:`PARAGRAPHS`), made on the executors from each shard's arrays."""
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    places = docs.groupBy("key").agg(F.sort_array(F.collect_list(F.struct("local", "rank", "first"))).alias("places"))
    joined = shards.select("key", "arrays").join(pre.select("key", "pre"), "key").join(places, "key")
    return joined.mapInArrow(functools.partial(_paragraph_batches, config=config), PARAGRAPHS)


def _paragraph_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        for row in batch.to_pylist():
            yield _shard_paragraphs(row, config)


def _shard_paragraphs(row: dict[str, Any], config: Config) -> pa.RecordBatch:
    """One shard's paragraphs left to match, as :data:`PARAGRAPHS` rows, in position order within each document."""
    import pyarrow as pa

    arrays, marks = pickle.loads(row["arrays"]), pickle.loads(row["pre"])
    places = row["places"]
    ranks = np.array([p["rank"] for p in places], dtype=np.int64)
    firsts = np.array([p["first"] for p in places], dtype=np.int64)
    counts = np.asarray(marks["counts"], dtype=np.int64)
    ids = np.asarray(marks["inputs"], dtype=np.int64)
    where, owner = placed(firsts, counts)
    starts = np.cumsum(counts) - counts
    sets = ShingleSets(np.asarray(arrays["set_off"], dtype=np.int64), np.asarray(arrays["set_hashes"], np.uint64))
    mine = sets.take(ids)
    pairs = [screened_positions(arrays, where, ids)]
    for doc in np.flatnonzero(np.asarray(arrays["screen_later"], dtype=np.bool_) & (counts > 1)).tolist():
        lo = int(starts[doc])
        pairs.append(screened_within(mine.take(np.arange(lo, lo + int(counts[doc]))), config) + int(firsts[doc]))
    partners = _partners(np.concatenate(pairs), where)
    bands = np.ascontiguousarray(np.asarray(arrays["set_bands"], dtype=np.uint64)[:, ids].T)
    columns = {
        "pos": pa.array(where), "doc": pa.array(ranks[owner]), "size": pa.array(np.diff(mine.offsets)),
        "text": pa.array(np.asarray(arrays["set_text"], dtype=np.int64)[ids]),
        "key": pa.array(np.full(ids.size, row["key"], dtype=np.int64)), "local": pa.array(owner.astype(np.int64)),
        "par": pa.array(np.asarray(arrays["set_par"], dtype=np.int64)[ids]), "hashes": sets_column(mine),
        "bands": rows_column(np.arange(ids.size + 1, dtype=np.int64) * bands.shape[1], bands.ravel()),
        "partners": partners,
    }  # fmt: skip
    return pa.RecordBatch.from_pydict(columns)


def _partners(pairs: Any, where: Any) -> pa.Array:
    """Each paragraph's screen partners (pairs of positions, each listed under its first position)."""
    import pyarrow as pa

    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    order = np.argsort(where, kind="stable")
    at = order[np.searchsorted(where[order], pairs[:, 0])] if pairs.size else np.empty(0, np.int64)
    sort = np.argsort(at, kind="stable")
    offsets = np.searchsorted(at[sort], np.arange(where.size + 1)).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(pairs[sort, 1], pa.int64()))
