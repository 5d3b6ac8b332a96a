"""The line lexicon: learned word weights that say how much a line's words sound like chrome.

Shape features (length, stopwords, punctuation) cannot tell "Course Content" from "Contact Us",
or a product list from a menu; the words can. The lexicon is a logistic regression over a
line's word tokens (lower case, digits folded to ``0``), its first and last word, and its word
bigrams, trained by ``scripts/train_classifier.py`` on the same (input, gold) pairs as the
classifier and shipped as ``data/line_lexicon.json``. Its log-odds for each line are one of the
classifier's features (``lexicon`` in ``dedup.strip.features``); on its own it decides nothing.

Words the training pages did not contain (most Vietnamese words, for instance) weigh nothing,
so a line made only of them scores the bias.

>>> lexicon = Lexicon({"home": -2.0, "^contact": -1.0, "said": 1.5}, bias=0.5)
>>> lexicon.scores(["Home", "Contact us", "The minister said on Monday."]).tolist()
[-1.5, -0.5, 2.0]
>>> sorted(line_tokens("Page 12 of 30"))
['00', '00 of', '00$', '^page', 'of', 'of 00', 'page', 'page 00']
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import regex

from dedup._resources import read_json
from dedup.errors import DataFileError
from dedup.strip.arrays import TokenTable
from dedup.strip.chars import token_table
from dedup.text import WORD_RE, findall_pieces, is_long

DECIMAL_DIGIT_RE = regex.compile(r"\d")
"""A decimal digit, which the lexicon folds to ``0`` (``features.DIGIT_RE`` counts every number character)."""


def line_tokens(text: str) -> set[str]:
    """The tokens the lexicon weighs for one line: words, ``^first`` and ``last$`` words, word bigrams.

    Words are lower-cased and every digit becomes ``0``, so "Page 12 of 30" and "Page 13 of 31"
    share all their tokens.
    """
    words = [DECIMAL_DIGIT_RE.sub("0", w.lower()) for w in WORD_RE.findall(text)]
    if not words:
        return set()
    tokens = set(words)
    tokens.add("^" + words[0])
    tokens.add(words[-1] + "$")
    tokens.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return tokens


def _weighed_tokens(text: str, weights: Mapping[str, float]) -> set[str]:
    """The tokens of :func:`line_tokens` that ``weights`` holds, gathered a piece of ``text`` at a time.

    Memory stays within a piece's words and the lexicon's size, however long the line is.

    >>> sorted(_weighed_tokens("Page 12 of 30", {"^page": 1.0, "00 of": 0.5, "home": 2.0}))
    ['00 of', '^page']
    """
    found: set[str] = set()
    keep = weights.__contains__
    first = last = None
    for raw in findall_pieces(WORD_RE, text):
        words = [DECIMAL_DIGIT_RE.sub("0", w.lower()) for w in raw]
        if not words:
            continue
        if first is None:
            first = words[0]
        found.update(filter(keep, words))
        pairs = [last, *words] if last is not None else words  # a bigram across the cut
        found.update(filter(keep, map("{} {}".format, pairs, pairs[1:])))
        last = words[-1]
    if first is not None and last is not None:
        found.update(filter(keep, ("^" + first, last + "$")))
    return found


class LexiconFormatError(DataFileError):
    """The lexicon file does not hold a lexicon this version can read."""


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """Token weights of a logistic regression: a line's log-odds are ``bias`` plus its tokens' weights.

    Attributes:
        weights: token -> weight (tokens as :func:`line_tokens` writes them); absent tokens weigh 0.
        bias: the intercept.
        meta: how the weights were made, for the record.
    """

    weights: Mapping[str, float]
    bias: float = 0.0
    meta: Mapping[str, Any] = field(default_factory=dict)
    _tables: list[TokenTable] = field(default_factory=list, init=False, repr=False)

    def token_table(self) -> TokenTable:
        """The weights as a :func:`~dedup.strip.chars.token_table`, for the line measures; built on first use
        (``weights`` are taken as they are then: a lexicon's weights do not change).

        >>> Lexicon({"home": -2.0}).token_table().values.tolist()
        [-2.0]
        """
        if not self._tables:
            self._tables.append(token_table(list(self.weights), self.weights.values()))
        return self._tables[0]

    def score(self, text: str) -> float:
        """The log-odds that ``text`` is an article line, from its words alone.

        The tokens are a set, whose order changes from process to process (string hashing is
        seeded), so they are added with :func:`math.fsum`: exactly rounded, the same in any order.
        """
        get = self.weights.get
        if is_long(text):  # a huge line: only its tokens that weigh something are gathered
            return math.fsum((self.bias, *(get(t, 0.0) for t in _weighed_tokens(text, self.weights))))
        return math.fsum((self.bias, *(get(t, 0.0) for t in line_tokens(text))))

    def scores(self, lines: Iterable[str]) -> npt.NDArray[np.float64]:
        """:meth:`score` of each line."""
        return np.array([self.score(t) for t in lines], dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        """The lexicon as a JSON-ready dict (see :func:`lexicon_from_json`), heaviest tokens first."""
        ordered = sorted(self.weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
        return {"bias": self.bias, "weights": dict(ordered), "meta": dict(self.meta)}


def lexicon_from_json(data: Mapping[str, Any]) -> Lexicon:
    """Build a :class:`Lexicon` from :meth:`Lexicon.to_json` output.

    Raises:
        LexiconFormatError: when ``bias`` or ``weights`` is missing or not numeric.

    >>> lexicon_from_json({"bias": 1, "weights": {"home": -2}}).score("Home")
    -1.0
    """
    try:
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        bias = float(data["bias"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise LexiconFormatError(f"line lexicon needs numeric 'bias' and 'weights' entries: {error!r}") from error
    return Lexicon(weights, bias, dict(data.get("meta", {})))


@functools.cache
def load_lexicon() -> Lexicon:
    """The package's trained lexicon, read once from ``data/line_lexicon.json``."""
    return lexicon_from_json(read_json("line_lexicon.json"))


def from_coefficients(vocabulary: Sequence[str], coefficients: Sequence[float], bias: float,
                      meta: Mapping[str, Any] | None = None, min_weight: float = 0.01) -> Lexicon:  # fmt: skip
    """A :class:`Lexicon` from a fitted model's coefficients, dropping tokens that weigh under ``min_weight``.

    >>> from_coefficients(["a", "b"], [0.5, 0.001], -0.2).weights
    {'a': 0.5}
    """
    weights = {t: round(float(c), 4) for t, c in zip(vocabulary, coefficients, strict=True) if abs(c) >= min_weight}
    record = {"vocabulary": len(vocabulary), "kept": len(weights), **(meta or {})}
    return Lexicon(weights, round(float(bias), 4), record)
