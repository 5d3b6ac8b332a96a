"""Near-duplicate finder quality: precision and recall per edit kind on generated pairs.

Usage::

    python -m dedup.evaluation.near [--sources 3000] [--seed 0] [--seeds fixtures/seeds] [--markdown]

The generator takes *source* paragraphs — the real paragraphs of the seed articles
(``fixtures/seeds``, after the cleaner and stripper) and synthetic ones from :mod:`dedup.evaluation.corpus` — and makes
one copy of each with one kind of edit:

* duplicates: ``exact``; ``typo`` (one letter dropped, doubled, swapped or replaced per 30 words);
  ``word_swap`` (two neighbouring words swapped, once per 25 words); ``quotes_dashes`` (straight and
  curly quotes, hyphens and dashes exchanged, a comma added or dropped); ``attribution`` (an agency
  credit such as "(VNA)" appended, or a dateline prefixed); ``insert_sentence`` and
  ``delete_sentence`` (a sentence of another paragraph added, or one dropped); ``truncation`` (the
  first 55-95% of the words: a lede that a later paragraph extends);
* hard negatives (different paragraphs that share many words): ``rewrite`` (a third of the words
  replaced by words of the same paragraph, so the vocabulary stays), ``same_frame`` (every name and
  number replaced: the same sentence frame about other people), ``splice`` (the first half of the
  paragraph joined to the second half of another).

Each source and its copy go to one document (``within``) or two (``across``); documents are filled
with other sources and copies to about 20 paragraphs. The finder runs on the whole corpus with its
default settings. Its output is scored against the generator's labels:

* a pair is *in target* when the exact Jaccard similarity of its shingle sets is at least 0.8 or the
  shorter one's containment in the longer at least 0.9 (with the finder's minimum sizes);
* *recall* (per duplicate kind): in-target pairs that the finder puts in one cluster, over in-target
  pairs; *recall, all* counts every generated pair, in target or not (edits of short paragraphs often
  fall below the thresholds);
* *precision*: removals whose kept partner comes from the same source by a duplicate edit (or from
  the source that lent it a sentence), over all removals involving a paragraph of that kind; the row
  *ALL removals, similarity* re-checks every removal's thresholds with Python sets of Python-made
  shingles (:func:`dedup.evaluation.corpus.python_shingles`); for hard negatives, the share of pairs the finder
  merged is reported as *merged* (lower is better).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dedup import Document, clean_documents
from dedup.config import Config, DedupConfig, MinHashConfig, StripConfig
from dedup.evaluation.corpus import make_corpus, python_shingles
from dedup.evaluation.edits import edit
from dedup.hashing.shingle import pair_similarity, shingle_hashes
from dedup.near.match import match_texts

SEEDS = Path("fixtures") / "seeds"
"""The real articles, relative to the repository root (where the benchmarks run)."""
DUPLICATES = (
    "exact", "typo", "word_swap", "quotes_dashes", "attribution", "insert_sentence", "delete_sentence", "truncation",
)  # fmt: skip
NEGATIVES = ("rewrite", "same_frame", "splice")
KINDS = DUPLICATES + NEGATIVES
DOC_SIZE = 20


@dataclass(frozen=True, slots=True)
class Pair:
    """A generated pair: text numbers of the source and its copy, the edit, the placement, and the
    source that lent a sentence or a half to the copy (-1 if none)."""

    source: int
    copy: int
    kind: str
    within: bool
    donor: int


def source_paragraphs(count: int, seed: int, seeds: Path = SEEDS) -> tuple[list[str], list[tuple[int, int]]]:
    """The seed articles' paragraphs of at least 12 words (cleaned, not stripped), then synthetic ones.

    Also returns the synthetic corpus's own near-duplicate pairs ``(copy, original)`` (one in ten).
    """
    no_strip = Config(strip=StripConfig(enabled=False))
    docs = clean_documents(
        [Document(p.name, p.read_text(encoding="utf-8")) for p in sorted(seeds.glob("*.txt"))], no_strip
    )
    real = distinct(list(dict.fromkeys(p.text for d in docs for p in d.kept if len(p.text.split()) >= 12)))
    synthetic = make_corpus(max(count - len(real), 0), seed=seed)
    related = [(copy + len(real), original + len(real)) for copy, original in synthetic.duplicates]
    return real + synthetic.texts, related


def distinct(texts: list[str]) -> list[str]:
    """``texts`` without those that share a third of their shingles with an earlier or longer one
    (the seeds repeat some paragraphs; sources must be distinct)."""
    sets = [python_shingles(t) for t in texts]
    drop = {
        i
        for i, j in itertools.permutations(range(len(texts)), 2)
        if sets[i] and len(sets[i] & sets[j]) >= len(sets[i]) / 3 and (len(sets[j]), -j) > (len(sets[i]), -i)
    }
    return [t for i, t in enumerate(texts) if i not in drop]


@dataclass(frozen=True, slots=True)
class Eval:
    """The evaluation corpus ``(doc_id, position, text)``, its generated pairs, and the sources'
    own near-duplicate pairs (they count as duplicates, not as mistakes)."""

    corpus: list[tuple[str, int, str]]
    pairs: list[Pair]
    related: list[tuple[int, int]]


def make_eval(sources: int, seed: int, seeds: Path = SEEDS) -> Eval:
    """The evaluation corpus and its generated pairs, from the articles in the folder ``seeds``."""
    rng = random.Random(seed)
    texts, related = source_paragraphs(sources, seed, seeds)
    order = list(range(len(texts)))
    rng.shuffle(order)
    all_texts = list(texts)
    pairs = []
    for n, s in enumerate(order):
        kind = KINDS[n % len(KINDS)]
        donor = order[(n + 1) % len(order)]
        all_texts.append(edit(kind, texts[s], rng, texts[donor]))
        lent = donor if kind in ("insert_sentence", "splice") else -1
        pairs.append(Pair(s, len(all_texts) - 1, kind, within=rng.random() < 0.5, donor=lent))
    slots = place(pairs, len(all_texts), rng)
    return Eval([(f"doc{d:05d}", pos, all_texts[i]) for i, (d, pos) in enumerate(slots)], pairs, related)


def place(pairs: list[Pair], count: int, rng: random.Random) -> list[tuple[int, int]]:
    """A ``(document, position)`` for every text: a pair ``within`` shares one document, else two."""
    docs = max(2, count // DOC_SIZE)
    doc_of = [rng.randrange(docs) for _ in range(count)]
    for p in pairs:
        doc_of[p.copy] = doc_of[p.source] if p.within else (doc_of[p.source] + rng.randrange(1, docs)) % docs
    counters: Counter[int] = Counter()
    slots = []
    for i in rng.sample(range(count), count):
        slots.append((i, (doc_of[i], counters[doc_of[i]])))
        counters[doc_of[i]] += 1
    return [slot for _, slot in sorted(slots)]


def _in_target(texts: list[str], pairs: list[Pair], dedup: DedupConfig) -> np.ndarray:
    """Whether each pair meets the finder's thresholds on its exact shingle sets (with the minimum sizes)."""
    offsets, hashes = shingle_hashes(texts)
    sizes = np.diff(offsets)
    src = np.array([p.source for p in pairs])
    cpy = np.array([p.copy for p in pairs])
    small = np.where(sizes[src] <= sizes[cpy], src, cpy)
    large = np.where(sizes[src] <= sizes[cpy], cpy, src)
    jaccard, contained = pair_similarity(offsets, hashes, small, large)
    big_enough = np.minimum(sizes[src], sizes[cpy]) >= dedup.min_shingles
    contains = (contained >= dedup.containment) & (sizes[small] >= dedup.min_contained_shingles)
    return np.asarray(big_enough & ((jaccard >= dedup.threshold) | contains), dtype=bool)


