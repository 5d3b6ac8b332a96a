"""Near-duplicates of a DataFrame of paragraphs (:mod:`dedup.engines.frame_paragraphs`) as Spark stages: the
same candidates, verification, clusters and keep rule as :func:`dedup.engines.matching.match_stores`.

1. **Band buckets**: each eligible paragraph's band hashes exploded to ``(band, bucket, position)`` rows, the
   bucket being the hash above the local engine's index bits; shuffled by bucket and sorted, so each
   partition holds whole buckets, which the local kernel (:func:`dedup.near._kernels.bucket_pairs`) pairs:
   every pair of a bucket of at most :data:`~dedup.near.banding.MAX_FULL_BUCKET` rows, a star on the
   smallest position of a larger one.
2. **Prefix join** (across documents): the shingle counts (a table of saturating counters per partition,
   added in a tree), broadcast; each set's prefix tokens (:func:`dedup.near.prefix.prefix_keys`) and a bitmap
   of them (ORed in a tree); the holders of marked tokens (:func:`~dedup.near.prefix.holder_keys`); tokens
   with more than :data:`~dedup.near.prefix.MAX_POSTINGS` holders dropped; prefix joined to holders.
3. **Verification**: the distinct candidates (bands, the screen's partners, the prefix join) joined twice to
   the shingle sets, each pair oriented and scored by the local kernels.
4. **Clusters** by large-star / small-star (:mod:`dedup.engines.components`), and the **keep rule** on
   each partition's clusters (:func:`dedup.near.decide.keep_rule`).
5. **Removals by shard**: each removed paragraph with its partner's document id and paragraph, grouped by the
   shard they go back to.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.config import Config, DedupConfig
from dedup.engines.arrow import column_rows, column_sets, longs, signed
from dedup.engines.components import connected_components
from dedup.hashing import ShingleSets
from dedup.near import _kernels
from dedup.near.banding import MAX_FULL_BUCKET, choose_banding, index_bits_for
from dedup.near.decide import is_duplicate, keep_rule, oriented
from dedup.near.pairs import Pairs
from dedup.near.prefix import (
    MAX_POSTINGS,
    count_shingles,
    count_table,
    holder_keys,
    join_layout,
    prefix_keys,
    prefix_sizes,
    token_bitmap,
)  # fmt: skip

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["NEAR", "Hold", "near_by_shard"]

NEAR = "key long, near array<struct<local:long,par:long,kind:long,rep_id:string,rep_par:long,similarity:double>>"
"""A shard's near-duplicate removals: the rows of :data:`dedup.engines.render.NearRemoval`."""

_BUCKETS = "band long, bucket long, pos long, doc long"
_TOKENS = "token long, pos long, doc long, size long"
_PAIRS = "a long, b long"
_VERIFIED = "left long, right long, extends boolean"
_DECIDED = "pos long, rep long, kind long, similarity double"


Hold = Callable[["DataFrame"], "DataFrame"]
"""Persists a DataFrame that more than one stage reads (it would be computed again for each), until the job ends."""


