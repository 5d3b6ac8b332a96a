"""Engines: how the pipeline's steps run over a whole corpus.

- :mod:`~dedup.engines.stream`: the streaming engine (bounded memory, shards in a work folder,
  resumable), and its library entry point :func:`clean_stream`.
- :mod:`~dedup.engines.index`: the persistent index of earlier crawls (:class:`Index`).
- :mod:`~dedup.engines.work`: the locked work folder; :mod:`~dedup.engines.budget`: the memory budget.
- :mod:`~dedup.engines.sources` and :mod:`~dedup.engines.shard`: input cut into shards, each cleaned and
  written whole by a worker, with the arrays of :mod:`~dedup.engines.extract`.
- :mod:`~dedup.engines.documents`, :mod:`~dedup.engines.templates`, :mod:`~dedup.engines.corpus`,
  :mod:`~dedup.engines.matching`: the corpus steps on arrays; :mod:`~dedup.engines.store`: paragraphs on
  disk in position order; :mod:`~dedup.engines.render`: the decisions back on the documents.

The in-memory pipeline (:mod:`dedup.pipeline`) stays the reference: the streaming engine gives the same
documents and report.
"""

from __future__ import annotations

from dedup.engines.budget import default_memory, parse_memory
from dedup.engines.index import Index
from dedup.engines.stream import clean_stream, run_stream
from dedup.engines.work import WorkFolder

__all__ = ["Index", "WorkFolder", "clean_stream", "default_memory", "parse_memory", "run_stream"]
