"""dedup on Apache Spark (the ``spark`` extra: ``pip install 'dedup-text[spark]'``, and a Java runtime 17 or later).

Clean a DataFrame of documents, with the same documents and report as the local engine whatever its
partitions::

    from dedup.spark import clean_dataframe, spark_session

    spark = spark_session("local[4]")                  # or spark://host:7077; the active session if any
    df = spark.read.json("pages.jsonl")                # id and text columns (string), any others
    out = clean_dataframe(df, url_column="url")        # sites from the URLs' hosts
    out.documents.write.parquet("clean.parquet")       # the rows, text cleaned, other columns kept
    out.report.write.json("report")                    # id and report (the line of report.jsonl)

From the command line, ``dedup clean IN -o OUT --engine spark [--master URL]`` cleans the shards of any
input the CLI reads on Spark's executors. How it works and what runs where: ``docs/spark.md``.
"""

from __future__ import annotations

from dedup.engines.frames import CleanedFrames, clean_dataframe
from dedup.engines.spark import SparkRunner, session_at, spark_session

__all__ = ["CleanedFrames", "SparkRunner", "clean_dataframe", "session_at", "spark_session"]