def near_by_shard(paragraphs: DataFrame, docs: DataFrame, config: Config, hold: Hold) -> DataFrame:
    """Each shard's near-duplicate removals (:data:`NEAR`), from the paragraphs left to match and the documents
    (``key, local, id``); ``hold`` persists the stages read more than once."""
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    dedup = config.dedup
    totals = paragraphs.agg(
        F.count(F.when(F.col("size") >= dedup.min_shingles, 1)).alias("eligible"),
        F.count(F.when(F.col("size") >= max(dedup.min_shingles, dedup.min_contained_shingles), 1)).alias("rows"),
        F.coalesce(F.sum("size"), F.lit(0)).alias("hashes"),
    ).first()
    assert totals is not None
    candidates = _band_pairs(paragraphs, int(totals["eligible"]), config).union(_screen_pairs(paragraphs))
    if dedup.across_documents and int(totals["rows"]):
        candidates = candidates.union(_containment_pairs(paragraphs, int(totals["rows"]), int(totals["hashes"]),
                                                         dedup, hold))  # fmt: skip
    distinct = candidates.select(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b")).distinct()
    verified = _verified(distinct, paragraphs, dedup).localCheckpoint(eager=True)
    decided = _decided(verified, paragraphs, dedup)
    return _by_shard(decided, paragraphs, docs)


def _band_pairs(paragraphs: DataFrame, eligible: int, config: Config) -> DataFrame:
    """Pairs ``(a, b)`` of positions sharing a band bucket (all pairs of a small bucket, a star of a large one):
    the band rows shuffled by bucket and sorted, each partition's buckets paired by the local kernel."""
    from pyspark.sql import functions as F  # noqa: N812

    dedup = config.dedup
    bands = choose_banding(dedup.lsh_threshold, config.minhash.num_perm).bands
    explode = functools.partial(_bucket_rows, bands=bands, index_bits=index_bits_for(eligible))
    rows = paragraphs.where(F.col("size") >= dedup.min_shingles).select("pos", "doc", "bands")
    buckets = rows.mapInArrow(explode, _BUCKETS).repartition("band", "bucket").sortWithinPartitions("band", "bucket",
                                                                                                   "pos")  # fmt: skip
    return buckets.mapInArrow(functools.partial(_bucket_pairs, within=not dedup.across_documents), _PAIRS)


def _bucket_pairs(batches: Iterator[pa.RecordBatch], within: bool) -> Iterator[pa.RecordBatch]:
    """The pairs of one partition's buckets (rows sorted by band, bucket and position; a bucket wholly here)."""
    import pyarrow as pa

    got = [b for b in batches if b.num_rows]
    if not got:
        return
    table = pa.Table.from_batches(got)
    band, bucket, pos, doc = (longs(table.column(c)) for c in ("band", "bucket", "pos", "doc"))
    starts = np.r_[True, (band[1:] != band[:-1]) | (bucket[1:] != bucket[:-1])]
    group = np.cumsum(starts) - 1
    bits = index_bits_for(pos.size)
    keys = (group.astype(np.uint64) << np.uint64(bits)) | np.arange(pos.size, dtype=np.uint64)
    pairs = Pairs.collect(lambda out: _kernels.bucket_pairs(keys, bits, MAX_FULL_BUCKET, out))
    left, right = pairs.left, pairs.right
    if within:
        same = doc[left] == doc[right]
        left, right = left[same], right[same]
    yield pa.RecordBatch.from_pydict({"a": pos[left], "b": pos[right]})


def _bucket_rows(batches: Iterator[pa.RecordBatch], bands: int, index_bits: int) -> Iterator[pa.RecordBatch]:
    """Each paragraph's ``(band, bucket, position, document)`` rows: the bucket is the band hash above
    ``index_bits`` (the local engine's keys hold a paragraph's number in those bits)."""
    import pyarrow as pa

    for batch in batches:
        hashes = column_rows(batch.column("bands"), np.uint64, bands)
        n = hashes.shape[0]
        buckets = signed(np.ascontiguousarray(hashes.T).ravel() >> np.uint64(index_bits))
        yield pa.RecordBatch.from_pydict({
            "band": np.repeat(np.arange(bands, dtype=np.int64), n), "bucket": buckets,
            "pos": np.tile(longs(batch.column("pos")), bands), "doc": np.tile(longs(batch.column("doc")), bands),
        })  # fmt: skip


def _screen_pairs(paragraphs: DataFrame) -> DataFrame:
    """The screen's pairs within documents."""
    from pyspark.sql import functions as F  # noqa: N812

    return paragraphs.select(F.col("pos").alias("a"), F.explode("partners").alias("b"))


def _containment_pairs(paragraphs: DataFrame, rows: int, total: int, dedup: DedupConfig, hold: Hold) -> DataFrame:
    """The prefix join's pairs ``(a, b)``: ``b`` may contain ``a`` (another document, at least as many shingles)."""
    from pyspark.sql import functions as F  # noqa: N812

    spark = paragraphs.sparkSession
    layout = join_layout(rows)
    tables = max(1, spark.sparkContext.defaultParallelism)  # a table (up to 16 MB) a core, added in a tree
    counts = functools.partial(_counts, size=count_table(total).size)
    empty = bytes(count_table(total).size)  # the sum of no tables (an empty partition is planned as none)
    table = paragraphs.select("hashes").coalesce(tables).mapInArrow(counts, "table binary").rdd.map(
        _blob).treeAggregate(empty, _added, _added)  # fmt: skip
    counted = spark.sparkContext.broadcast(table)
    joined = paragraphs.where(F.col("size") >= max(dedup.min_shingles, dedup.min_contained_shingles))
    joined = joined.select("pos", "doc", "size", "hashes")
    keys = functools.partial(_prefix_rows, table=counted, layout=layout, containment=dedup.containment)
    prefix = hold(joined.mapInArrow(keys, _TOKENS))
    words = token_bitmap(total).size  # sized from the hashes, more than the prefixes: it only filters holders
    marks = functools.partial(_marked, words=words)
    bitmap = prefix.select("token").coalesce(tables).mapInArrow(marks, "bitmap binary").rdd.map(
        _blob).treeAggregate(bytes(8 * words), _ored, _ored)  # fmt: skip
    marked = spark.sparkContext.broadcast(bitmap)
    holders = hold(joined.mapInArrow(functools.partial(_holder_rows, bitmap=marked, layout=layout), _TOKENS))
    common = holders.groupBy("token").count().where(F.col("count") <= MAX_POSTINGS).select("token")
    p, h = prefix.join(common, "token").alias("p"), holders.alias("h")
    pairs = p.join(h, "token").where((F.col("p.pos") != F.col("h.pos")) & (F.col("p.doc") != F.col("h.doc"))
                                     & (F.col("h.size") >= F.col("p.size")))  # fmt: skip
    return pairs.select(F.col("p.pos").alias("a"), F.col("h.pos").alias("b"))


def _counts(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """A partition's shingle counts (saturating) as one row."""
    import pyarrow as pa

    table = np.zeros(size, dtype=np.uint8)
    for batch in batches:
        count_shingles(column_sets(batch.column("hashes")), table)
    yield pa.RecordBatch.from_pydict({"table": [table.tobytes()]})


def _blob(row: Any) -> bytes:
    """A one-column row's binary value."""
    return bytes(row[0])


def _added(a: bytes, b: bytes) -> bytes:
    """Two tables of counts added, saturating at 255 (as one sequential count would)."""
    both = np.frombuffer(a, dtype=np.uint8).astype(np.uint16) + np.frombuffer(b, dtype=np.uint8)
    return np.minimum(both, 255).astype(np.uint8).tobytes()


def _ored(a: bytes, b: bytes) -> bytes:
    return (np.frombuffer(a, dtype=np.uint64) | np.frombuffer(b, dtype=np.uint64)).tobytes()


def _prefix_rows(batches: Iterator[pa.RecordBatch], table: Any, layout: _kernels.KeyLayout, containment: float
                 ) -> Iterator[pa.RecordBatch]:  # fmt: skip
    """Each set's prefix tokens (its rarest shingles that some other set holds)."""
    counts = np.frombuffer(table.value, dtype=np.uint8)
    for batch in batches:
        sets = column_sets(batch.column("hashes"))
        local = np.arange(batch.num_rows, dtype=np.int64)
        keys = prefix_keys(sets, local, prefix_sizes(sets.sizes(), containment), counts, layout)
        yield _token_batch(keys, layout, batch)


def _holder_rows(batches: Iterator[pa.RecordBatch], bitmap: Any, layout: _kernels.KeyLayout
                 ) -> Iterator[pa.RecordBatch]:  # fmt: skip
    """Each set's tokens that are in some prefix (by the bitmap)."""
    marks = np.frombuffer(bitmap.value, dtype=np.uint64)
    for batch in batches:
        sets = column_sets(batch.column("hashes"))
        keys = holder_keys(sets, np.arange(batch.num_rows, dtype=np.int64), marks, layout)
        yield _token_batch(keys, layout, batch)


def _token_batch(keys: Any, layout: _kernels.KeyLayout, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Join keys as rows ``(token, position, document, size)`` of the batch's sets they name."""
    import pyarrow as pa

    local = (keys & np.uint64(layout.side - 1)).astype(np.int64)
    return pa.RecordBatch.from_pydict({
        "token": signed(keys >> np.uint64(layout.shift)), "pos": longs(batch.column("pos"))[local],
        "doc": longs(batch.column("doc"))[local], "size": longs(batch.column("size"))[local],
    })  # fmt: skip


def _marked(batches: Iterator[pa.RecordBatch], words: int) -> Iterator[pa.RecordBatch]:
    """A partition's bitmap of prefix tokens."""
    import pyarrow as pa

    bitmap = np.zeros(words, dtype=np.uint64)
    layout = _kernels.KeyLayout(0, 1)
    for batch in batches:
        _kernels.mark_tokens(longs(batch.column("token")).view(np.uint64), layout, bitmap)
    yield pa.RecordBatch.from_pydict({"bitmap": [bitmap.tobytes()]})


def _verified(candidates: DataFrame, paragraphs: DataFrame, dedup: DedupConfig) -> DataFrame:
    """The candidates that are duplicates, oriented (``left`` the smaller set), and whether each extends."""
    from pyspark.sql import functions as F  # noqa: N812

    sets = paragraphs.select("pos", "size", "hashes")
    a = sets.select(F.col("pos").alias("a"), F.col("size").alias("sa"), F.col("hashes").alias("ha"))
    b = sets.select(F.col("pos").alias("b"), F.col("size").alias("sb"), F.col("hashes").alias("hb"))
    joined = candidates.join(a, "a").join(b, "b").select("a", "b", "ha", "hb")
    return joined.mapInArrow(functools.partial(_verify_batches, dedup=dedup), _VERIFIED)


def _verify_batches(batches: Iterator[pa.RecordBatch], dedup: DedupConfig) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    for batch in batches:
        n = batch.num_rows
        both = _joined_sets(column_sets(batch.column("ha")), column_sets(batch.column("hb")))
        sizes = both.sizes()
        positions = np.concatenate([longs(batch.column("a")), longs(batch.column("b"))])
        # candidates come as a < b, so set i (of a) before set n + i (of b) orients ties as positions do
        left, right = oriented(Pairs(np.arange(n, dtype=np.int64), np.arange(n, 2 * n, dtype=np.int64)), sizes)
        jaccard, contained = both.similarity(left, right)
        ok = is_duplicate(jaccard, contained, sizes[left], dedup)
        extends = (jaccard < dedup.threshold) & (sizes[left] < sizes[right])
        yield pa.RecordBatch.from_pydict({"left": positions[left[ok]], "right": positions[right[ok]],
                                          "extends": extends[ok]})  # fmt: skip


def _joined_sets(first: ShingleSets, second: ShingleSets) -> ShingleSets:
    """Two runs of sets as one (``second``'s after ``first``'s)."""
    offsets = np.concatenate([first.offsets, second.offsets[1:] + first.offsets[-1]])
    return ShingleSets(offsets, np.concatenate([first.hashes, second.hashes]))


def _decided(verified: DataFrame, paragraphs: DataFrame, dedup: DedupConfig) -> DataFrame:
    """The keep rule's removals ``(pos, rep, kind, similarity)`` over the clusters of the verified pairs."""
    from pyspark.sql import functions as F  # noqa: N812

    labels = connected_components(verified, "left", "right")
    nodes = labels.join(paragraphs.select(F.col("pos").alias("node"), "doc", "size", "text", "hashes"), "node")
    extends = verified.where("extends").join(labels.withColumnRenamed("node", "left"), "left")
    rows = nodes.select("label", F.lit(False).alias("edge"), "node", F.lit(-1).cast("long").alias("other"), "doc",
                        "size", "text", "hashes").unionByName(
        extends.select("label", F.lit(True).alias("edge"), F.col("left").alias("node"), F.col("right").alias("other"),
                       F.lit(0).cast("long").alias("doc"), F.lit(0).cast("long").alias("size"),
                       F.lit(0).cast("long").alias("text"), F.lit(None).cast("binary").alias("hashes")))  # fmt: skip
    parts = rows.repartition("label")
    return parts.mapInArrow(functools.partial(_keep_partition, dedup=dedup), _DECIDED)


def _keep_partition(batches: Iterator[pa.RecordBatch], dedup: DedupConfig) -> Iterator[pa.RecordBatch]:
    """The keep rule on one partition's clusters (each cluster's nodes and extends pairs are all here)."""
    import pyarrow as pa

    got = [b for b in batches if b.num_rows]
    if not got:
        return
    table = pa.Table.from_batches(got)
    edge = np.asarray(table.column("edge").to_numpy(zero_copy_only=False), dtype=np.bool_)
    node = longs(table.column("node"))
    keep = np.flatnonzero(~edge)
    order = keep[np.argsort(node[keep], kind="stable")]
    nodes = node[order]
    sets = column_sets(table.column("hashes").take(pa.array(order)))
    labels = longs(table.column("label"))[order]
    doc, sizes, text = (longs(table.column(c))[order] for c in ("doc", "size", "text"))
    ext_left = np.searchsorted(nodes, node[edge])
    ext_right = np.searchsorted(nodes, longs(table.column("other"))[edge])

    def similarity(a: Any, b: Any) -> Any:
        return sets.similarity(a, b)

    rep, kind, sim = keep_rule(labels, doc, sizes, Pairs(ext_left, ext_right), similarity, text, dedup)
    removed = rep >= 0
    yield pa.RecordBatch.from_pydict({"pos": nodes[removed], "rep": nodes[rep[removed]],
                                      "kind": kind[removed].astype(np.int64), "similarity": sim[removed]})  # fmt: skip


def _by_shard(decided: DataFrame, paragraphs: DataFrame, docs: DataFrame) -> DataFrame:
    """The removals grouped by the shard of the paragraph removed, with the partner's document id and paragraph."""
    from pyspark.sql import functions as F  # noqa: N812

    where = paragraphs.select("pos", "key", "local", "par")
    partner = where.select(F.col("pos").alias("rep"), F.col("key").alias("rkey"), F.col("local").alias("rlocal"),
                           F.col("par").alias("rep_par"))  # fmt: skip
    ids = docs.select(F.col("key").alias("rkey"), F.col("local").alias("rlocal"), F.col("id").alias("rep_id"))
    rows = decided.join(where, "pos").join(partner, "rep").join(ids, ["rkey", "rlocal"])
    item = F.struct("local", "par", "kind", "rep_id", "rep_par", "similarity")
    return rows.groupBy("key").agg(F.sort_array(F.collect_list(item)).alias("near"))
