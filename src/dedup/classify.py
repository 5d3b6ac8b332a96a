"""The line classifier: a small neural network over line features, then a context pass.

The network (one hidden layer, weights in ``data/line_model.json``, trained by
``scripts/train_classifier.py``) gives each line the probability that it belongs to the
article. The context pass then labels the whole page at once with the Viterbi algorithm over
two states, article and chrome, where changing state costs ``switch_cost`` nats: a short line
between article lines stays article unless it is clearly chrome, and a lone sentence-like line
inside a menu stays chrome unless it is clearly article.

>>> model = load_model()
>>> probs = model.predict(np.zeros((2, len(model.feature_names)), dtype=np.float32))
>>> probs.shape
(2,)
>>> smooth(np.array([0.9, 0.4, 0.9, 0.1, 0.1]), switch_cost=2.0).tolist()
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

from dedup.linefeatures import FEATURE_NAMES

FloatArray = npt.NDArray[np.float32]


class ModelFormatError(ValueError):
    """The weights file does not fit the features this version computes."""


@dataclass(frozen=True, slots=True, eq=False)
class LineModel:
    """A standardising, one-hidden-layer network: ``sigmoid(w2 · relu(w1 · z + b1) + b2)``.

    Attributes:
        feature_names: the feature columns the weights expect, in order.
        mean: per-feature mean used to standardise inputs.
        scale: per-feature standard deviation used to standardise inputs.
        w1: hidden weights, shape ``(features, hidden)``.
        b1: hidden biases, shape ``(hidden,)``.
        w2: output weights, shape ``(hidden,)``.
        b2: output bias.
        meta: how the weights were made (training data, split, held-out scores), for the record.
    """

    feature_names: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    w1: FloatArray
    b1: FloatArray
    w2: FloatArray
    b2: float
    meta: dict[str, Any]

    def logits(self, x: FloatArray) -> FloatArray:
        """The network's log-odds for each row of ``x`` (shape ``(lines, features)``)."""
        z = (x - self.mean) / self.scale
        hidden = np.maximum(z @ self.w1 + self.b1, 0.0)
        return np.asarray(hidden @ self.w2 + self.b2, dtype=np.float32)

    def predict(self, x: FloatArray) -> FloatArray:
        """The probability that each row of ``x`` is an article line."""
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30))), dtype=np.float32)

    def to_json(self) -> dict[str, Any]:
        """The weights as a JSON-ready dict (see :func:`model_from_json`)."""
        return {
            "feature_names": list(self.feature_names),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "w1": self.w1.round(6).tolist(),
            "b1": self.b1.round(6).tolist(),
            "w2": self.w2.round(6).tolist(),
            "b2": round(float(self.b2), 6),
            "meta": self.meta,
        }


def model_from_json(data: dict[str, Any]) -> LineModel:
    """Build a :class:`LineModel` from :meth:`LineModel.to_json` output.

    Raises:
        ModelFormatError: when the stored feature names differ from ``FEATURE_NAMES``.
    """
    names = tuple(data["feature_names"])
    if names != FEATURE_NAMES:
        missing = sorted(set(FEATURE_NAMES) ^ set(names))
        raise ModelFormatError(f"line model was trained on other features (differing: {missing})")

    def arr(key: str) -> FloatArray:
        return np.asarray(data[key], dtype=np.float32)

    return LineModel(names, arr("mean"), arr("scale"), arr("w1"), arr("b1"), arr("w2"), float(data["b2"]),
                     dict(data.get("meta", {})))  # fmt: skip


@functools.cache
def load_model() -> LineModel:
    """The package's trained line model, read once from ``data/line_model.json``."""
    text = resources.files("dedup").joinpath("data").joinpath("line_model.json").read_text(encoding="utf-8")
    return model_from_json(json.loads(text))


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
