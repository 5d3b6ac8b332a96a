"""Numba kernels of the line tagger: GRU recurrences over one page's lines.

The recurrence is sequential, so numpy would step it from Python, one call per line and
direction; here the whole loop is compiled (``cache=True``: only the first run after an install
pays the compile time). The equations and the gate order (reset, update, new) are PyTorch's
``nn.GRU``, which trains the weights. Cost: ``O(lines * 3 * hidden * hidden)`` per direction.

:func:`gru_states` runs one direction; :func:`gru_stack_states` runs every direction of an
ensemble in one call, with the same float32 operations on every element in the same order (so
the same bits), but with the recurrent product's inner loop over the gates, which the compiler
turns into vector instructions, instead of over the state.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from dedup._jit import jit


@jit(nogil=True)
def gru_states(gates_in: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray, reverse: bool, out: np.ndarray) -> None:
    """Write into ``out[t]`` the state after line ``t``, reading lines in order (or from the last when ``reverse``).

    ``gates_in`` holds each line's input contribution ``w_ih @ x + b_ih`` (shape ``(lines, 3 * hidden)``);
    ``w_hh`` is ``(3 * hidden, hidden)`` and ``b_hh`` ``(3 * hidden,)``. The state starts at zeros.
    """
    steps = gates_in.shape[0]
    hidden = w_hh.shape[1]
    h = np.zeros(hidden, dtype=np.float32)
    gh = np.zeros(3 * hidden, dtype=np.float32)
    for step in range(steps):
        t = steps - 1 - step if reverse else step
        for j in range(3 * hidden):
            acc = b_hh[j]
            for k in range(hidden):
                acc += w_hh[j, k] * h[k]
            gh[j] = acc
        for j in range(hidden):
            r = 1.0 / (1.0 + math.exp(-(gates_in[t, j] + gh[j])))
            z = 1.0 / (1.0 + math.exp(-(gates_in[t, hidden + j] + gh[hidden + j])))
            n = math.tanh(gates_in[t, 2 * hidden + j] + r * gh[2 * hidden + j])
            out[t, j] = n + z * (h[j] - n)
        for j in range(hidden):
            h[j] = out[t, j]


class GruStack(NamedTuple):
    """The recurrent weights of several GRU directions, stacked (direction ``d`` is row ``d``).

    Attributes:
        w_hh_t: recurrent weights transposed, shape ``(directions, hidden, 3 * hidden)``.
        b_hh: recurrent biases, shape ``(directions, 3 * hidden)``.
        reverse: whether direction ``d`` reads the lines from the last up, shape ``(directions,)``.
        member: which block of ``out`` direction ``d`` writes (see :func:`gru_stack_states`).
        column: where direction ``d``'s states start in a row of that block.
    """

    w_hh_t: NDArray[np.float32]
    b_hh: NDArray[np.float32]
    reverse: NDArray[np.bool_]
    member: NDArray[np.int64]
    column: NDArray[np.int64]


@jit(nogil=True)
def gru_stack_states(gates_in: np.ndarray, stack: GruStack, out: np.ndarray) -> None:
    """Run every direction of ``stack``: direction ``d``'s state after line ``t`` goes to ``out[stack.member[d], t]``.

    ``gates_in[d]`` holds direction ``d``'s input contributions ``w_ih @ x + b_ih`` (shape
    ``(directions, lines, 3 * hidden)``); its states go to columns ``stack.column[d]`` to
    ``stack.column[d] + hidden`` of ``out`` (shape ``(members, lines, width)``). Each state starts
    at zeros. Every element is computed as :func:`gru_states` computes it, so the results are the same.
    """
    directions, steps, gates = gates_in.shape
    hidden = gates // 3
    h = np.zeros(hidden, dtype=np.float32)
    gh = np.zeros(gates, dtype=np.float32)
    for d in range(directions):
        w, b, m, col = stack.w_hh_t[d], stack.b_hh[d], stack.member[d], stack.column[d]
        h[:] = 0.0
        for step in range(steps):
            t = steps - 1 - step if stack.reverse[d] else step
            for j in range(gates):
                gh[j] = b[j]
            for k in range(hidden):  # gh[j] accumulates w[j, k] * h[k] in the order of k, as gru_states does
                hk = h[k]
                for j in range(gates):
                    gh[j] += w[k, j] * hk
            g = gates_in[d, t]
            for j in range(hidden):
                r = 1.0 / (1.0 + math.exp(-(g[j] + gh[j])))
                z = 1.0 / (1.0 + math.exp(-(g[hidden + j] + gh[hidden + j])))
                n = math.tanh(g[2 * hidden + j] + r * gh[2 * hidden + j])
                out[m, t, col + j] = n + z * (h[j] - n)
            for j in range(hidden):
                h[j] = out[m, t, col + j]
