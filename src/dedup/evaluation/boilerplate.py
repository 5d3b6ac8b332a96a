"""Boilerplate stripper quality: word 4-gram F1 against hand-cleaned gold text.

Usage::

    python -m dedup.evaluation.boilerplate PAIRS_DIR [PAIRS_DIR ...] [--split all|train|heldout] [--markdown]

A pairs folder holds ``NAME.input.txt`` (a plain-text dump of a page, chrome included) and
``NAME.gold.txt`` (what a careful reader keeps); a scrapinghub-style ``NAME.meta.json`` with a
``url`` gives the page's site, so that dedup can also learn site templates. A folder of
``NAME.snippets.json`` instead (trafilatura's evaluation format: snippets that must stay,
``with``, and snippets that must go, ``without``) is scored by snippet precision and recall. Each contender turns
every input into an output (its kept lines joined by newlines) and is scored with the
scrapinghub article-extraction-benchmark metric: per document, the multisets of word 4-grams of
gold and output give precision and recall; these are averaged over documents (macro) and the F1
of the two means is reported. ``--split heldout`` scores only the documents that
``scripts/train_classifier.py`` kept out of training (a stable hash of the folder and file name).

Contenders: ``raw`` (every line), ``justext`` (jusText over the lines, :mod:`dedup.evaluation.baselines`),
``dedup`` (this project's stripper, rules + classifier + site templates).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import regex

from dedup.config import StripConfig
from dedup.evaluation import baselines
from dedup.records import Paragraph
from dedup.strip.stripper import strip_paragraphs
from dedup.strip.templates import mark_templates

WORD = regex.compile(r"\w+")
HELDOUT_PERCENT = 25
"""Share of each folder's documents, by stable hash, that training never sees."""


@dataclass(frozen=True, slots=True)
class Pair:
    """One evaluation document: its name, input lines, gold text (or snippets) and site (when known)."""

    name: str
    lines: tuple[str, ...]
    gold: str
    site: str | None
    heldout: bool
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


def is_heldout(folder: str, name: str) -> bool:
    """Whether a document belongs to the held-out split (stable across runs and machines)."""
    return zlib.crc32(f"{folder}/{name}".encode()) % 100 < HELDOUT_PERCENT


def read_lines(path: Path) -> tuple[str, ...]:
    """The non-empty lines of an input dump, stripped: one paragraph each."""
    return tuple(s for s in (raw.strip() for raw in path.read_text(errors="replace").splitlines()) if s)


def load_snippets(folder: Path, split: str = "all") -> list[Pair]:
    """The (input, snippets) pairs of a trafilatura-style folder, filtered to ``split``."""
    pairs = []
    for path in sorted(folder.glob("*.snippets.json")):
        name = path.name[: -len(".snippets.json")]
        source = folder / f"{name}.input.txt"
        held = is_heldout(folder.name, name)
        if source.exists() and (split == "all" or (split == "heldout") == held):
            item = json.loads(path.read_text())
            site = urlsplit(item.get("url", "")).hostname
            pairs.append(Pair(name, read_lines(source), "", site, held, tuple(item["with"]), tuple(item["without"])))
    return pairs


