"""A seeded stream of short JSONL records, for the scale, index and resume benchmarks of ``dedup clean``.

``python -m dedup.evaluation.records OUT.jsonl --docs N [--seed S] [--crawl K] [--base-docs M]`` writes
``N`` records ``{"id", "text", "site"}``, one a line, in bounded memory (3 M records in about a minute):

- **text**: about 500 UTF-8 bytes on average (1 M records are about 0.5 GB): 2 to 5 body paragraphs,
  one blank line apart, of the Zipfian invented words of :mod:`dedup.evaluation.corpus` (log-normal
  lengths, median 14.5 words, 3 to 120), with the site's chrome lines above and below.
- **site**: one site per 500 records (at least 20), each with 2 or 3 chrome lines of its own (a menu,
  a tagline, a newsletter, a copyright, a follow-us or a desk line), each on 90% of its pages: what
  dedup's site-template step removes.
- **planted repeats**: 5% of body paragraphs are exact copies of an earlier paragraph (of any
  record, the same one too) and 5% near copies: a sentence appended, or one word changed in a
  paragraph of at least 32 words (one or two in one of at least 60), so that every near copy is a
  near-duplicate at dedup's default thresholds (Jaccard >= 0.8, or containment >= 0.9).
  1% of records are syndicated: an earlier record's body under another site's chrome. Copies come
  from uniform samples (reservoirs) of 65,536 earlier paragraphs and 4,096 earlier bodies, so memory
  stays bounded whatever ``N``.
- **id**: 16 hex digits, a bijective mix of (seed, crawl, record number): unique, and sorted order
  unrelated to input order.

A **later crawl** (``--crawl K``, ``K >= 1``) has new records, new ids (never one of crawl 0's) and
new paragraphs, plus 8% of body paragraphs exact and 4% near copies of crawl-0 paragraphs: paragraphs of
the first ``--base-docs`` records of crawl 0 (default ``--docs``; at most crawl 0's size), regenerated
from the seed, not read from crawl 0's file. Sites and their chrome are the same in every crawl.

Records are made in batches of 4,096, each from random streams keyed on (seed, crawl, batch,
purpose), so a fresh crawl-0 paragraph depends on its batch alone and can be made again. The same
seed, crawl, ``N`` (which sets the number of sites) and base give the same bytes.

>>> vocabulary = Vocabulary.make(seed=1, size=2_000)
>>> records = list(generate(300, seed=1, vocabulary=vocabulary))
>>> len(records), len({r.id for r in records}), len({r.site for r in records})
(300, 300, 20)
>>> records[0].kinds[0], 2 <= len(records[0].body) <= 5
('fresh', True)
>>> [r.id for r in records] == [r.id for r in generate(300, seed=1, vocabulary=vocabulary)]
True
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from dedup.evaluation.corpus import spellings
from dedup.evaluation.vocabulary import Vocabulary, near_copy

BATCH = 4_096
SITE_DOCS = 500
MIN_SITES = 20
PARAGRAPHS = (2, 5)
WORDS_MEDIAN = 14.5
WORDS_SIGMA = 0.65
WORDS_RANGE = (3, 120)
EXACT = 0.05
NEAR = 0.05
BASE_EXACT = 0.08
BASE_NEAR = 0.04
SYNDICATED = 0.01
CHROME_SHOWN = 0.9
POOL = 65_536
BODY_POOL = 4_096
BASE_POOL = 16_384

KINDS = ("fresh", "exact", "near", "base_exact", "base_near")
"""What a body paragraph is, by index: new text, a copy of this crawl's earlier text, or of crawl 0's."""
FRESH, EXACT_COPY, NEAR_COPY, BASE_EXACT_COPY, BASE_NEAR_COPY = range(5)
SYNDICATED_KIND = "syndicated"

_SITE, _LAYOUT, _WORDS, _COPIES, _PLACE, _BASE = range(2, 8)
"""Purposes of the random streams, the first element of their keys (1 is the vocabulary's). Each purpose
has keys of one length: numpy's seed sequences pad keys with zeros, so ``[1, 2]`` and ``[1, 2, 0]`` are
the same stream."""

HEADS = ("Home | {a} | {b} | {c} | {name}", "{name}: {a}, {b} and {c} since {year}")
TAILS = (
    "Subscribe to the {name} newsletter for the latest on {a}",
    "© {year} {name}. All rights reserved.",
    "Follow {name} on {social} for {a} and {b} updates",
    "Read more from the {a} desk at {name}",
)
NEEDS_ESCAPE = re.compile(r'["\\\x00-\x09\x0b-\x1f]')
"""What JSON must escape (or ``json.dumps`` would), other than the newlines between paragraphs."""
NEWLINE, ESCAPED_NEWLINE = "\n", "\\n"
TITLES = ("Times", "Herald", "Post", "Daily", "Review", "Chronicle", "Gazette", "Journal", "Observer", "Courier")
SOCIAL = ("Mastodon", "Bluesky", "Facebook", "Instagram", "YouTube")


class Site(NamedTuple):
    """A site: its name (the records' ``site``) and the chrome lines above and below its pages' bodies."""

    name: str
    head: tuple[str, ...]
    tail: tuple[str, ...]

    def shown(self, mask: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The head and tail lines a page shows: chrome line ``i`` (head first) where bit ``i`` of ``mask`` is set.

        >>> Site("a.example", ("Home",), ("Sign up", "(c) A")).shown(0b101)
        (('Home',), ('(c) A',))
        """
        n = len(self.head)
        return (tuple(line for i, line in enumerate(self.head) if mask >> i & 1),
                tuple(line for i, line in enumerate(self.tail) if mask >> (n + i) & 1))


class Record(NamedTuple):
    """One generated record, with what each body paragraph is (``KINDS`` or ``"syndicated"``)."""

    id: str
    site: str
    head: tuple[str, ...]
    body: tuple[str, ...]
    tail: tuple[str, ...]
    kinds: tuple[str, ...]

    @property
    def text(self) -> str:
        """The record's text: chrome and body paragraphs, one blank line apart."""
        return "\n\n".join((*self.head, *self.body, *self.tail))

    def json(self) -> str:
        """The JSONL line of the record: ``{"id": ..., "text": ..., "site": ...}``, UTF-8 text kept readable.

        >>> print(Record("1", "a.example", ("Home",), ('Say "hi".',), (), ("fresh",)).json(), end="")
        {"id": "1", "text": "Home\\n\\nSay \\"hi\\".", "site": "a.example"}
        """
        text = self.text
        if NEEDS_ESCAPE.search(text) or NEEDS_ESCAPE.search(self.id + self.site):
            return json.dumps({"id": self.id, "text": text, "site": self.site}, ensure_ascii=False) + "\n"
        return f'{{"id": "{self.id}", "text": "{text.replace(NEWLINE, ESCAPED_NEWLINE)}", "site": "{self.site}"}}\n'


def site_count(docs: int) -> int:
    """Sites of a crawl of ``docs`` records: one per 500, at least 20.

    >>> site_count(1_000), site_count(1_000_000)
    (20, 2000)
    """
    return max(MIN_SITES, round(docs / SITE_DOCS))


def make_site(index: int, vocabulary: Vocabulary) -> Site:
    """Site number ``index`` of the vocabulary's seed: the same in every crawl."""
    rng = np.random.default_rng([_SITE, vocabulary.seed, index])
    top = min(len(vocabulary.words), 20_000)
    a, b, c, w = (vocabulary.words[int(i)].capitalize() for i in rng.integers(top // 10, top, 4))
    name = f"{w} {TITLES[int(rng.integers(len(TITLES)))]}"
    fields = {"name": name, "a": a, "b": b, "c": c, "year": int(rng.integers(1990, 2025)),
              "social": SOCIAL[int(rng.integers(len(SOCIAL)))]}
    chosen = sorted(rng.permutation(len(HEADS) + len(TAILS))[: int(rng.integers(2, 4))].tolist())
    head = tuple(HEADS[i].format(**fields) for i in chosen if i < len(HEADS))
    tail = tuple(TAILS[i - len(HEADS)].format(**fields) for i in chosen if i >= len(HEADS))
    return Site(f"{w.lower()}-{index}.example", head, tail)


def record_ids(seed: int, crawl: int, first: int, count: int) -> list[str]:
    """Ids of records ``first`` to ``first + count - 1``: a bijection of (crawl, number), so all distinct.

    >>> record_ids(0, 0, 0, 3)
    ['e220a8397b1dcdaf', 'e4d971771b652c20', '975835de1c9756ce']
    >>> set(record_ids(0, 1, 0, 1_000)) & set(record_ids(0, 0, 0, 1_000))
    set()
    """
    x = np.arange(first, first + count, dtype=np.uint64) + np.uint64(crawl << 40)
    x ^= np.uint64(((seed + 1) * 0x9E3779B97F4A7C15) % 2**64)
    # splitmix64's finaliser: every step is invertible, so distinct inputs give distinct ids
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return [f"{v:016x}" for v in x.tolist()]


class _Batch(NamedTuple):
    """The layout of one batch of records, and the words of every paragraph slot."""

    slots: list[int]
    """First slot of each record, and the end (``BATCH + 1`` entries)."""
    counts: NDArray[np.int64]
    kind: NDArray[np.int64]
    syndicated: NDArray[np.bool_]
    spans: NDArray[np.int64]
    """First token of each slot, and the end."""
    tokens: NDArray[np.int64]


def _batch(seed: int, crawl: int, number: int, vocabulary: Vocabulary) -> _Batch:
    """Batch ``number`` of a crawl: each record's paragraph count, what each paragraph is, new words for all."""
    rng = np.random.default_rng([_LAYOUT, seed, crawl, number])
    lo, hi = PARAGRAPHS
    counts = lo + (rng.random(BATCH) * (hi - lo + 1)).astype(np.int64)
    slots = np.zeros(BATCH + 1, dtype=np.int64)
    np.cumsum(counts, out=slots[1:])
    syndicated = rng.random(BATCH) < SYNDICATED
    bounds = np.cumsum([EXACT, NEAR, *((BASE_EXACT, BASE_NEAR) if crawl else (0.0, 0.0))])
    order = np.array([EXACT_COPY, NEAR_COPY, BASE_EXACT_COPY, BASE_NEAR_COPY, FRESH])
    kind = order[np.searchsorted(bounds, rng.random(int(slots[-1])), side="right")]
    if number == 0:  # nothing to copy yet
        kind[0], syndicated[0] = FRESH, False
    lengths = np.clip(np.round(rng.lognormal(np.log(WORDS_MEDIAN), WORDS_SIGMA, kind.size)), *WORDS_RANGE)
    spans = np.zeros(kind.size + 1, dtype=np.int64)
    np.cumsum(lengths.astype(np.int64), out=spans[1:])
    words = np.random.default_rng([_WORDS, seed, crawl, number])
    ids = vocabulary.draw(words, int(spans[-1]))
    tokens = spellings(words, ids, spans, len(vocabulary.words))
    return _Batch(slots.tolist(), counts, kind, syndicated, spans, tokens)


class _Stream:
    """The records of one crawl, batch by batch, with the samples of earlier text that copies come from.

    ``paragraphs`` and ``bodies`` are uniform samples (Algorithm R) of the paragraphs and bodies so far.
    """

    def __init__(self, seed: int, crawl: int, vocabulary: Vocabulary, sites: list[Site], base: list[str]) -> None:
        self.seed, self.crawl, self.vocabulary, self.sites, self.base = seed, crawl, vocabulary, sites, base
        self.chrome = [[site.shown(mask) for mask in range(8)] for site in sites]
        self.paragraphs: list[str] = []
        self.bodies: list[tuple[int, tuple[str, ...]]] = []
        self.seen = self.bodies_seen = 0

    def records(self, number: int, count: int) -> Iterator[Record]:
        """The first ``count`` records of batch ``number``."""
        key = [self.seed, self.crawl, number]
        batch = _batch(self.seed, self.crawl, number, self.vocabulary)
        texts = self.vocabulary.render(batch.tokens, batch.spans)
        labels = self._copies(batch, count, texts, np.random.default_rng([_COPIES, *key]))
        place = np.random.default_rng([_PLACE, *key]).random((BATCH, 6))
        sites = (place[:, 0] * len(self.sites)).astype(np.int64).tolist()
        masks = ((place[:, 3:] < CHROME_SHOWN) @ np.array([1, 2, 4])).tolist()
        source_draw, keep_draw = place[:, 1].tolist(), place[:, 2].tolist()
        ids, slots, syndicated = record_ids(self.seed, self.crawl, number * BATCH, count), batch.slots, batch.syndicated
        for r in range(count):
            site = sites[r]
            if syndicated[r]:
                source, body = self.bodies[int(source_draw[r] * len(self.bodies))]
                site = (site + 1) % len(self.sites) if site == source else site
                kinds: tuple[str, ...] = (SYNDICATED_KIND,) * len(body)
            else:
                body, kinds = tuple(texts[slots[r] : slots[r + 1]]), tuple(labels[slots[r] : slots[r + 1]])
            if self.bodies_seen < BODY_POOL:
                self.bodies.append((site, body))
            elif (j := int(keep_draw[r] * (self.bodies_seen + 1))) < BODY_POOL:
                self.bodies[j] = (site, body)
            self.bodies_seen += 1
            head, tail = self.chrome[site][masks[r]]
            yield Record(ids[r], self.sites[site].name, head, body, tail, kinds)

    def _copies(self, batch: _Batch, count: int, texts: list[str], rng: np.random.Generator) -> list[str]:
        """Put the copies in ``texts`` and keep the sample of paragraphs; each slot's kind.

        Only the slots that copy or enter the sample take Python work: after the first 65,536
        paragraphs a paragraph enters it with chance 65,536 / (paragraphs so far).
        """
        active = np.repeat(~batch.syndicated, batch.counts)
        active[batch.slots[count] :] = False
        pick, keep = rng.random(active.size), rng.random(active.size)
        seen = self.seen + np.cumsum(active) - 1
        into = np.where(seen < POOL, seen, (keep * (seen + 1)).astype(np.int64))
        events = np.flatnonzero(active & ((batch.kind != FRESH) | (into < POOL)))
        labels = [KINDS[FRESH]] * active.size
        kinds, picks, places = batch.kind[events].tolist(), pick[events].tolist(), into[events].tolist()
        for s, kind, at, slot_into in zip(events.tolist(), kinds, picks, places, strict=True):
            source = self.paragraphs if kind in (EXACT_COPY, NEAR_COPY) else self.base
            if kind != FRESH and source:
                text = source[int(at * len(source))]
                texts[s] = near_copy(text, rng, self.vocabulary) if kind in (NEAR_COPY, BASE_NEAR_COPY) else text
                labels[s] = KINDS[kind]
            if slot_into < len(self.paragraphs):
                self.paragraphs[slot_into] = texts[s]
            elif slot_into < POOL:  # still filling: slot_into is the next place
                self.paragraphs.append(texts[s])
        self.seen += int(active.sum())
        return labels


def base_paragraphs(seed: int, base_docs: int, vocabulary: Vocabulary, count: int = BASE_POOL) -> list[str]:
    """Up to ``count`` fresh paragraphs of crawl 0's first ``base_docs`` records, made again from the seed.

    One paragraph each of ``count`` records drawn uniformly (with replacement; syndicated records and
    records with no fresh paragraph give none), batch by batch, so memory stays one batch.
    """
    rng = np.random.default_rng([_BASE, seed, base_docs])
    picks = np.sort(rng.integers(0, base_docs, count))
    choice = rng.random(count)
    out: list[str] = []
    for number in np.unique(picks // BATCH).tolist():
        batch = _batch(seed, 0, number, vocabulary)
        lo, hi = np.searchsorted(picks, [number * BATCH, (number + 1) * BATCH]).tolist()
        chosen = []
        for i, r in enumerate((picks[lo:hi] - number * BATCH).tolist(), start=lo):
            fresh = [s for s in range(batch.slots[r], batch.slots[r + 1]) if batch.kind[s] == FRESH]
            if fresh and not batch.syndicated[r]:
                chosen.append(fresh[int(choice[i] * len(fresh))])
        if chosen:
            parts = [batch.tokens[batch.spans[s] : batch.spans[s + 1]] for s in chosen]
            spans = np.concatenate([[0], np.cumsum([p.size for p in parts])]).astype(np.int64)
            out.extend(vocabulary.render(np.concatenate(parts), spans))
    return out


def generate(
    docs: int,
    *,
    seed: int = 0,
    crawl: int = 0,
    base_docs: int | None = None,
    vocabulary: Vocabulary | None = None,
) -> Iterator[Record]:
    """The ``docs`` records of crawl ``crawl`` of ``seed``, one at a time (the arguments are checked at once).

    Args:
        docs: how many records.
        seed: the seed (a non-negative integer); it also sets the vocabulary and the sites.
        crawl: 0 for the first crawl; ``K >= 1`` for a later one that repeats paragraphs of crawl 0.
        base_docs: a later crawl repeats paragraphs of crawl 0's first ``base_docs`` records (default ``docs``).
        vocabulary: ``Vocabulary.make(seed)``, when the caller already has it.

    Raises:
        ValueError: for a negative count, seed or crawl, or a vocabulary of another seed.
    """
    if docs < 0 or seed < 0 or crawl < 0 or (base_docs is not None and base_docs < 1):
        raise ValueError(f"generate needs docs, seed, crawl >= 0 and base_docs >= 1, got {docs}, {seed}, {crawl}, "
                         f"{base_docs}")
    vocabulary = vocabulary or Vocabulary.make(seed)
    if vocabulary.seed != seed:
        raise ValueError(f"vocabulary is seed {vocabulary.seed}'s, not seed {seed}'s")
    return _generate(docs, seed, crawl, base_docs or max(docs, 1), vocabulary)


def _generate(docs: int, seed: int, crawl: int, base_docs: int, vocabulary: Vocabulary) -> Iterator[Record]:
    base = base_paragraphs(seed, base_docs, vocabulary) if crawl else []
    stream = _Stream(seed, crawl, vocabulary, [make_site(j, vocabulary) for j in range(site_count(docs))], base)
    for number in range(math.ceil(docs / BATCH)):
        yield from stream.records(number, min(BATCH, docs - number * BATCH))


def write_records(path: Path, docs: int, *, seed: int = 0, crawl: int = 0, base_docs: int | None = None) -> int:
    """Write the records to ``path`` (through a temporary file, so a killed run leaves none); their bytes."""
    records = generate(docs, seed=seed, crawl=crawl, base_docs=base_docs)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        lines: list[str] = []
        for record in records:
            lines.append(record.json())
            if len(lines) == BATCH:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
    os.replace(tmp, path)
    return path.stat().st_size


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: write the records, say how many bytes and how fast on stderr."""
    parser = argparse.ArgumentParser(prog="python -m dedup.evaluation.records", description=__doc__.split("\n")[0])
    parser.add_argument("output", type=Path, help="the JSONL file to write")
    parser.add_argument("--docs", type=int, required=True, help="how many records")
    parser.add_argument("--seed", type=int, default=0, help="the seed (default 0)")
    parser.add_argument("--crawl", type=int, default=0, help="0: the first crawl; K >= 1: a later one")
    parser.add_argument("--base-docs", type=int, default=None,
                        help="a later crawl repeats paragraphs of crawl 0's first M records (default --docs)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        nbytes = write_records(args.output, args.docs, seed=args.seed, crawl=args.crawl, base_docs=args.base_docs)
    except ValueError as e:
        parser.error(str(e))
    seconds = time.perf_counter() - start
    print(f"wrote {args.docs} records, {nbytes / 1e6:.1f} MB ({nbytes / max(args.docs, 1):.0f} bytes a record) "
          f"in {seconds:.1f} s ({args.docs / seconds:,.0f} records/s) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
