"""Connected components of a graph held as a Spark DataFrame of edges: large-star / small-star.

The method of Kiveris et al. ("Connected Components in MapReduce and Beyond", SoCC 2014): edges are kept
as ``(x, y)`` with ``x > y``; *large-star* links every neighbour larger than a node to the smallest of the
node's neighbourhood, *small-star* links a node and its smaller neighbours to the smallest of them. Each
is one aggregation and one join; alternated, they turn every component into a star around its smallest
node in O(log n) rounds, whatever the graph's diameter, and no node's edges are ever gathered in one
place. Each label is a component's smallest node, as the local union-find
(:func:`dedup.near._kernels.components`) labels it, so the clusters are the same whatever the partitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["MAX_ROUNDS", "connected_components"]

MAX_ROUNDS = 64
"""Rounds after which the method has certainly converged on any graph Spark can hold (it takes O(log n))."""


def connected_components(edges: DataFrame, left: str = "left", right: str = "right") -> DataFrame:
    """Each node of the graph ``edges`` (undirected, columns ``left`` and ``right`` of longs) and its label,
    the smallest node of its component: a DataFrame ``(node long, label long)``, checkpointed.

    Raises:
        RuntimeError: the rounds did not converge (a bug: the method converges in O(log n) rounds).
    """
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    current = (edges.select(F.greatest(left, right).alias("x"), F.least(left, right).alias("y"))
               .where(F.col("x") != F.col("y")).distinct().localCheckpoint(eager=True))  # fmt: skip
    for _ in range(MAX_ROUNDS):
        following = _small_star(_large_star(current)).localCheckpoint(eager=True)
        if _same(current, following):
            return following.select(F.col("x").alias("node"), F.col("y").alias("label")).union(
                following.select(F.col("y").alias("node"), F.col("y").alias("label")).distinct()
            ).localCheckpoint(eager=True)
        current = following
    raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")


def _large_star(edges: DataFrame) -> DataFrame:
    """Every neighbour larger than a node linked to the smallest of the node and its neighbours."""
    from pyspark.sql import functions as F  # noqa: N812

    both = edges.select(F.col("x").alias("u"), F.col("y").alias("v")).union(
        edges.select(F.col("y").alias("u"), F.col("x").alias("v"))
    )
    least = both.groupBy("u").agg(F.min("v").alias("m")).select("u", F.least("u", "m").alias("m"))
    linked = both.where(F.col("v") > F.col("u")).join(least, "u")
    return linked.select(F.col("v").alias("x"), F.col("m").alias("y")).distinct()


def _small_star(edges: DataFrame) -> DataFrame:
    """A node and its smaller neighbours linked to the smallest of them (edges are ``x > y``: ``y`` is smaller)."""
    from pyspark.sql import functions as F  # noqa: N812

    least = edges.groupBy("x").agg(F.min("y").alias("m"))
    linked = edges.join(least, "x")
    moved = linked.where(F.col("y") != F.col("m")).select(F.col("y").alias("x"), F.col("m").alias("y"))
    return moved.union(least.select("x", F.col("m").alias("y"))).distinct()


def _same(before: DataFrame, after: DataFrame) -> bool:
    """Whether two edge sets (distinct rows) are equal."""
    return before.count() == after.count() and after.subtract(before).isEmpty()