def snippet_score(pairs: Sequence[Pair], outputs: Iterator[str]) -> tuple[float, float, float]:
    """Micro precision, recall and F1 of snippets: kept ``with`` snippets, leaked ``without`` ones."""
    tp = fp = fn = 0
    for pair, out in zip(pairs, outputs, strict=True):
        text = squash(out)
        kept = sum(squash(s) in text for s in pair.keep)
        tp, fn, fp = tp + kept, fn + len(pair.keep) - kept, fp + sum(squash(s) in text for s in pair.drop)
    p, r = (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def squash(text: str) -> str:
    """Runs of white space as one space, ends stripped (how snippets are matched)."""
    return " ".join(text.split())


def load_pairs(folder: Path, split: str = "all") -> list[Pair]:
    """The (input, gold) pairs of ``folder``, filtered to ``split`` ("all", "train" or "heldout")."""
    pairs = []
    for gold_path in sorted(folder.glob("*.gold.txt")):
        name = gold_path.name[: -len(".gold.txt")]
        source = folder / f"{name}.input.txt"
        if not source.exists():
            continue
        lines = read_lines(source)
        meta = folder / f"{name}.meta.json"
        site = urlsplit(json.loads(meta.read_text()).get("url", "")).hostname if meta.exists() else None
        held = is_heldout(folder.name, name)
        if split == "all" or (split == "heldout") == held:
            pairs.append(Pair(name, lines, gold_path.read_text(errors="replace"), site, held))
    return pairs


def grams(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of word n-grams of ``text`` (a shorter text is one gram)."""
    toks = WORD.findall(text)
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n])


def counts(gold: str, pred: str) -> tuple[float, float, float]:
    """True positive, false positive and false negative 4-gram shares for one document."""
    g, p = grams(gold), grams(pred)
    tp, fp, fn = sum((g & p).values()), sum((p - g).values()), sum((g - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def macro(rows: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Macro precision, recall and the F1 of the two (the scrapinghub benchmark's aggregation)."""

    def ratio(tp: float, other: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else tp / (tp + other) if tp + other else 0.0

    precision = [ratio(tp, fp, fp, fn) for tp, fp, fn in rows if tp + fp > 0]
    recall = [ratio(tp, fn, fp, fn) for tp, fp, fn in rows if tp + fn > 0]
    p = statistics.mean(precision) if precision else 0.0
    r = statistics.mean(recall) if recall else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def run_raw(pairs: Sequence[Pair]) -> Iterator[str]:
    """The raw dump: every line kept."""
    for pair in pairs:
        yield "\n".join(pair.lines)


def run_dedup(pairs: Sequence[Pair], config: StripConfig | None = None) -> Iterator[str]:
    """This project's stripper: per-page rules and classifier, then site templates across pages."""
    config = config or StripConfig()
    docs = [strip_paragraphs([Paragraph(p.name, i, i + 1, t) for i, t in enumerate(p.lines)], config) for p in pairs]
    for doc in mark_templates(docs, [p.site for p in pairs], config):
        yield "\n".join(p.text for p in doc if p.kept)


def contenders() -> dict[str, Callable[[Sequence[Pair]], Iterator[str]]]:
    """The contenders by name; jusText only when it is installed."""
    if not baselines.available():
        return {"raw": run_raw, "dedup": run_dedup}
    return {"raw": run_raw, "justext": baselines.run_justext, "dedup": run_dedup}


def score(pairs: Sequence[Pair], outputs: Iterator[str]) -> tuple[float, float, float]:
    """Macro precision, recall and F1 of ``outputs`` against the pairs' gold."""
    return macro([counts(p.gold, out) for p, out in zip(pairs, outputs, strict=True)])


def main(argv: Sequence[str] | None = None) -> int:
    """Score every contender on every folder and print one table row each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of NAME.input.txt + NAME.gold.txt")
    parser.add_argument("--split", choices=["all", "train", "heldout"], default="all")
    parser.add_argument("--only", help="comma-separated contenders (default: all)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    runners = contenders()
    chosen = args.only.split(",") if args.only else list(runners)
    if args.markdown:
        print("| set | split | docs | contender | precision | recall | F1 | seconds |")
        print("|---|---|---|---|---|---|---|---|")
    for folder in args.folders:
        pairs = load_pairs(folder, args.split)
        scorer = score
        if not pairs:
            pairs, scorer = load_snippets(folder, args.split), snippet_score
        if not pairs:
            print(f"error: no NAME.input.txt + NAME.gold.txt (or .snippets.json) pairs in {folder}", file=sys.stderr)
            return 2
        for name in chosen:
            start = time.perf_counter()
            p, r, f = scorer(pairs, runners[name](pairs))
            took = time.perf_counter() - start
            cells = (folder.name, args.split, len(pairs), name, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", f"{took:.1f}")
            print("| " + " | ".join(map(str, cells)) + " |" if args.markdown else "  ".join(map(str, cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
