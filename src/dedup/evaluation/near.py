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
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dedup import Document, clean_documents
from dedup.config import Config, DedupConfig, MinHashConfig, StripConfig
from dedup.evaluation.corpus import make_corpus, python_shingles
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
SENTENCE = re.compile(r"(?<=[.!?”])\s+(?=\S)")
ATTRIBUTIONS = (" (VNA)", " (TASS)", ", the agency reported.", " – Nhân Dân")
DATELINES = ("HANOI (VNA) – ", "MOSCOW, Sept 29 – ", "THE HANOI TIMES — ")


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


def words_edit(text: str, rng: random.Random, per: int, change: Callable[[list[str], int], None]) -> str:
    """Apply ``change(words, i)`` at one random word per ``per`` words (at least once)."""
    words = text.split(" ")
    for _ in range(max(1, len(words) // per)):
        change(words, rng.randrange(len(words)))
    return " ".join(words)


def typo(text: str, rng: random.Random) -> str:
    def change(words: list[str], i: int) -> None:
        w = words[i]
        if len(w) < 4:
            return
        k = rng.randrange(1, len(w) - 1)
        words[i] = rng.choice(
            [
                w[:k] + w[k + 1 :],
                w[:k] + w[k] + w[k:],
                w[: k - 1] + w[k] + w[k - 1] + w[k + 1 :],
                w[:k] + "e" + w[k + 1 :],
            ]
        )

    return words_edit(text, rng, 30, change)


def word_swap(text: str, rng: random.Random) -> str:
    def change(words: list[str], i: int) -> None:
        j = min(i + 1, len(words) - 1)
        words[i], words[j] = words[j], words[i]

    return words_edit(text, rng, 25, change)


def quotes_dashes(text: str, rng: random.Random) -> str:
    swaps = [("’", "'"), ("'", "’"), ("“", '"'), ("”", '"'), ('"', "“"), (" – ", " - "), (" - ", " — "), ("-", "–")]
    for old, new in rng.sample(swaps, 4):
        text = text.replace(old, new)
    if ", " in text and rng.random() < 0.5:
        return text.replace(", ", " ", 1)
    words = text.split(" ")
    k = rng.randrange(len(words))
    words[k] += ","
    return " ".join(words)


def attribution(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return text.rstrip(".") + rng.choice(ATTRIBUTIONS)
    return rng.choice(DATELINES) + text


def sentences(text: str) -> list[str]:
    return SENTENCE.split(text)


def insert_sentence(text: str, rng: random.Random, other: str) -> str:
    parts = sentences(text)
    parts.insert(rng.randrange(len(parts) + 1), rng.choice(sentences(other)))
    return " ".join(parts)


def delete_sentence(text: str, rng: random.Random) -> str:
    parts = sentences(text)
    if len(parts) < 2:
        return truncation(text, rng)
    del parts[rng.randrange(len(parts))]
    return " ".join(parts)


def truncation(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    return " ".join(words[: max(1, round(len(words) * rng.uniform(0.55, 0.95)))])


def rewrite(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), len(words) // 3):
        words[i] = rng.choice(words)
    return " ".join(words)


def same_frame(text: str, rng: random.Random, other: str) -> str:
    """The same sentence frame with other details: every name and number replaced (names taken
    from ``other``), and other words too until about one word in ten has changed."""
    names = [w for w in other.split(" ") if w[:1].isupper()] or ["Moscow"]
    fillers = other.split(" ")
    words = text.split(" ")
    changed = 0
    for i, w in enumerate(words):
        if w[:1].isdigit():
            words[i], changed = str(rng.randint(2, 2000)), changed + 1
        elif w[:1].isupper() and i:
            words[i], changed = rng.choice(names), changed + 1
    for i in rng.sample(range(len(words)), max(0, len(words) // 10 - changed)):
        words[i] = rng.choice(fillers)
    return " ".join(words)


def splice(text: str, rng: random.Random, other: str) -> str:
    a, b = text.split(" "), other.split(" ")
    return " ".join(a[: len(a) // 2] + b[len(b) // 2 :])


def edit(kind: str, text: str, rng: random.Random, other: str) -> str:
    """The copy of ``text`` made by edit ``kind`` (``other`` is another source, for splicing)."""
    if kind == "exact":
        return text
    if kind in ("insert_sentence", "same_frame", "splice"):
        return {"insert_sentence": insert_sentence, "same_frame": same_frame, "splice": splice}[kind](text, rng, other)
    single: dict[str, Callable[[str, random.Random], str]] = {
        "typo": typo, "word_swap": word_swap, "quotes_dashes": quotes_dashes, "attribution": attribution,
        "delete_sentence": delete_sentence, "truncation": truncation, "rewrite": rewrite,
    }  # fmt: skip
    return single[kind](text, rng)


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


def score(data: Eval, dedup: DedupConfig) -> dict[str, dict[str, float]]:
    """Per kind and placement: pairs, in-target share, recall (in target and all), precision or merged."""
    corpus, pairs = data.corpus, data.pairs
    texts = [t for _, _, t in corpus]
    docs = np.array([int(d[3:]) for d, _, _ in corpus])
    matches = match_texts(texts, docs, np.array([p for _, p, _ in corpus]), dedup, MinHashConfig())
    offsets, hashes = shingle_hashes(texts)
    sizes = np.diff(offsets)
    src = np.array([p.source for p in pairs])
    cpy = np.array([p.copy for p in pairs])
    small = np.where(sizes[src] <= sizes[cpy], src, cpy)
    large = np.where(sizes[src] <= sizes[cpy], cpy, src)
    jaccard, contained = pair_similarity(offsets, hashes, small, large)
    target = (np.minimum(sizes[src], sizes[cpy]) >= dedup.min_shingles) & (
        (jaccard >= dedup.threshold)
        | ((contained >= dedup.containment) & (sizes[small] >= dedup.min_contained_shingles))
    )
    rep = np.where(matches.duplicate_of >= 0, matches.duplicate_of, np.arange(len(texts)))
    together = rep[src] == rep[cpy]
    family = np.arange(len(texts))
    for copy, original in data.related:
        family[copy] = family[original]
    kind_of = np.full(len(texts), "", dtype=object)
    for p in pairs:
        kind_of[p.copy] = p.kind
        if p.kind in DUPLICATES:
            family[p.copy] = family[p.source]
    removed = np.flatnonzero(matches.duplicate_of >= 0)
    partner = matches.duplicate_of[removed]
    lent = {frozenset((int(family[p.copy]), int(family[p.donor]))) for p in pairs if p.donor >= 0}
    right = (family[removed] == family[partner]) | np.array(
        [frozenset((a, b)) in lent for a, b in zip(family[removed].tolist(), family[partner].tolist(), strict=True)],
        dtype=bool,
    )
    verified = independent_check(texts, removed, partner, dedup)
    rows: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        for where, flag in (("within", True), ("across", False)):
            sel = np.array([p.kind == kind and p.within == flag for p in pairs])
            involved = (kind_of[removed] == kind) | (kind_of[matches.duplicate_of[removed]] == kind)
            involved &= (docs[removed] == docs[matches.duplicate_of[removed]]) == flag
            row = {
                "pairs": float(sel.sum()),
                "in_target": float(target[sel].mean()),
                "recall_target": float(together[sel & target].mean()) if (sel & target).any() else float("nan"),
                "recall_all": float(together[sel].mean()),
            }
            if kind in DUPLICATES:
                row["precision"] = float(right[involved].mean()) if involved.any() else float("nan")
            else:
                row["merged"] = float(together[sel].mean())
            rows[f"{kind}/{where}"] = row
    dup = np.array([p.kind in DUPLICATES for p in pairs])
    rows["ALL duplicates"] = {
        "pairs": float(dup.sum()),
        "in_target": float(target[dup].mean()),
        "recall_target": float(together[dup & target].mean()),
        "recall_all": float(together[dup].mean()),
        "precision": float(right.mean()) if right.size else float("nan"),
    }
    rows["ALL removals, similarity"] = {"pairs": float(removed.size), "precision": float(verified.mean())}
    rows["ALL negatives"] = {
        "pairs": float((~dup).sum()),
        "in_target": float(target[~dup].mean()),
        "recall_target": float("nan"),
        "recall_all": float("nan"),
        "merged": float(together[~dup].mean()),
    }
    return rows


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
