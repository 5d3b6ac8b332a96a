"""Train the line classifier (``src/dedup/data/line_model.json``) on (input, gold) page pairs.

Usage::

    python scripts/train_classifier.py PAIRS_DIR [PAIRS_DIR ...] [--out PATH] [--hidden 24] [--seed 0]

Labels come from the gold text: a line of four words or more is labelled with the share of its
word 4-grams that occur in the gold (a soft label: a byline glued to a sentence is half article);
a shorter line is article text (1.0) when a 4-gram joining it to its neighbours occurs in the
gold (the metric counts those too), else chrome (0.0). Features are ``dedup.linefeatures`` of the lines
after the stripper's trims. The network is a one-hidden-layer ReLU net trained with Adam on a
weighted log loss, each page weighing the same and each line by the square root of its words.

A stable hash keeps ``HELDOUT_PERCENT`` of each folder's pages out of training (see
``benchmarks/quality.py``); the script then picks the context pass's ``switch_cost`` and ``bias``
on the training pages by the benchmark's 4-gram F1 and prints the scores on both splits. The
chosen values are stored in the weights' ``meta`` and must be copied into ``StripConfig``'s
defaults by hand (the configuration is the one place settings live).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from dedup.chrome import load_rules, trim
from dedup.classify import LineModel, Member, Net, stack_features
from dedup.config import StripConfig
from dedup.linefeatures import FEATURE_NAMES, line_features
from dedup.strip import decide_lines
from quality import WORD, Pair, counts, load_pairs, macro

FloatArray = npt.NDArray[np.float32]


def line_labels(lines: list[str], gold: str) -> FloatArray:
    """Each line's share of article text according to the gold (see the module docstring)."""
    gold_tokens = WORD.findall(gold)
    gold_grams = {tuple(gold_tokens[i : i + 4]) for i in range(len(gold_tokens) - 3)}
    tokens = [WORD.findall(t) for t in lines]
    labels = np.zeros(len(lines), dtype=np.float32)
    for i, toks in enumerate(tokens):
        if not toks:
            continue
        if len(toks) >= 4:
            found = [tuple(toks[j : j + 4]) in gold_grams for j in range(len(toks) - 3)]
            labels[i] = float(np.mean(found))
            continue
        before = [t for ts in tokens[max(0, i - 3) : i] for t in ts][-3:]
        after = [t for ts in tokens[i + 1 : i + 4] for t in ts][:3]
        joined = before + toks + after
        lo, hi = len(before), len(before) + len(toks)
        spans = [j for j in range(len(joined) - 3) if j < hi and j + 4 > lo]
        labels[i] = float(any(tuple(joined[j : j + 4]) in gold_grams for j in spans))
    return labels


def page_arrays(pair: Pair) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Features, labels and weights of one page's lines."""
    rules = load_rules()
    texts = []
    for line in pair.lines:
        cuts = trim(line, rules)
        texts.append(cuts[-1].text if cuts else line)
    x = line_features(texts, rules)
    y = line_labels(list(pair.lines), pair.gold)
    w = np.sqrt(np.array([len(WORD.findall(t)) + 1 for t in texts], dtype=np.float32))
    return x, y, (w / w.sum()).astype(np.float32)


