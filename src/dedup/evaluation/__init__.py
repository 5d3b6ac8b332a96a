"""Measuring dedup: generated corpora, gold-standard scorers and the peers it is compared with.

Not used by the pipeline; the benchmarks (``benchmarks/``), the tests and ``scripts/train_classifier.py``
import it, and two modules run as commands:

- :mod:`~dedup.evaluation.corpus`: a seeded synthetic corpus of paragraphs, and the peers' shingling.
- :mod:`~dedup.evaluation.near`: the near-duplicate finder's precision and recall per edit kind
  (``python -m dedup.evaluation.near``).
- :mod:`~dedup.evaluation.edits`: the edits that make its duplicates and hard negatives.
- :mod:`~dedup.evaluation.boilerplate`: the stripper's word 4-gram F1 against hand-cleaned gold pages
  (``python -m dedup.evaluation.boilerplate PAIRS_DIR``).
- :mod:`~dedup.evaluation.baselines`: jusText on plain-text lines (a development dependency).
- :mod:`~dedup.evaluation.pages`: a seeded folder of scraped-looking pages built from real ones, for the
  end-to-end benchmark (``python -m dedup.evaluation.pages OUT_DIR --mb 10``).
- :mod:`~dedup.evaluation.records`: seeded JSONL records by the million, and later crawls of them, for
  the scale, index and resume benchmarks (``python -m dedup.evaluation.records OUT.jsonl --docs N``);
  their words come from :mod:`~dedup.evaluation.vocabulary`.
- :mod:`~dedup.evaluation.profile`: the pipeline's steps one after another, CPU seconds each
  (``python -m dedup.evaluation.profile IN_DIR``).
"""

from __future__ import annotations

__all__: list[str] = []
