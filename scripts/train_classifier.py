"""Train the line classifier (``src/dedup/data/line_model.json``) on (input, gold) page pairs.

Usage::

    pip install -e '.[train]'   # scikit-learn, for the lexicon's logistic regression
    python scripts/train_classifier.py PAIRS_DIR [PAIRS_DIR ...] [--out PATH] [--lexicon-out PATH] [--seed 0]

Labels come from the gold text: a line of four words or more is labelled with the share of its
word 4-grams that occur in the gold (a soft label: a byline glued to a sentence is half article);
a shorter line is article text (1.0) when a 4-gram joining it to its neighbours occurs in the
gold (the metric counts those too), else chrome (0.0). Features are ``dedup.linefeatures`` of the lines
after the stripper's trims.

The lexicon (``dedup.lexicon``) is fitted first: a logistic regression (scikit-learn) over the
line tokens that occur on at least ``MIN_PAGES`` training pages of every training folder, on the
labels rounded to 0/1. A token only one collection uses is mostly that collection's news of the
day ("impeachment" fills the related-headline boxes of the 2019 scrapinghub pages): weighed, it
would make a new article about the same story read as chrome.
Its score is a feature of the network, so a training page's features use a lexicon fitted on
the other folds (``LEXICON_FOLDS`` cross-fitting): the network must learn how far to trust the
lexicon on pages it was not fitted on. The shipped lexicon is fitted on all training pages.

The network is a one-hidden-layer ReLU net trained with Adam on a
weighted log loss, each page weighing the same and each line by the square root of its words.

A stable hash keeps ``HELDOUT_PERCENT`` of each folder's pages out of training (see
``benchmarks/quality.py``); the script then picks the context pass's ``switch_cost``, ``bias``
and ``page_cut`` on the training pages by the benchmark's 4-gram F1 and prints the scores on
both splits. With ``--folds K`` it also repeats the whole fit K times, each time without one
K-th of the pages, and scores every page with the weights that did not see it (the figure to
compare changes by). The chosen values and scores are stored in the weights' ``meta``; the
values must be copied into ``StripConfig``'s defaults by hand (the configuration is the one
place settings live).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from dedup.chrome import load_rules, trim
from dedup.classify import LineModel, Member, Net, stack_features
from dedup.config import StripConfig
from dedup.lexicon import Lexicon, from_coefficients, line_tokens
from dedup.linefeatures import FEATURE_NAMES, line_features
from dedup.strip import decide_lines
from quality import WORD, Pair, counts, load_pairs, macro

FloatArray = npt.NDArray[np.float32]
MIN_PAGES = 3
"""A token enters the lexicon's vocabulary when at least this many training pages hold it."""
LEXICON_C = 0.1
"""Inverse L2 strength of the lexicon's logistic regression (0.1 beat 0.3 and 1.0 out of fold)."""
LEXICON_FOLDS = 5


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


def trimmed(pair: Pair) -> list[str]:
    """The page's lines after the stripper's trims: what the features see."""
    rules = load_rules()
    return [cuts[-1].text if (cuts := trim(line, rules)) else line for line in pair.lines]


def page_arrays(pair: Pair, lexicon: Lexicon) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Features, labels and weights of one page's lines."""
    texts = trimmed(pair)
    x = line_features(texts, load_rules(), lexicon)
    y = line_labels(list(pair.lines), pair.gold)
    w = np.sqrt(np.array([len(WORD.findall(t)) + 1 for t in texts], dtype=np.float32))
    return x, y, (w / w.sum()).astype(np.float32)