def train(x: FloatArray, y: FloatArray, w: FloatArray, hidden: int, seed: int, epochs: int = 60) -> Net:
    """Fit one network with Adam on mini-batches of the weighted log loss (plus a small L2)."""
    rng = np.random.default_rng(seed)
    mean, scale = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / scale
    params = [rng.normal(0, 1 / np.sqrt(z.shape[1]), (z.shape[1], hidden)), np.zeros(hidden),
              rng.normal(0, 1 / np.sqrt(hidden), hidden), np.zeros(1)]  # fmt: skip
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    w = w / w.mean()
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(z))
        for batch in np.array_split(order, max(1, len(z) // 512)):
            step += 1
            grads = gradients(params, z[batch], y[batch], w[batch])
            for k, (p, g) in enumerate(zip(params, grads, strict=True)):
                m, v = moments[k]
                m[:] = 0.9 * m + 0.1 * g
                v[:] = 0.999 * v + 0.001 * g * g
                p -= 0.003 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    w1, b1, w2, b2 = (np.asarray(p, dtype=np.float32) for p in params)
    return Net(mean.astype(np.float32), scale.astype(np.float32), w1, b1, w2, float(b2[0]))


def train_stacked(pages: list[tuple[FloatArray, FloatArray, FloatArray]], hidden: int, seed: int, epochs: int,
                  folds: int = 3) -> Member:  # fmt: skip
    """Fit the line network on all pages and the context network on out-of-fold line scores.

    The second stage must learn from first-stage scores like those it will see on new pages, so
    each page's scores come from a first stage trained on the other folds (cross-fitting).
    """

    def stack(rows: list[tuple[FloatArray, FloatArray, FloatArray]]) -> tuple[FloatArray, FloatArray, FloatArray]:
        return (np.vstack([r[0] for r in rows]), np.concatenate([r[1] for r in rows]),
                np.concatenate([r[2] for r in rows]))  # fmt: skip

    first = train(*stack(pages), hidden, seed, epochs)
    fold_of = np.arange(len(pages)) % folds
    second_inputs: list[FloatArray] = [np.zeros(0, dtype=np.float32)] * len(pages)
    for fold in range(folds):
        net = train(*stack([pg for pg, f in zip(pages, fold_of, strict=True) if f != fold]), hidden, seed, epochs)
        for i in np.flatnonzero(fold_of == fold):
            second_inputs[i] = stack_features(pages[i][0], net.logits(pages[i][0]))
    second = train(*stack([(s2, pg[1], pg[2]) for s2, pg in zip(second_inputs, pages, strict=True)]),
                   hidden, seed + 1, epochs)  # fmt: skip
    return Member(first, second)


def gradients(
    params: list[npt.NDArray[np.float64]], z: FloatArray, y: FloatArray, w: FloatArray
) -> list[npt.NDArray[np.float64]]:
    """Gradients of the weighted mean log loss (with L2 1e-4 on the weights) for one batch."""
    w1, b1, w2, b2 = params
    pre = z @ w1 + b1
    hidden = np.maximum(pre, 0.0)
    prob = 1 / (1 + np.exp(-np.clip(hidden @ w2 + b2, -30, 30)))
    d_out = (prob - y) * w / len(y)
    d_hidden = np.outer(d_out, w2) * (pre > 0)
    return [z.T @ d_hidden + 1e-4 * w1, d_hidden.sum(0), hidden.T @ d_out + 1e-4 * w2, np.array([d_out.sum()])]


def evaluate(pairs: list[Pair], feats: list[FloatArray], model: LineModel, config: StripConfig) -> tuple[float, ...]:
    """Macro precision, recall and F1 of the stripper with ``model`` and ``config`` on ``pairs``."""
    rows = []
    for pair, x in zip(pairs, feats, strict=True):
        kept = [d.text for d in decide_lines(pair.lines, config, model, x) if d.keep]
        rows.append(counts(pair.gold, "\n".join(kept)))
    return macro(rows)


def main(argv: list[str] | None = None) -> int:
    """Load the pairs, train, tune the context pass, report both splits, write the weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("src/dedup/data/line_model.json"))
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--members", type=int, default=3, help="ensemble members (seeds)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    splits: dict[str, dict[str, list[Pair]]] = {}
    for folder in args.folders:
        splits[folder.name] = {s: load_pairs(folder, s) for s in ("train", "heldout")}
    arrays = {key: {s: [page_arrays(p) for p in ps] for s, ps in parts.items()} for key, parts in splits.items()}
    print(f"features: {time.perf_counter() - start:.0f}s", file=sys.stderr)
    train_rows = [a for parts in arrays.values() for a in parts["train"]]
    members = [train_stacked(train_rows, args.hidden, args.seed + 10 * k, args.epochs) for k in range(args.members)]
    model = LineModel(FEATURE_NAMES, tuple(members), {})
    n_lines = sum(len(a[1]) for a in train_rows)
    share = sum(float(a[1].sum()) for a in train_rows) / n_lines
    print(f"trained on {n_lines} lines ({share:.2f} article): {time.perf_counter() - start:.0f}s", file=sys.stderr)
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for switch in (0.5, 1.0, 2.0):
        for bias in (-0.25, 0.0, 0.25, 0.5):
            config = StripConfig(switch_cost=switch, bias=bias)
            f1s = [evaluate(splits[k]["train"], [a[0] for a in arrays[k]["train"]], model, config)[2] for k in splits]
            mean_f1 = float(np.mean(f1s))
            print(f"switch={switch} bias={bias}: train F1 {' '.join(f'{f:.3f}' for f in f1s)}", file=sys.stderr)
            if mean_f1 > best[0]:
                best = (mean_f1, switch, bias)
    config = StripConfig(switch_cost=best[1], bias=best[2])
    scores = {}
    for key in splits:
        for split in ("train", "heldout"):
            p, r, f = evaluate(splits[key][split], [a[0] for a in arrays[key][split]], model, config)
            docs = len(splits[key][split])
            scores[f"{key}/{split}"] = {"docs": docs, "P": round(p, 3), "R": round(r, 3), "F1": round(f, 3)}
            print(f"{key:>20} {split:>8}: P={p:.3f} R={r:.3f} F1={f:.3f}")
    meta = {"trained_on": sorted(splits), "lines": n_lines, "hidden": args.hidden, "members": args.members,
            "seed": args.seed, "switch_cost": best[1], "bias": best[2], "scores": scores}  # fmt: skip
    model = dataclasses.replace(model, meta=meta)
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (switch_cost={best[1]}, bias={best[2]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
