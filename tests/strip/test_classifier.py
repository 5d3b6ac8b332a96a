"""The context pass: :func:`dedup.strip.classifier.smooth` against the array Viterbi it replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.strip.classifier import smooth


def reference_smooth(probs: list[float], switch_cost: float, bias: float = 0.0) -> list[bool]:
    """Viterbi over two states with numpy rows per line: the former implementation, kept as the reference."""
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


PROBS = st.lists(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.5, 1.0, 0.25, 0.75])), max_size=60)


@settings(max_examples=400, deadline=None)
@given(PROBS, st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5]), st.sampled_from([0.0, -0.7, 0.4]))
def test_smooth_equals_the_array_viterbi(probs: list[float], switch_cost: float, bias: float) -> None:
    assert smooth(probs, switch_cost, bias) == reference_smooth(probs, switch_cost, bias)


def test_smooth_on_ties_and_long_pages() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):  # coarse probabilities make equal path costs, where the first of equals must win
        probs = rng.choice([0.1, 0.5, 0.9], size=int(rng.integers(1, 400))).tolist()
        for cost in (0.0, 2.0, float(np.log(9.0))):
            assert smooth(probs, cost) == reference_smooth(probs, cost)
    assert smooth([0.5, 0.5], 0.0) == [False, False]  # equal costs: chrome, as argmin takes the first state