def _families(data: Eval, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each text's family (the source it copies by a duplicate edit, transitively) and its edit kind."""
    family = np.arange(count)
    for copy, original in data.related:
        family[copy] = family[original]
    kind_of = np.full(count, "", dtype=object)
    for p in data.pairs:
        kind_of[p.copy] = p.kind
        if p.kind in DUPLICATES:
            family[p.copy] = family[p.source]
    return family, kind_of


def _right(pairs: list[Pair], family: np.ndarray, removed: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """Whether each removal's kept partner is of its family, or of the family that lent it a sentence."""
    lent = {frozenset((int(family[p.copy]), int(family[p.donor]))) for p in pairs if p.donor >= 0}
    pairs_of = zip(family[removed].tolist(), family[partner].tolist(), strict=True)
    borrowed = np.array([frozenset(ab) in lent for ab in pairs_of], dtype=bool)
    return np.asarray((family[removed] == family[partner]) | borrowed, dtype=bool)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the finder did, per generated pair (``target``, ``together``) and per removal (the rest)."""

    target: np.ndarray
    together: np.ndarray
    removed: np.ndarray
    partner: np.ndarray
    right: np.ndarray
    verified: np.ndarray


def score(data: Eval, dedup: DedupConfig) -> dict[str, dict[str, float]]:
    """Per kind and placement: pairs, in-target share, recall (in target and all), precision or merged."""
    corpus, pairs = data.corpus, data.pairs
    texts = [t for _, _, t in corpus]
    docs = np.array([int(d[3:]) for d, _, _ in corpus])
    matches = match_texts(texts, docs, np.array([p for _, p, _ in corpus]), dedup, MinHashConfig())
    rep = np.where(matches.duplicate_of >= 0, matches.duplicate_of, np.arange(len(texts)))
    family, kind_of = _families(data, len(texts))
    removed = np.flatnonzero(matches.duplicate_of >= 0)
    partner = matches.duplicate_of[removed]
    outcome = _Outcome(
        target=_in_target(texts, pairs, dedup),
        together=rep[[p.source for p in pairs]] == rep[[p.copy for p in pairs]],
        removed=removed,
        partner=partner,
        right=_right(pairs, family, removed, partner),
        verified=independent_check(texts, removed, partner, dedup),
    )
    rows: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        for where, flag in (("within", True), ("across", False)):
            involved = (kind_of[removed] == kind) | (kind_of[partner] == kind)
            involved &= (docs[removed] == docs[partner]) == flag
            sel = np.array([p.kind == kind and p.within == flag for p in pairs])
            rows[f"{kind}/{where}"] = _kind_row(kind, sel, involved, outcome)
    return rows | _total_rows(np.array([p.kind in DUPLICATES for p in pairs]), outcome)


def _kind_row(kind: str, sel: np.ndarray, involved: np.ndarray, o: _Outcome) -> dict[str, float]:
    """The row of one kind and placement: ``sel`` picks its pairs, ``involved`` the removals it is part of."""
    row = {
        "pairs": float(sel.sum()),
        "in_target": float(o.target[sel].mean()),
        "recall_target": float(o.together[sel & o.target].mean()) if (sel & o.target).any() else float("nan"),
        "recall_all": float(o.together[sel].mean()),
    }
    if kind in DUPLICATES:
        row["precision"] = float(o.right[involved].mean()) if involved.any() else float("nan")
    else:
        row["merged"] = float(o.together[sel].mean())
    return row


def _total_rows(dup: np.ndarray, o: _Outcome) -> dict[str, dict[str, float]]:
    """The summary rows: all duplicate pairs, every removal re-checked, all hard negatives."""
    return {
        "ALL duplicates": {
            "pairs": float(dup.sum()),
            "in_target": float(o.target[dup].mean()),
            "recall_target": float(o.together[dup & o.target].mean()),
            "recall_all": float(o.together[dup].mean()),
            "precision": float(o.right.mean()) if o.right.size else float("nan"),
        },
        "ALL removals, similarity": {"pairs": float(o.removed.size), "precision": float(o.verified.mean())},
        "ALL negatives": {
            "pairs": float((~dup).sum()),
            "in_target": float(o.target[~dup].mean()),
            "recall_target": float("nan"),
            "recall_all": float("nan"),
            "merged": float(o.together[~dup].mean()),
        },
    }


def independent_check(texts: list[str], removed: np.ndarray, partner: np.ndarray, dedup: DedupConfig) -> np.ndarray:
    """Whether each removal meets the thresholds, by Python sets of Python-made shingles."""
    out = []
    for a, b in zip(removed.tolist(), partner.tolist(), strict=True):
        sa, sb = python_shingles(texts[a]), python_shingles(texts[b])
        common = len(sa & sb)
        near = common / len(sa | sb) >= dedup.threshold
        out.append(near or (common / len(sa) >= dedup.containment and len(sa) >= dedup.min_contained_shingles))
    return np.array(out, dtype=bool)


def table(rows: dict[str, dict[str, float]], markdown: bool) -> str:
    """The scores as a fixed-width or Markdown table."""
    cols = ["pairs", "in_target", "recall_target", "recall_all", "precision", "merged"]
    head = ["kind/placement", *cols]
    lines = []
    for name, row in rows.items():
        cells = [name] + [
            "" if c not in row else f"{int(row[c])}" if c == "pairs" else "-" if row[c] != row[c] else f"{row[c]:.3f}"
            for c in cols
        ]
        lines.append(cells)
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(c) + " |" for c in lines]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in [head, *lines]
    )


def main(argv: list[str] | None = None) -> int:
    """Generate the evaluation, run the finder, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=3000, help="source paragraphs (real seeds first)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="folder of real articles (default: %(default)s)")
    parser.add_argument("--lsh-threshold", type=float, default=DedupConfig().lsh_threshold)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data = make_eval(args.sources, args.seed, args.seeds)
    made = time.perf_counter()
    rows = score(data, DedupConfig(lsh_threshold=args.lsh_threshold))
    print(table(rows, args.markdown))
    print(
        f"\n{len(data.corpus)} paragraphs, {len(data.pairs)} pairs; generated in {made - start:.1f} s, "
        f"found and scored in {time.perf_counter() - made:.1f} s (seed {args.seed})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
