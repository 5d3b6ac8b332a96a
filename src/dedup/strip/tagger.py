"""A bidirectional GRU line tagger, run without PyTorch: each line's score reads the whole page.

A page is a sequence of lines. The tagger embeds each line's features (one ReLU layer), runs
a gated recurrent unit over the embedded lines forwards and another backwards, and scores each
line from its embedding and both recurrent states. A line's score thus depends on everything
above and below it: the menu it sits in, the comment block it opens, the article it closes.
The weights come from ``scripts/train_classifier.py`` (PyTorch's ``nn.GRU`` layout and
equations); inference is numpy matrix products and one numba kernel for the recurrence
(:mod:`dedup.strip._kernels`).

>>> rng = np.random.default_rng(0)
>>> tagger = Tagger.random(features=3, embed=4, hidden=2, rng=rng)
>>> tagger.logits(np.zeros((5, 3), dtype=np.float32)).shape
(5,)
>>> tagger.logits(np.zeros((0, 3), dtype=np.float32)).shape
(0,)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.errors import DataFileError
from dedup.strip._kernels import GruStack, gru_stack_states, gru_states

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True, eq=False)
class Gru:
    """One direction of a gated recurrent unit (PyTorch's gate order: reset, update, new).

    Attributes:
        w_ih: input weights, shape ``(3 * hidden, inputs)``.
        w_hh: recurrent weights, shape ``(3 * hidden, hidden)``.
        b_ih: input biases, shape ``(3 * hidden,)``.
        b_hh: recurrent biases, shape ``(3 * hidden,)``.
    """

    w_ih: FloatArray
    w_hh: FloatArray
    b_ih: FloatArray
    b_hh: FloatArray

    @property
    def hidden(self) -> int:
        """The size of the recurrent state."""
        return int(self.w_hh.shape[1])

    def run(self, x: FloatArray, reverse: bool = False) -> FloatArray:
        """The states after each row of ``x`` (shape ``(steps, inputs)``), starting from zeros.

        With ``reverse`` the rows are read from the last up, and row ``t`` gets the state after
        reading rows ``t`` to the end.
        """
        gates_in = np.ascontiguousarray(x @ self.w_ih.T + self.b_ih, dtype=np.float32)
        out = np.zeros((len(x), self.hidden), dtype=np.float32)
        gru_states(gates_in, np.ascontiguousarray(self.w_hh), self.b_hh, reverse, out)
        return out


@dataclass(frozen=True, slots=True, eq=False)
class Tagger:
    """Standardise, embed (ReLU), run a GRU each way, score: ``head · [forward, backward, embedding] + bias``.

    Attributes:
        mean: per-feature mean used to standardise inputs.
        scale: per-feature standard deviation used to standardise inputs.
        embed_w: embedding weights, shape ``(embed, features)``.
        embed_b: embedding biases, shape ``(embed,)``.
        forward: the GRU read from the first line down.
        backward: the GRU read from the last line up.
        head_w: output weights, shape ``(2 * hidden + embed,)``.
        head_b: output bias.
    """

    mean: FloatArray
    scale: FloatArray
    embed_w: FloatArray
    embed_b: FloatArray
    forward: Gru
    backward: Gru
    head_w: FloatArray
    head_b: float

    @property
    def features(self) -> int:
        """How many feature columns the tagger reads."""
        return int(self.embed_w.shape[1])

    def logits(self, x: FloatArray) -> FloatArray:
        """The log-odds that each line (row of ``x``, shape ``(lines, features)``) is article text."""
        embedded = self.embedding(x)
        states = np.hstack([self.forward.run(embedded), self.backward.run(embedded, reverse=True), embedded])
        return np.asarray(states @ self.head_w + self.head_b, dtype=np.float32)

    def embedding(self, x: FloatArray) -> FloatArray:
        """The lines' embeddings: standardised features through the ReLU layer."""
        return self.embed(self.standardise(x))

    def standardise(self, x: FloatArray) -> FloatArray:
        """The features standardised by the training data's mean and scale."""
        return ((x - self.mean) / self.scale).astype(np.float32)

    def embed(self, z: FloatArray) -> FloatArray:
        """Standardised features (:meth:`standardise`) through the ReLU layer."""
        return np.asarray(np.maximum(z @ self.embed_w.T + self.embed_b, 0.0), dtype=np.float32)

    def to_json(self) -> dict[str, Any]:
        """The weights as a JSON-ready dict (see :func:`tagger_from_json`)."""

        def gru(g: Gru) -> dict[str, Any]:
            return {k: getattr(g, k).round(5).tolist() for k in ("w_ih", "w_hh", "b_ih", "b_hh")}

        out: dict[str, Any] = {k: getattr(self, k).round(5).tolist() for k in ("mean", "scale", "embed_w", "embed_b")}
        out.update(forward=gru(self.forward), backward=gru(self.backward), head_w=self.head_w.round(5).tolist(),
                   head_b=round(float(self.head_b), 5))  # fmt: skip
        return out

    @staticmethod
    def random(features: int, embed: int, hidden: int, rng: np.random.Generator) -> Tagger:
        """A tagger with random weights of the given sizes (for tests and shape checks)."""

        def arr(*shape: int) -> FloatArray:
            return rng.normal(0.0, 0.5, shape).astype(np.float32)

        def gru(inputs: int) -> Gru:
            return Gru(arr(3 * hidden, inputs), arr(3 * hidden, hidden), arr(3 * hidden), arr(3 * hidden))

        return Tagger(np.zeros(features, np.float32), np.ones(features, np.float32), arr(embed, features),
                      arr(embed), gru(embed), gru(embed), arr(2 * hidden + embed), 0.0)  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class Ensemble:
    """Taggers of one shape run together over a page: the six (or more) recurrences in one kernel call.

    Gives every member's log-odds exactly as :meth:`Tagger.logits` does (the same matrix products,
    the same float32 operations in the same order), with less Python per page: the features are
    standardised once when the members share their standardisation, the states are written in
    place where the head reads them, and one call of :func:`~dedup.strip._kernels.gru_stack_states`
    runs every member's two directions.

    >>> rng = np.random.default_rng(0)
    >>> members = tuple(Tagger.random(features=3, embed=4, hidden=2, rng=rng) for _ in range(3))
    >>> x = rng.normal(size=(5, 3)).astype(np.float32)
    >>> bool(np.array_equal(Ensemble(members).logits(x), [m.logits(x) for m in members]))
    True

    Attributes:
        members: the taggers; all of the same sizes.
        stack: their recurrent weights, forward then backward for each member in turn.
        shared: for each member, whether it standardises as the first one does.
    """

    members: tuple[Tagger, ...]
    stack: GruStack = field(init=False, repr=False)
    shared: tuple[bool, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        first = self.members[0]
        sizes = {(m.embed_w.shape, m.forward.hidden) for m in self.members}
        if len(sizes) > 1:
            raise ValueError("the taggers of an ensemble must all have the same sizes")
        grus = [g for m in self.members for g in (m.forward, m.backward)]
        stack = GruStack(np.stack([np.ascontiguousarray(g.w_hh.T) for g in grus]).astype(np.float32),
                         np.stack([g.b_hh for g in grus]).astype(np.float32),
                         np.array([d % 2 == 1 for d in range(len(grus))]),
                         np.arange(len(grus), dtype=np.int64) // 2,
                         (np.arange(len(grus), dtype=np.int64) % 2) * first.forward.hidden)  # fmt: skip
        object.__setattr__(self, "stack", stack)
        shared = tuple(
            m.mean is first.mean or (np.array_equal(m.mean, first.mean) and np.array_equal(m.scale, first.scale))
            for m in self.members
        )
        object.__setattr__(self, "shared", shared)

    def logits(self, x: FloatArray) -> FloatArray:
        """Each member's log-odds for each line (row of ``x``): shape ``(members, lines)``."""
        first = self.members[0]
        hidden, embed = first.forward.hidden, first.embed_w.shape[0]
        states = np.empty((len(self.members), len(x), 2 * hidden + embed), dtype=np.float32)
        gates = np.empty((2 * len(self.members), len(x), 3 * hidden), dtype=np.float32)
        z = first.standardise(x)
        for i, member in enumerate(self.members):
            embedded = member.embed(z if self.shared[i] else member.standardise(x))
            states[i, :, 2 * hidden :] = embedded
            for side, gru in enumerate((member.forward, member.backward)):
                np.matmul(embedded, gru.w_ih.T, out=gates[2 * i + side])
                gates[2 * i + side] += gru.b_ih
        gru_stack_states(gates, self.stack, states)
        return np.stack([states[i] @ m.head_w + m.head_b for i, m in enumerate(self.members)]).astype(np.float32)


def tagger_from_json(data: dict[str, Any]) -> Tagger:
    """Build a :class:`Tagger` from :meth:`Tagger.to_json` output.

    Raises:
        ValueError: when the arrays' shapes do not fit together.
    """

    def arr(source: dict[str, Any], key: str) -> FloatArray:
        return np.asarray(source[key], dtype=np.float32)

    def gru(key: str) -> Gru:
        return Gru(*(arr(data[key], k) for k in ("w_ih", "w_hh", "b_ih", "b_hh")))

    tagger = Tagger(arr(data, "mean"), arr(data, "scale"), arr(data, "embed_w"), arr(data, "embed_b"),
                    gru("forward"), gru("backward"), arr(data, "head_w"), float(data["head_b"]))  # fmt: skip
    embed, hidden = tagger.embed_w.shape[0], tagger.forward.hidden
    shapes: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = [
        ("mean", tagger.mean.shape, (tagger.features,)),
        ("scale", tagger.scale.shape, (tagger.features,)),
        ("embed_b", tagger.embed_b.shape, (embed,)),
        ("head_w", tagger.head_w.shape, (2 * hidden + embed,)),
    ]
    for side, direction in (("forward", tagger.forward), ("backward", tagger.backward)):
        shapes += [
            (f"{side}.w_ih", direction.w_ih.shape, (3 * hidden, embed)),
            (f"{side}.w_hh", direction.w_hh.shape, (3 * hidden, hidden)),
            (f"{side}.b_ih", direction.b_ih.shape, (3 * hidden,)),
            (f"{side}.b_hh", direction.b_hh.shape, (3 * hidden,)),
        ]
    for name, got, want in shapes:
        if got != want:
            raise DataFileError(f"tagger weights {name} have shape {got}, expected {want}")
    return tagger
