"""Boilerplate stripping: which lines of a page are site chrome, and why.

Data flow inside: :mod:`~dedup.strip.rules` (chrome rules as data, screened by
:mod:`~dedup.strip.shapes`) and :mod:`~dedup.strip.features` (per-line features, with
:mod:`~dedup.strip.lexicon`; measured a page at a time by :mod:`~dedup.strip.measure`, with the code
point table of :mod:`~dedup.strip.chars`) feed :mod:`~dedup.strip.classifier` (the GRU
line taggers of :mod:`~dedup.strip.tagger`, kernels in ``_kernels``); :mod:`~dedup.strip.stripper`
combines rules, scores and the page heuristics of :mod:`~dedup.strip.heuristics` into decisions
(:mod:`~dedup.strip.decision`); :mod:`~dedup.strip.templates` finds lines repeated across one site's
pages. A new rule is a line in ``data/chrome.txt``; a new per-page heuristic goes in
:mod:`~dedup.strip.heuristics`, applied by the stripper.

What others may use: the stripper (:func:`strip_paragraphs`, and :func:`decide_lines` on plain
lines), :func:`mark_templates`, and for training the model (``scripts/train_classifier.py``) the
features, lexicon, rules, taggers and line model.
"""

from __future__ import annotations

from dedup.strip.classifier import LineModel, load_line_model
from dedup.strip.decision import LineDecision
from dedup.strip.features import FEATURE_NAMES, line_features
from dedup.strip.lexicon import Lexicon, from_coefficients, line_tokens
from dedup.strip.rules import load_rules, trim
from dedup.strip.stripper import decide_lines, strip_paragraphs
from dedup.strip.tagger import Gru, Tagger
from dedup.strip.templates import mark_templates, template_key, template_removal

__all__ = [
    "FEATURE_NAMES",
    "Gru",
    "Lexicon",
    "LineDecision",
    "LineModel",
    "Tagger",
    "decide_lines",
    "from_coefficients",
    "line_features",
    "line_tokens",
    "load_line_model",
    "load_rules",
    "mark_templates",
    "strip_paragraphs",
    "template_key",
    "template_removal",
    "trim",
]
