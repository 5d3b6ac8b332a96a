"""The line classifier: an ensemble of bidirectional GRU taggers over line features, then a context pass.

Each member (:class:`dedup.strip.tagger.Tagger`, weights in ``data/line_model.json``, trained by
``scripts/train_classifier.py``) reads a page's line features in order, forwards and
backwards, and gives each line its log-odds of belonging to the article; the members' log-odds
are averaged. The context pass then labels the whole page at once with the Viterbi algorithm
over two states, article and chrome, where changing state costs ``switch_cost`` nats: a short
line between article lines stays article unless it is clearly chrome, and a lone
sentence-like line inside a menu stays chrome unless it is clearly article. Inference needs
numpy and numba only (the recurrence is a compiled kernel).

>>> model = load_line_model()
>>> probs = model.predict(np.zeros((2, len(model.feature_names)), dtype=np.float32))
>>> probs.shape
(2,)
>>> smooth(np.array([0.9, 0.4, 0.9, 0.1, 0.1]), switch_cost=2.0)
[True, True, True, False, False]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup._blas import one_blas_thread
from dedup._resources import read_json
from dedup.errors import DataFileError
from dedup.strip.features import FEATURE_NAMES
from dedup.strip.tagger import Ensemble, FloatArray, Tagger, tagger_from_json


class LineModelFormatError(DataFileError):
    """The weights file does not fit the features this version computes."""


@dataclass(frozen=True, slots=True, eq=False)
class LineModel:
    """An ensemble of taggers (trained from different seeds); their log-odds are averaged.

    Attributes:
        feature_names: the feature columns the taggers expect, in order.
        members: the taggers.
        meta: how the weights were made (training data, split, scores), for the record.
        ensemble: the members run together (:class:`~dedup.strip.tagger.Ensemble`), when they have
            the same sizes; else ``None`` and each runs on its own (the same log-odds, slower).
    """

    feature_names: tuple[str, ...]
    members: tuple[Tagger, ...]
    meta: dict[str, Any]
    ensemble: Ensemble | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            ensemble: Ensemble | None = Ensemble(self.members)
        except (ValueError, IndexError):  # members of different sizes, or none
            ensemble = None
        object.__setattr__(self, "ensemble", ensemble)

    def logits(self, x: FloatArray) -> FloatArray:
        """The model's log-odds that each row of ``x`` (one page's lines, in order) is an article line."""
        with one_blas_thread():  # same bits, a third of the CPU (see dedup._blas)
            if self.ensemble is None:
                return np.asarray(np.mean([m.logits(x) for m in self.members], axis=0), dtype=np.float32)
            return np.asarray(np.mean(self.ensemble.logits(x), axis=0), dtype=np.float32)

    def predict(self, x: FloatArray) -> FloatArray:
        """The probability that each row of ``x`` (one page's lines, in order) is an article line."""
        return _sigmoid(self.logits(x))

    def to_json(self) -> dict[str, Any]:
        """The model as a JSON-ready dict (see :func:`line_model_from_json`)."""
        return {"feature_names": list(self.feature_names), "members": [m.to_json() for m in self.members],
                "meta": self.meta}  # fmt: skip


def line_model_from_json(data: dict[str, Any]) -> LineModel:
    """Build a :class:`LineModel` from :meth:`LineModel.to_json` output.

    Raises:
        LineModelFormatError: when the stored feature names differ from ``FEATURE_NAMES``, a member's
            weights do not fit together or take another number of features, or there are no members.
    """
    names = tuple(data["feature_names"])
    if names != FEATURE_NAMES:
        differing = sorted(set(FEATURE_NAMES) ^ set(names))
        raise LineModelFormatError(f"line model was trained on other features (differing: {differing})")
    members = []
    for k, member in enumerate(data["members"]):
        try:
            tagger = tagger_from_json(member)
        except (KeyError, TypeError, ValueError) as error:
            raise LineModelFormatError(f"member {k} of the line model is malformed: {error}") from error
        if tagger.features != len(FEATURE_NAMES):
            raise LineModelFormatError(f"member {k} takes {tagger.features} features, not {len(FEATURE_NAMES)}")
        members.append(tagger)
    if not members:
        raise LineModelFormatError("line model has no members")
    return LineModel(names, tuple(members), dict(data.get("meta", {})))


def _sigmoid(x: FloatArray) -> FloatArray:
    """The logistic function, clipped against overflow."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -30, 30))), dtype=np.float32)


@functools.cache
def load_line_model() -> LineModel:
    """The package's trained line model, read once from ``data/line_model.json``."""
    return line_model_from_json(read_json("line_model.json"))


def page_cut(probs: npt.NDArray[np.floating[Any]], words: npt.NDArray[np.floating[Any]]) -> float:
    """The probability above which keeping a page's lines maximises their expected precision plus recall.

    Taking ``probs`` as the chance that each line is article and ``words`` as its weight, keeping
    the lines above a cut has expected precision ``sum(p * w) / sum(w)`` and expected recall
    ``sum(p * w) / total(p * w)`` over the kept lines (the benchmark's measures, per page). The
    best cut is around half the page's precision: lower on a page of doubtful lines, near 0.5
    on a clear one. Returns 0.5 for an empty page.

    >>> page_cut(np.array([0.95, 0.9, 0.1]), np.array([30.0, 20, 5]))
    0.9
    >>> page_cut(np.array([0.6, 0.45, 0.4, 0.05]), np.array([10.0, 10, 10, 10]))
    0.4
    """
    if len(probs) == 0 or float(np.sum(words)) <= 0:
        return 0.5
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-4, 1 - 1e-4)
    order = np.argsort(-p, kind="stable")
    mass = np.cumsum((p * words)[order])
    kept = np.cumsum(np.asarray(words, dtype=np.float64)[order])
    gain = mass / np.maximum(kept, 1e-9) + mass / max(mass[-1], 1e-9)
    return float(p[order][int(np.argmax(gain))])


def smooth(probs: Sequence[float] | npt.NDArray[np.floating[Any]], switch_cost: float, bias: float = 0.0) -> list[bool]:
    """Label lines article (True) or chrome (False) jointly: Viterbi over two states.

    Each line pays ``-log p`` to be article and ``-log(1 - p)`` to be chrome (``bias`` is added
    to every line's log-odds first); each change of state between neighbours pays
    ``switch_cost``. Linear in the number of lines.

    >>> smooth([0.9, 0.2, 0.9], switch_cost=0.0)
    [True, False, True]
    """
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-6, 1 - 1e-6)
    logit = np.log(p) - np.log1p(-p) + bias
    cost_keep, cost_drop = np.logaddexp(0.0, -logit), np.logaddexp(0.0, logit)
    n = len(p)
    if n == 0:
        return []
    keep_cost, drop_cost = cost_keep.tolist(), cost_drop.tolist()  # Python floats: the same doubles, no array per line
    came_from_keep = bytearray(n)  # per line: the best path to "drop" / "keep" here comes from the other state
    came_from_drop = bytearray(n)
    drop, keep = drop_cost[0], keep_cost[0]
    for i in range(1, n):
        to_drop = keep + switch_cost
        to_keep = drop + switch_cost
        came_from_keep[i] = drop > to_drop
        came_from_drop[i] = keep > to_keep
        drop, keep = min(drop, to_drop) + drop_cost[i], min(keep, to_keep) + keep_cost[i]
    state = keep < drop  # the first of equals, as argmin
    labels = [False] * n
    for i in range(n - 1, -1, -1):
        labels[i] = state
        state = (not came_from_drop[i]) if state else bool(came_from_keep[i])
    return labels
