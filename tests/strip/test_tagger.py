"""The numpy GRU tagger: PyTorch's GRU equations, both directions, weights round-trip and shape checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dedup.strip.tagger import Gru, Tagger, tagger_from_json


def test_one_gru_step_follows_the_gate_equations():
    # hidden = 1, inputs = 1: gates (reset, update, new) computed by hand.
    gru = Gru(np.array([[0.5], [-1.0], [2.0]], np.float32), np.array([[1.0], [0.5], [-0.5]], np.float32),
              np.array([0.1, 0.2, 0.3], np.float32), np.array([-0.1, 0.0, 0.4], np.float32))  # fmt: skip
    x = np.array([[1.0], [-2.0]], np.float32)
    states = gru.run(x)
    h = 0.0
    for value in x[:, 0]:
        r = 1 / (1 + math.exp(-(0.5 * value + 0.1 + 1.0 * h - 0.1)))
        z = 1 / (1 + math.exp(-(-1.0 * value + 0.2 + 0.5 * h)))
        n = math.tanh(2.0 * value + 0.3 + r * (-0.5 * h + 0.4))
        h = (1 - z) * n + z * h
    assert states.shape == (2, 1)
    assert states[-1, 0] == pytest.approx(h, abs=1e-6)


def test_a_line_score_reads_the_lines_before_and_after_it():
    tagger = Tagger.random(features=4, embed=6, hidden=3, rng=np.random.default_rng(1))
    x = np.random.default_rng(2).normal(size=(6, 4)).astype(np.float32)
    base = tagger.logits(x)
    later = x.copy()
    later[5] += 1.0
    earlier = x.copy()
    earlier[0] += 1.0
    assert tagger.logits(later)[0] != pytest.approx(base[0], abs=1e-7)
    assert tagger.logits(earlier)[5] != pytest.approx(base[5], abs=1e-7)
    # A page is read in order: the same lines reversed are not the same page.
    assert not np.allclose(tagger.logits(x[::-1])[::-1], base)


def test_weights_round_trip_through_json():
    tagger = Tagger.random(features=5, embed=4, hidden=2, rng=np.random.default_rng(3))
    x = np.random.default_rng(4).normal(size=(9, 5)).astype(np.float32)
    again = tagger_from_json(tagger.to_json())
    assert np.allclose(again.logits(x), tagger.logits(x), atol=1e-3)


def test_weights_that_do_not_fit_together_are_refused():
    data = Tagger.random(features=5, embed=4, hidden=2, rng=np.random.default_rng(5)).to_json()
    with pytest.raises(ValueError, match=r"head_w have shape \(7,\), expected \(8,\)"):
        tagger_from_json({**data, "head_w": data["head_w"][:-1]})
    backward = {**data["backward"], "b_hh": data["backward"]["b_hh"][:-1]}
    with pytest.raises(ValueError, match=r"backward\.b_hh have shape \(5,\), expected \(6,\)"):
        tagger_from_json({**data, "backward": backward})
