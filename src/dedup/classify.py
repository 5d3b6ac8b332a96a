"""The line classifier: small neural networks over line features, then a context pass.

A small ensemble of stacked networks (one hidden layer each, weights in
``data/line_model.json``, trained by ``scripts/train_classifier.py``) gives each line the
probability that it belongs to the article: the first network of a member reads the line's
features, the second reads the first's scores over the page. The context pass then labels the
whole page at once with the Viterbi algorithm over two states, article and chrome, where
changing state costs ``switch_cost`` nats: a short line between article lines stays article
unless it is clearly chrome, and a lone sentence-like line inside a menu stays chrome unless it
is clearly article. Inference is numpy only: a few matrix products per page.

>>> model = load_model()
>>> probs = model.predict(np.zeros((2, len(model.feature_names)), dtype=np.float32))
>>> probs.shape
(2,)
>>> smooth(np.array([0.9, 0.4, 0.9, 0.1, 0.1]), switch_cost=2.0)
[True, True, True, False, False]
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.linefeatures import FEATURE_NAMES, LOCAL_NAMES, PAGE_NAMES, dense_span, window_mean

FloatArray = npt.NDArray[np.float32]


class ModelFormatError(ValueError):
    """The weights file does not fit the features this version computes."""


@dataclass(frozen=True, slots=True, eq=False)
class Net:
    """A standardising, one-hidden-layer network: ``sigmoid(w2 · relu(w1 · z + b1) + b2)``.

    Attributes:
        mean: per-input mean used to standardise inputs.
        scale: per-input standard deviation used to standardise inputs.
        w1: hidden weights, shape ``(inputs, hidden)``.
        b1: hidden biases, shape ``(hidden,)``.
        w2: output weights, shape ``(hidden,)``.
        b2: output bias.
    """

    mean: FloatArray
    scale: FloatArray
    w1: FloatArray
    b1: FloatArray
    w2: FloatArray
    b2: float

    def logits(self, x: FloatArray) -> FloatArray:
        """The network's log-odds for each row of ``x`` (shape ``(lines, inputs)``)."""
        z = (x - self.mean) / self.scale
        hidden = np.maximum(z @ self.w1 + self.b1, 0.0)
        return np.asarray(hidden @ self.w2 + self.b2, dtype=np.float32)

    def to_json(self) -> dict[str, Any]:
        """The weights as a JSON-ready dict (see :func:`net_from_json`)."""
        out: dict[str, Any] = {k: getattr(self, k).round(5).tolist() for k in ("mean", "scale", "w1", "b1", "w2")}
        out["b2"] = round(float(self.b2), 5)
        return out


def net_from_json(data: dict[str, Any]) -> Net:
    """Build a :class:`Net` from :meth:`Net.to_json` output."""

    def arr(key: str) -> FloatArray:
        return np.asarray(data[key], dtype=np.float32)

    return Net(arr("mean"), arr("scale"), arr("w1"), arr("b1"), arr("w2"), float(data["b2"]))


@dataclass(frozen=True, slots=True, eq=False)
class Member:
    """Two stacked networks: ``first`` reads line features, ``second`` reads the page's first-stage scores.

    The second stage sees each line's first-stage log-odds with those of its neighbourhood and
    where the page's article-dense span lies (:func:`stack_features`), so it can learn that a
    headline-like line in a list of links after the article is chrome, and a short line inside
    the article is not.
    """

    first: Net
    second: Net | None

    def logits(self, x: FloatArray) -> FloatArray:
        """This member's log-odds that each row of ``x`` is an article line."""
        first = self.first.logits(x)
        return first if self.second is None else self.second.logits(stack_features(x, first))


@dataclass(frozen=True, slots=True, eq=False)
class LineModel:
    """An ensemble of stacked members (trained from different seeds); their log-odds are averaged.

    Attributes:
        feature_names: the feature columns the first stages expect, in order.
        members: the stacked network pairs.
        meta: how the weights were made (training data, split, held-out scores), for the record.
    """

    feature_names: tuple[str, ...]
    members: tuple[Member, ...]
    meta: dict[str, Any]

    def logits(self, x: FloatArray) -> FloatArray:
        """The model's log-odds that each row of ``x`` is an article line."""
        return np.asarray(np.mean([m.logits(x) for m in self.members], axis=0), dtype=np.float32)

    def predict(self, x: FloatArray) -> FloatArray:
        """The probability that each row of ``x`` is an article line."""
        return sigmoid(self.logits(x))

    def to_json(self) -> dict[str, Any]:
        """The model as a JSON-ready dict (see :func:`model_from_json`)."""
        members = [{"first": m.first.to_json(), "second": m.second and m.second.to_json()} for m in self.members]
        return {"feature_names": list(self.feature_names), "members": members, "meta": self.meta}


