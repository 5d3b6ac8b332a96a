"""Numba kernel of the line tagger: one GRU direction over one page's lines.

The recurrence is sequential, so numpy would step it from Python, one call per line and
direction; here the whole loop is compiled (``cache=True``: only the first run after an install
pays the compile time). The equations and the gate order (reset, update, new) are PyTorch's
``nn.GRU``, which trains the weights. Cost: ``O(lines * 3 * hidden * hidden)``.
"""

from __future__ import annotations

import math

import numpy as np

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
