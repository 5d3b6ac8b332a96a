"""Spark sessions for dedup, and the runner that cleans the streaming engine's shards on Spark's executors.

:class:`SparkRunner` is a :class:`~dedup.engines.stream.Runner`: the input is read and cut into shards as
locally (:mod:`dedup.engines.sources`), each shard is cleaned on an executor
(:func:`dedup.engines.shard.clean_shard`: segment, normalise, strip, and the arrays of
:mod:`dedup.engines.extract`), and the driver writes it to the work folder; the corpus steps and the
rendering then run in the driver as the streaming engine runs them. ``dedup clean --engine spark`` uses
it, so its output is the streaming engine's, byte for byte, and a run resumes as a local one does.
A DataFrame goes through :mod:`dedup.engines.frames` instead.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dedup._resources import file_path
from dedup.config import Config
from dedup.engines.shard import ShardTask, clean_shard, write_shard
from dedup.engines.stream import Progress
from dedup.engines.work import WorkFolder
from dedup.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["SparkRunner", "local_memory", "pyspark_module", "session_at", "spark_session"]

def pyspark_module() -> Any:
    """The pyspark module, or a usage error that says how to install it."""
    try:
        import pyspark
    except ImportError as exc:
        raise UsageError("the Spark engine needs pyspark and pyarrow: pip install 'dedup-text[spark]'") from exc
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
    pyspark_module()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app)
    logging = f"-Dlog4j2.configurationFile={file_path('spark-log4j2.properties').as_uri()}"
    settings = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                "spark.driver.extraJavaOptions": logging, "spark.executor.extraJavaOptions": logging,
                **local_memory(master), **(conf or {})}  # fmt: skip
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own errors for a missing or broken Java runtime
        raise UsageError(f"could not start Spark ({master}): {exc}; it needs a Java runtime 17 or later "
                         "(Debian: apt-get install openjdk-17-jre-headless) or JAVA_HOME set") from exc  # fmt: skip


def local_memory(master: str) -> dict[str, str]:
    """For a local master, a driver heap of a quarter of the machine's memory (1 to 8 GB): in local mode the
    driver's JVM is the executors too, and Spark's default 1 GB heap is too small for 100 MB of text. Nothing
    for a cluster, or when ``SPARK_DRIVER_MEMORY`` or ``PYSPARK_SUBMIT_ARGS`` says it already.

    >>> local_memory("spark://head:7077")
    {}
    """
    if not master.startswith("local") or "SPARK_DRIVER_MEMORY" in os.environ or "PYSPARK_SUBMIT_ARGS" in os.environ:
        return {}
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return {}
    return {"spark.driver.memory": f"{min(8, max(1, total // 4 >> 30))}g"}


@contextlib.contextmanager
def session_at(master: str) -> Iterator[SparkSession]:
    """The active Spark session, or a new one at ``master`` that is stopped when the block ends.

    Raises:
        UsageError: as :func:`spark_session`.
    """
    pyspark_module()
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