def sigmoid(x: FloatArray) -> FloatArray:
    """The logistic function, clipped against overflow."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -30, 30))), dtype=np.float32)


STACK_COLUMNS = (*LOCAL_NAMES, "char_position", *PAGE_NAMES)
"""The features the second stage also reads: the line's local ones, where it stands, the page's prose layout."""


def stack_features(x: FloatArray, logits: FloatArray) -> FloatArray:
    """The second stage's inputs: first-stage scores around each line and the page's dense span.

    Columns: the line's log-odds; the mean probability over windows of radius 1, 2, 5 and 10;
    the highest probability among the 3 lines before and after; whether the line lies in the
    span that maximises ``sum((p - 0.5) * words)`` and its log distance to it; the share of the
    page's probable article words before and after the line; the page's mean probability;
    how the article text lies in runs (:func:`score_runs`); and the line's own features
    (``STACK_COLUMNS``, which include the page's prose layout).
    """
    n = len(logits)
    p = sigmoid(logits).astype(np.float64)
    words = np.expm1(x[:, FEATURE_NAMES.index("log_words")]).astype(np.float64)
    start, end = dense_span(p - 0.5, words)
    idx = np.arange(n)
    distance = np.where(idx < start, start - idx, np.where(idx >= end, idx - end + 1, 0))
    mass = p * words
    before = (np.cumsum(mass) - mass) / max(mass.sum(), 1.0)
    own = x[:, [FEATURE_NAMES.index(c) for c in STACK_COLUMNS]]
    columns = [logits, *(window_mean(p, r) for r in (1, 2, 5, 10)), neighbour_max(p, -3), neighbour_max(p, 3),
               ((idx >= start) & (idx < end)).astype(np.float64), np.log1p(distance), before,
               1.0 - before - mass / max(mass.sum(), 1.0), np.full(n, p.mean()),
               *score_runs(p, mass, start, end)]  # fmt: skip
    return np.column_stack([*columns, own]).astype(np.float32)


def score_runs(
    p: npt.NDArray[np.float64], mass: npt.NDArray[np.float64], start: int, end: int
) -> list[npt.NDArray[np.float64]]:
    """How the first stage's article text is laid out: one block, or many (posts, comments, archive lists).

    Columns: the number of runs of lines scored article (log), the share of probable article
    words outside the dense span ``[start, end)``, and the probable article words of the run
    each line belongs to (log; 0 for lines scored chrome).

    >>> [c.round(2).tolist() for c in score_runs(np.array([0.9, 0.1, 0.8]), np.array([9.0, 1, 8]), 2, 3)]
    [[1.1, 1.1, 1.1], [0.56, 0.56, 0.56], [2.3, 0.0, 2.2]]
    """
    n = len(p)
    article = p >= 0.5
    run_id = np.cumsum(article & ~np.concatenate([[False], article[:-1]]))
    run_mass = np.bincount(run_id, weights=np.where(article, mass, 0.0), minlength=int(run_id[-1]) + 1 if n else 1)
    outside = 1.0 - mass[start:end].sum() / max(mass.sum(), 1.0)
    return [np.full(n, np.log1p(run_id[-1] if n else 0)), np.full(n, outside),
            np.where(article, np.log1p(run_mass[run_id]), 0.0)]  # fmt: skip


STACK_WIDTH = 15 + len(STACK_COLUMNS)
"""How many columns :func:`stack_features` returns."""


def neighbour_max(values: npt.NDArray[np.float64], reach: int) -> npt.NDArray[np.float64]:
    """The highest value among the ``|reach|`` lines before (``reach < 0``) or after each line; 0 at the edge.

    >>> neighbour_max(np.array([0.1, 0.9, 0.3]), -1).tolist()
    [0.0, 0.1, 0.9]
    """
    n = len(values)
    out = np.zeros(n)
    for k in range(1, abs(reach) + 1):
        shifted = np.zeros(n)
        if reach < 0:
            shifted[k:] = values[: n - k] if k < n else shifted[k:]
        else:
            shifted[: n - k] = values[k:] if k < n else shifted[: n - k]
        out = np.maximum(out, shifted)
    return out


def model_from_json(data: dict[str, Any]) -> LineModel:
    """Build a :class:`LineModel` from :meth:`LineModel.to_json` output.

    Raises:
        ModelFormatError: when the stored feature names differ from ``FEATURE_NAMES``, a network's
            input width differs from what this version feeds it, or there are no members.
    """
    names = tuple(data["feature_names"])
    if names != FEATURE_NAMES:
        differing = sorted(set(FEATURE_NAMES) ^ set(names))
        raise ModelFormatError(f"line model was trained on other features (differing: {differing})")
    members = tuple(
        Member(net_from_json(m["first"]), None if m["second"] is None else net_from_json(m["second"]))
        for m in data["members"]
    )
    if not members:
        raise ModelFormatError("line model has no members")
    for k, m in enumerate(members):
        widths = [(m.first, len(FEATURE_NAMES), "first")] + ([(m.second, STACK_WIDTH, "second")] if m.second else [])
        for net, width, stage in widths:
            if net.w1.shape[0] != width:
                raise ModelFormatError(f"member {k}'s {stage} stage takes {net.w1.shape[0]} inputs, not {width}")
    return LineModel(names, members, dict(data.get("meta", {})))


@functools.cache
def load_model() -> LineModel:
    """The package's trained line model, read once from ``data/line_model.json``."""
    text = resources.files("dedup").joinpath("data").joinpath("line_model.json").read_text(encoding="utf-8")
    return model_from_json(json.loads(text))


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
    back = np.zeros((n, 2), dtype=np.int8)
    total = np.array([cost_drop[0], cost_keep[0]])
    for i in range(1, n):
        stay, switch = total, total[::-1] + switch_cost
        back[i] = np.where(stay <= switch, [0, 1], [1, 0])
        total = np.minimum(stay, switch) + np.array([cost_drop[i], cost_keep[i]])
    state = int(np.argmin(total))
    labels = [False] * n
    for i in range(n - 1, -1, -1):
        labels[i] = bool(state)
        state = int(back[i, state])
    return labels