def fit_lexicon(collections: dict[str, list[Pair]]) -> Lexicon:
    """Fit the lexicon's logistic regression on the pages of ``collections`` (see the module docstring)."""
    from scipy import sparse  # training-only dependencies (the 'train' extra)
    from sklearn.linear_model import LogisticRegression

    pairs = [p for ps in collections.values() for p in ps]
    texts = [trimmed(p) for p in pairs]
    pages = [[line_tokens(t) for t in page] for page in texts]
    common: set[str] | None = None
    start = 0
    for folder_pages in collections.values():
        held_by = Counter(t for page in pages[start : start + len(folder_pages)] for t in set().union(*page))
        start += len(folder_pages)
        frequent = {t for t, n in held_by.items() if n >= MIN_PAGES}
        common = frequent if common is None else common & frequent
    vocabulary = sorted(common or ())
    column = {t: j for j, t in enumerate(vocabulary)}
    rows: list[int] = []
    cols: list[int] = []
    labels: list[int] = []
    weights: list[float] = []
    for pair, page, lines in zip(pairs, pages, texts, strict=True):
        w = np.sqrt([len(WORD.findall(t)) + 1.0 for t in lines])
        weights.extend((w / w.sum()).tolist())
        for tokens, label in zip(page, line_labels(list(pair.lines), pair.gold) >= 0.5, strict=True):
            hits = [column[t] for t in tokens if t in column]
            rows.extend([len(labels)] * len(hits))
            cols.extend(hits)
            labels.append(int(label))
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(labels), len(vocabulary)))
    sample_weight = np.array(weights) / np.mean(weights)
    fit = LogisticRegression(C=LEXICON_C, max_iter=500).fit(x, np.array(labels), sample_weight=sample_weight)
    meta = {"pages": len(pairs), "lines": len(labels), "C": LEXICON_C, "min_pages_per_folder": MIN_PAGES}
    return from_coefficients(vocabulary, fit.coef_[0].tolist(), float(fit.intercept_[0]), meta)


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


def cross_fitted_arrays(
    splits: dict[str, dict[str, list[Pair]]],
) -> tuple[Lexicon, dict[str, dict[str, list[tuple[FloatArray, FloatArray, FloatArray]]]]]:
    """The shipped lexicon (all training pages) and every page's arrays.

    A training page's lexicon column comes from a lexicon fitted on the other folds; a held-out
    page's from the shipped lexicon, as on new pages.
    """
    train_pages = [(key, i) for key in splits for i in range(len(splits[key]["train"]))]
    lexicon = fit_lexicon({k: parts["train"] for k, parts in splits.items()})
    arrays = {key: {"heldout": [page_arrays(p, lexicon) for p in parts["heldout"]],
                    "train": [(np.zeros(0, np.float32),) * 3 for _ in parts["train"]]}
              for key, parts in splits.items()}  # fmt: skip
    for fold in range(LEXICON_FOLDS):
        inside = [(k, i) for n, (k, i) in enumerate(train_pages) if n % LEXICON_FOLDS == fold]
        outside: dict[str, list[Pair]] = {k: [] for k in splits}
        for n, (k, i) in enumerate(train_pages):
            if n % LEXICON_FOLDS != fold:
                outside[k].append(splits[k]["train"][i])
        fold_lexicon = fit_lexicon(outside)
        for k, i in inside:
            arrays[k]["train"][i] = page_arrays(splits[k]["train"][i], fold_lexicon)
        print(f"lexicon fold {fold}: {len(fold_lexicon.weights)} tokens", file=sys.stderr)
    return lexicon, arrays


Arrays = dict[str, dict[str, list[tuple[FloatArray, FloatArray, FloatArray]]]]
GRID = [(switch, bias, cut) for switch in (0.5, 1.0) for bias in (0.0, 0.25, 0.5) for cut in (0.0, 0.5, 0.75)]
"""The context-pass settings tried: switch_cost, bias, page_cut."""


def fit(splits: dict[str, dict[str, list[Pair]]], args: argparse.Namespace) -> tuple[Lexicon, LineModel, Arrays]:
    """The lexicon and the stacked ensemble fitted on the training pages of ``splits``, with every page's arrays."""
    start = time.perf_counter()
    lexicon, arrays = cross_fitted_arrays(splits)
    print(f"lexicon and features: {time.perf_counter() - start:.0f}s", file=sys.stderr)
    train_rows = [a for parts in arrays.values() for a in parts["train"]]
    members = [train_stacked(train_rows, args.hidden, args.seed + 10 * k, args.epochs) for k in range(args.members)]
    print(f"trained on {sum(len(a[1]) for a in train_rows)} lines: {time.perf_counter() - start:.0f}s", file=sys.stderr)
    return lexicon, LineModel(FEATURE_NAMES, tuple(members), {}), arrays


def tune(splits: dict[str, dict[str, list[Pair]]], arrays: Arrays, model: LineModel) -> StripConfig:
    """The ``GRID`` setting with the best mean F1 over the folders' training pages."""
    best: tuple[float, StripConfig] = (-1.0, StripConfig())
    for switch, bias, cut in GRID:
        config = StripConfig(switch_cost=switch, bias=bias, page_cut=cut)
        f1s = [evaluate(splits[k]["train"], [a[0] for a in arrays[k]["train"]], model, config)[2] for k in splits]
        print(f"switch={switch} bias={bias} page_cut={cut}: train F1 {' '.join(f'{f:.3f}' for f in f1s)}",
              file=sys.stderr)  # fmt: skip
        if float(np.mean(f1s)) > best[0]:
            best = (float(np.mean(f1s)), config)
    return best[1]


