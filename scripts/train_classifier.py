"""Train the line classifier (``src/dedup/data/line_model.json``) on (input, gold) page pairs.

Usage::

    pip install torch==2.13.0    # first, a CPU build of PyTorch (a bare 'torch' may fetch a CUDA build)
    pip install -e '.[train]'    # scikit-learn for the lexicon, PyTorch for the taggers
    python scripts/train_classifier.py PAIRS_DIR [PAIRS_DIR ...] [--folds 4] [--out PATH] [--lexicon-out PATH]

Labels come from the gold text: a line of four words or more is labelled with the share of its
word 4-grams that occur in the gold (a soft label: a byline glued to a sentence is half article);
a shorter line is article text (1.0) when a 4-gram joining it to its neighbours occurs in the
gold (the metric counts those too), else chrome (0.0). Features are ``dedup.strip.features`` of the lines
after the stripper's trims.

The lexicon (``dedup.strip.lexicon``) is fitted first: a logistic regression (scikit-learn) over the
line tokens that occur on at least ``MIN_PAGES`` training pages of every training folder, on the
labels rounded to 0/1. A token only one collection uses is mostly that collection's news of the
day ("impeachment" fills the related-headline boxes of the 2019 scrapinghub pages): weighed, it
would make a new article about the same story read as chrome.
Its score is a feature of the tagger, so a training page's features use a lexicon fitted on
the other folds (``LEXICON_FOLDS`` cross-fitting): the tagger must learn how far to trust the
lexicon on pages it was not fitted on. The shipped lexicon is fitted on all training pages.

The tagger (``dedup.strip.tagger``: a bidirectional GRU over the page's lines) is trained with
PyTorch on a weighted log loss, each page weighing the same and each line by the square root of
its words; ``--members`` taggers from different seeds make the ensemble. The weights are
exported to numpy arrays: inference needs neither PyTorch nor scikit-learn.

A stable hash keeps ``HELDOUT_PERCENT`` of each folder's pages out of training (see
``dedup.evaluation.boilerplate``). With ``--folds K`` the script first repeats the whole fit K times,
each time without one K-th of the pages, and scores every page with the weights that did not
see it (the figure to compare changes by); it picks the context pass's ``switch_cost``,
``bias`` and ``page_cut`` by the benchmark's 4-gram F1 on those out-of-fold scores of the
training split's pages (a tagger fits its own training pages too closely to tune on them).
It then trains the shipped weights on the training split and prints the scores on both
splits. The chosen values and scores are stored in the weights' ``meta``; the values must be
copied into ``StripConfig``'s defaults by hand (the configuration is the one place settings
live). Without ``--folds`` the defaults are used as they are.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import zlib
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dedup.config import StripConfig
from dedup.evaluation.boilerplate import WORD, Pair, counts, is_heldout, load_pairs, macro
from dedup.strip.classifier import LineModel
from dedup.strip.features import FEATURE_NAMES, line_features
from dedup.strip.lexicon import Lexicon, from_coefficients, line_tokens
from dedup.strip.rules import load_rules, trim
from dedup.strip.stripper import decide_lines
from dedup.strip.tagger import Gru, Tagger

FloatArray = npt.NDArray[np.float32]
MIN_PAGES = 3
"""A token enters the lexicon's vocabulary when at least this many training pages hold it."""
LEXICON_C = 0.1
"""Inverse L2 strength of the lexicon's logistic regression (0.1 beat 0.3 and 1.0 out of fold)."""
LEXICON_FOLDS = 5
BATCH = 16
"""Pages per training step of a tagger."""
LEARNING_RATE = 3e-3
DROPOUT = 0.1
Page = tuple[FloatArray, FloatArray, FloatArray]
"""One page's line features, labels and weights."""


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


