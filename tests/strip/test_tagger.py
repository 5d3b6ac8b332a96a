"""The numpy GRU tagger: PyTorch's GRU equations, both directions, weights round-trip and shape checks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from dedup.strip.tagger import Ensemble, Gru, Tagger, tagger_from_json


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


def _numpy_gru(gru: Gru, x: np.ndarray, reverse: bool = False) -> np.ndarray:
    """PyTorch's GRU equations in plain float64 numpy, one line at a time."""
    hidden = gru.hidden
    h = np.zeros(hidden)
    out = np.zeros((len(x), hidden))
    for t in reversed(range(len(x))) if reverse else range(len(x)):
        gi = gru.w_ih.astype(np.float64) @ x[t] + gru.b_ih
        gh = gru.w_hh.astype(np.float64) @ h + gru.b_hh
        r = 1 / (1 + np.exp(-(gi[:hidden] + gh[:hidden])))
        z = 1 / (1 + np.exp(-(gi[hidden : 2 * hidden] + gh[hidden : 2 * hidden])))
        n = np.tanh(gi[2 * hidden :] + r * gh[2 * hidden :])
        h = (1 - z) * n + z * h
        out[t] = h
    return out


def _numpy_logits(tagger: Tagger, x: np.ndarray) -> np.ndarray:
    e = np.maximum(((x - tagger.mean) / tagger.scale) @ tagger.embed_w.T.astype(np.float64) + tagger.embed_b, 0)
    states = np.hstack([_numpy_gru(tagger.forward, e), _numpy_gru(tagger.backward, e, reverse=True), e])
    return states @ tagger.head_w + tagger.head_b


@pytest.mark.parametrize("seed", range(6))
def test_the_ensemble_gives_each_members_logits_bit_for_bit_and_the_gru_equations(seed):
    rng = np.random.default_rng(seed)
    features, embed, hidden = (int(v) for v in rng.integers(1, 9, size=3))
    members = tuple(Tagger.random(features, embed, hidden, rng) for _ in range(int(rng.integers(1, 4))))
    for lines in (0, 1, 2, int(rng.integers(3, 90))):
        x = rng.normal(size=(lines, features)).astype(np.float32)
        got = Ensemble(members).logits(x)
        assert got.shape == (len(members), lines)
        assert got.dtype == np.float32
        for m, row in zip(members, got, strict=True):
            assert np.array_equal(row, m.logits(x))  # the one-direction kernel, bit for bit
            reference = 1 / (1 + np.exp(-_numpy_logits(m, x.astype(np.float64))))
            assert np.allclose(1 / (1 + np.exp(-row.astype(np.float64))), reference, atol=1e-6, rtol=0)


def test_members_with_their_own_standardisation_are_standardised_each():
    rng = np.random.default_rng(7)
    a, b = (Tagger.random(features=3, embed=4, hidden=2, rng=rng) for _ in range(2))
    b = dataclasses.replace(b, mean=np.full(3, 0.5, np.float32), scale=np.full(3, 2.0, np.float32))
    x = rng.normal(size=(6, 3)).astype(np.float32)
    assert np.array_equal(Ensemble((a, b)).logits(x), [a.logits(x), b.logits(x)])


def test_members_of_different_sizes_cannot_run_as_one_ensemble():
    rng = np.random.default_rng(8)
    with pytest.raises(ValueError, match="same sizes"):
        Ensemble((Tagger.random(3, 4, 2, rng), Tagger.random(3, 4, 3, rng)))