def cross_validate(folders: list[Path], args: argparse.Namespace, config: StripConfig) -> dict[str, dict[str, float]]:
    """Macro P/R/F1 of every page, each scored by a lexicon and model fitted on the other ``args.folds`` - 1 folds.

    The held-out split scores only a quarter of the pages, so its F1 moves by 0.01 or more with
    the draw; here every page counts once and no page is scored by weights that saw it. Folds
    run in ``args.jobs`` processes.
    """
    rows: Rows = {f.name: [] for f in folders}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for fold_rows in pool.map(score_fold, [(folders, args, config, fold) for fold in range(args.folds)]):
            for key, key_rows in fold_rows.items():
                rows[key].extend(key_rows)
    scores = {}
    for key, key_rows in rows.items():
        p, r, f = macro(key_rows)
        scores[key] = {"docs": len(key_rows), "P": round(p, 3), "R": round(r, 3), "F1": round(f, 3)}
        print(f"{key:>20} {args.folds}-fold: P={p:.3f} R={r:.3f} F1={f:.3f}")
    return scores


Rows = dict[str, list[tuple[float, float, float]]]


def score_fold(job: tuple[list[Path], argparse.Namespace, StripConfig, int]) -> Rows:
    """The count rows of one fold's pages, scored by weights fitted on the other folds."""
    folders, args, config, fold = job
    pairs = {f.name: load_pairs(f, "all") for f in folders}
    splits = {k: {"train": [p for p in ps if fold_of(k, p.name, args.folds) != fold],
                  "heldout": [p for p in ps if fold_of(k, p.name, args.folds) == fold]}
              for k, ps in pairs.items()}  # fmt: skip
    _, model, arrays = fit(splits, args)
    rows: Rows = {}
    for key, parts in splits.items():
        rows[key] = []
        for pair, (x, _, _) in zip(parts["heldout"], arrays[key]["heldout"], strict=True):
            kept = [d.text for d in decide_lines(pair.lines, config, model, x) if d.keep]
            rows[key].append(counts(pair.gold, "\n".join(kept)))
    print(f"fold {fold} of {args.folds} done", file=sys.stderr)
    return rows


def fold_of(folder: str, name: str, folds: int) -> int:
    """The cross-validation fold of a page; with 4 folds, fold 0 is the held-out split."""
    return zlib.crc32(f"{folder}/{name}".encode()) % 100 * folds // 100


def main(argv: list[str] | None = None) -> int:
    """Load the pairs, train, tune the context pass, report both splits (and folds), write the weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("src/dedup/data/line_model.json"))
    parser.add_argument("--lexicon-out", type=Path, default=Path("src/dedup/data/line_lexicon.json"))
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--members", type=int, default=3, help="ensemble members (seeds)")
    parser.add_argument("--folds", type=int, default=0, help="also cross-validate over this many folds (4: ~10 min)")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the cross-validation folds")
    args = parser.parse_args(argv)
    splits = {f.name: {s: load_pairs(f, s) for s in ("train", "heldout")} for f in args.folders}
    lexicon, model, arrays = fit(splits, args)
    config = tune(splits, arrays, model)
    scores: dict[str, dict[str, float]] = {}
    for key in splits:
        for split in ("train", "heldout"):
            p, r, f = evaluate(splits[key][split], [a[0] for a in arrays[key][split]], model, config)
            scores[f"{key}/{split}"] = {"docs": len(splits[key][split]), "P": round(p, 3), "R": round(r, 3),
                                        "F1": round(f, 3)}  # fmt: skip
            print(f"{key:>20} {split:>8}: P={p:.3f} R={r:.3f} F1={f:.3f}")
    if args.folds:
        for key, value in cross_validate(args.folders, args, config).items():
            scores[f"{key}/{args.folds}-fold"] = value
    settings = {"switch_cost": config.switch_cost, "bias": config.bias, "page_cut": config.page_cut}
    meta = {"trained_on": sorted(splits), "hidden": args.hidden, "members": args.members, "seed": args.seed,
            **settings, "scores": scores}  # fmt: skip
    model = dataclasses.replace(model, meta=meta)
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    args.lexicon_out.write_text(json.dumps(lexicon.to_json(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({settings}) and {args.lexicon_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