def train_tagger(job: tuple[list[Page], int, argparse.Namespace]) -> Tagger:
    """Fit one tagger (PyTorch) on whole pages: AdamW on the weighted log loss, batches of ``BATCH`` pages.

    The network is :class:`dedup.strip.tagger.Tagger`'s: standardised features, a ReLU embedding, a
    GRU each way over the page's lines, a linear head over both states and the embedding (with
    dropout on the embedding while training). Each page weighs the same and each of its lines
    by the square root of its words. Returns the weights in numpy.
    """
    import torch  # training-only dependency (the 'train' extra)
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

    pages, seed, args = job
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_all = np.vstack([x for x, _, _ in pages])
    mean, scale = x_all.mean(0), x_all.std(0) + 1e-6
    data = [(torch.tensor((x - mean) / scale), torch.tensor(y), torch.tensor(w / w.sum())) for x, y, w in pages]
    embed = nn.Linear(x_all.shape[1], args.embed)
    gru = nn.GRU(args.embed, args.hidden, batch_first=True, bidirectional=True)
    head = nn.Linear(2 * args.hidden + args.embed, 1)
    dropout = nn.Dropout(DROPOUT)
    params = [*embed.parameters(), *gru.parameters(), *head.parameters()]
    optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, args.epochs)
    for _ in range(args.epochs):
        for batch in np.array_split(rng.permutation(len(data)), max(1, len(data) // BATCH)):
            xs, ys, ws = (pad_sequence([data[i][k] for i in batch], batch_first=True) for k in range(3))
            lengths = torch.tensor([len(data[i][0]) for i in batch])
            embedded = dropout(torch.relu(embed(xs)))
            packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
            states, _ = pad_packed_sequence(gru(packed)[0], batch_first=True, total_length=xs.shape[1])
            logits = head(torch.cat([states, embedded], -1)).squeeze(-1)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, ys, reduction="none")
            optimiser.zero_grad()
            ((loss * ws).sum() / len(batch)).backward()
            optimiser.step()
        schedule.step()

    def arr(t: torch.Tensor) -> FloatArray:
        return np.asarray(t.detach().numpy(), dtype=np.float32)

    def direction(suffix: str) -> Gru:
        return Gru(*(arr(getattr(gru, f"{k}_l0{suffix}")) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))

    return Tagger(mean.astype(np.float32), scale.astype(np.float32), arr(embed.weight), arr(embed.bias),
                  direction(""), direction("_reverse"), arr(head.weight[0]), float(head.bias.detach()[0]))  # fmt: skip


def train_model(pages: list[Page], args: argparse.Namespace, pool: Executor | None = None) -> LineModel:
    """The ensemble: ``args.members`` taggers from different seeds, trained in ``pool`` when given."""
    jobs = [(pages, args.seed + 10 * k, args) for k in range(args.members)]
    members = list(pool.map(train_tagger, jobs)) if pool else [train_tagger(job) for job in jobs]
    return LineModel(FEATURE_NAMES, tuple(members), {})


class FixedScores:
    """A stand-in line model that returns scores computed beforehand (for tuning the context pass)."""

    def __init__(self, probs: FloatArray) -> None:
        self.probs = probs

    def predict(self, x: FloatArray) -> FloatArray:
        """The stored scores, whatever ``x`` is."""
        return self.probs


def evaluate_scores(pairs: list[Pair], probs: list[FloatArray], config: StripConfig) -> tuple[float, ...]:
    """Macro precision, recall and F1 of the stripper on ``pairs`` with the classifier's scores given."""
    rows = []
    for pair, p in zip(pairs, probs, strict=True):
        no_features = np.zeros((len(pair.lines), 0), dtype=np.float32)
        decisions = decide_lines(pair.lines, config, FixedScores(p), no_features)  # type: ignore[arg-type]
        rows.append(counts(pair.gold, "\n".join(d.text for d in decisions if d.keep)))
    return macro(rows)


def evaluate(pairs: list[Pair], feats: list[FloatArray], model: LineModel, config: StripConfig) -> tuple[float, ...]:
    """Macro precision, recall and F1 of the stripper with ``model`` and ``config`` on ``pairs``."""
    return evaluate_scores(pairs, [model.predict(x) for x in feats], config)


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


Arrays = dict[str, dict[str, list[Page]]]
OutOfFold = dict[str, list[tuple[Pair, FloatArray]]]
"""Each folder's pages with their out-of-fold line scores."""
GRID = [(switch, bias, cut) for switch in (0.0, 0.5, 1.0) for bias in (-0.25, 0.0, 0.25) for cut in (0.0, 0.5, 1.0)]
"""The context-pass settings tried: switch_cost, bias, page_cut."""


def fit(splits: dict[str, dict[str, list[Pair]]], args: argparse.Namespace,
        pool: Executor | None = None) -> tuple[Lexicon, LineModel, Arrays]:  # fmt: skip
    """The lexicon and the tagger ensemble fitted on the training pages of ``splits``, with every page's arrays."""
    start = time.perf_counter()
    lexicon, arrays = cross_fitted_arrays(splits)
    print(f"lexicon and features: {time.perf_counter() - start:.0f}s", file=sys.stderr)
    train_rows = [a for parts in arrays.values() for a in parts["train"]]
    model = train_model(train_rows, args, pool)
    print(f"trained on {sum(len(a[1]) for a in train_rows)} lines: {time.perf_counter() - start:.0f}s", file=sys.stderr)
    return lexicon, model, arrays


def tune(scored: OutOfFold) -> StripConfig:
    """The ``GRID`` setting with the best mean F1 over the folders, from out-of-fold scores.

    A tagger fits its own training pages closely, so the context pass is tuned on scores of
    pages the scoring weights did not see (the cross-validation's).
    """
    best: tuple[float, StripConfig] = (-1.0, StripConfig())
    for switch, bias, cut in GRID:
        config = StripConfig(switch_cost=switch, bias=bias, page_cut=cut)
        f1s = [evaluate_scores([pair for pair, _ in rows], [p for _, p in rows], config)[2] for rows in scored.values()]
        print(f"switch={switch} bias={bias} page_cut={cut}: F1 {' '.join(f'{f:.3f}' for f in f1s)}", file=sys.stderr)
        if float(np.mean(f1s)) > best[0]:
            best = (float(np.mean(f1s)), config)
    return best[1]


def cross_validate(folders: list[Path], args: argparse.Namespace) -> OutOfFold:
    """Every page with its line scores from a lexicon and model fitted on the other ``args.folds`` - 1 folds.

    The held-out split scores only a quarter of the pages, so its F1 moves by 0.01 or more with
    the draw; here every page counts once and no page is scored by weights that saw it. Folds
    run in ``args.jobs`` processes.
    """
    out: OutOfFold = {f.name: [] for f in folders}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for fold_out in pool.map(score_fold, [(folders, args, fold) for fold in range(args.folds)]):
            for key, rows in fold_out.items():
                out[key].extend(rows)
    return out


def score_fold(job: tuple[list[Path], argparse.Namespace, int]) -> OutOfFold:
    """One fold's pages with their line scores, from weights fitted on the other folds."""
    folders, args, fold = job
    pairs = {f.name: load_pairs(f, "all") for f in folders}
    splits = {k: {"train": [p for p in ps if fold_of(k, p.name, args.folds) != fold],
                  "heldout": [p for p in ps if fold_of(k, p.name, args.folds) == fold]}
              for k, ps in pairs.items()}  # fmt: skip
    _, model, arrays = fit(splits, args)
    print(f"fold {fold} of {args.folds} done", file=sys.stderr)
    return {key: [(pair, model.predict(x)) for pair, (x, _, _) in zip(parts["heldout"], arrays[key]["heldout"],
                                                                       strict=True)]
            for key, parts in splits.items()}  # fmt: skip


def fold_of(folder: str, name: str, folds: int) -> int:
    """The cross-validation fold of a page; with 4 folds, fold 0 is the held-out split."""
    return zlib.crc32(f"{folder}/{name}".encode()) % 100 * folds // 100


def scores_row(p: float, r: float, f: float, docs: int) -> dict[str, float]:
    """One line of the weights' score record."""
    return {"docs": docs, "P": round(p, 3), "R": round(r, 3), "F1": round(f, 3)}


def main(argv: list[str] | None = None) -> int:
    """Cross-validate and tune the context pass (``--folds``), train, report both splits, write the weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("src/dedup/data/line_model.json"))
    parser.add_argument("--lexicon-out", type=Path, default=Path("src/dedup/data/line_lexicon.json"))
    parser.add_argument("--hidden", type=int, default=32, help="GRU state size, each way")
    parser.add_argument("--embed", type=int, default=64, help="line embedding size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--members", type=int, default=3, help="ensemble members (seeds)")
    parser.add_argument("--folds", type=int, default=0,
                        help="cross-validate over this many folds and tune the context pass on it (4: ~40 min)")
    parser.add_argument("--jobs", type=int, default=2, help="processes (cross-validation folds, ensemble members)")
    parser.add_argument("--scores-out", type=Path, help="write every page's out-of-fold line scores here (JSON)")
    args = parser.parse_args(argv)
    scores: dict[str, dict[str, float]] = {}
    config = StripConfig()
    if args.folds:
        out_of_fold = cross_validate(args.folders, args)
        if args.scores_out:
            table = {k: {pair.name: p.round(4).tolist() for pair, p in rows} for k, rows in out_of_fold.items()}
            args.scores_out.write_text(json.dumps(table) + "\n", encoding="utf-8")
        config = tune({k: [(pair, p) for pair, p in rows if not is_heldout(k, pair.name)]
                       for k, rows in out_of_fold.items()})  # fmt: skip
        for key, rows in out_of_fold.items():
            p, r, f = evaluate_scores([pair for pair, _ in rows], [q for _, q in rows], config)
            scores[f"{key}/{args.folds}-fold"] = scores_row(p, r, f, len(rows))
            print(f"{key:>20} {args.folds}-fold: P={p:.3f} R={r:.3f} F1={f:.3f}")
    splits = {f.name: {s: load_pairs(f, s) for s in ("train", "heldout")} for f in args.folders}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        lexicon, model, arrays = fit(splits, args, pool)
    for key in splits:
        for split in ("train", "heldout"):
            p, r, f = evaluate(splits[key][split], [a[0] for a in arrays[key][split]], model, config)
            scores[f"{key}/{split}"] = scores_row(p, r, f, len(splits[key][split]))
            print(f"{key:>20} {split:>8}: P={p:.3f} R={r:.3f} F1={f:.3f}")
    settings = {"switch_cost": config.switch_cost, "bias": config.bias, "page_cut": config.page_cut}
    meta = {"trained_on": sorted(splits), "hidden": args.hidden, "embed": args.embed, "epochs": args.epochs,
            "members": args.members, "seed": args.seed, **settings, "scores": scores}  # fmt: skip
    model = dataclasses.replace(model, meta=meta)
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    args.lexicon_out.write_text(json.dumps(lexicon.to_json(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({settings}) and {args.lexicon_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
