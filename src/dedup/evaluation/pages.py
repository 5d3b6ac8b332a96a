"""A seeded folder of scraped-looking pages, built from real pages, for the end-to-end benchmarks.

``dedup clean IN_DIR -o OUT`` reads one page per file, one sub-folder per site. The pages made here
have what a crawl of news sites has:

- **site chrome**: every site has a header and a footer (short lines taken from real pages'
  menus and footers, plus the site's own name and copyright line) repeated on all its pages;
- **syndicated pages**: about 5% of pages carry an earlier page's body under another site's chrome;
- **paragraph copies**: about 3% of paragraphs are exact copies of an earlier page's paragraph and
  3% edited copies (typos, swapped words, quotes and dashes, an attribution, a sentence
  inserted or deleted: :mod:`dedup.evaluation.edits`);
- **broken text**: about 3% of pages are mojibake (UTF-8 read as Windows-1252) and 3% carry HTML
  entities (``&amp;``, ``&#8217;``, ``&nbsp;``).

Bodies are the source pages, one line a paragraph. A source is used verbatim the first time;
when the target size needs it again, every paragraph of 60 characters or more gets about 15% of
its words replaced by words drawn from the sources (so the frequencies stay those of real text)
and its sentences rotated, which puts it well below any near-duplicate threshold of the original
(word 3-gram Jaccard about 0.4) while short lines (titles, captions, menus) stay as they were.

The sources are the ``*.input.txt`` pages of some folders (such as ``/work/shared/eval/cleaneval_final``)
or, by default, the seed articles in ``fixtures/seeds`` and the page cases of ``tests/cases/strip``.
The same seed, sources and size give the same bytes.

>>> pages = make_pages(40_000, seed=1)
>>> sum(len(text.encode("utf-8")) for _, text in pages) >= 40_000
True
>>> pages == make_pages(40_000, seed=1)
True
>>> pages[0][0]
'site000/000000.txt'
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dedup.evaluation.edits import edit, sentences

ROOT = Path(__file__).resolve().parents[3]
FALLBACK = (ROOT / "fixtures" / "seeds", ROOT / "tests" / "cases" / "strip" / "pages")
"""The bundled source pages, used when no folder is given."""

LONG_LINE = 60
"""A line at least this long is body text: it is varied on reuse and may be copied."""
CHROME_LINE = 40
"""A line at most this long may be a site's header or footer line."""

SYNDICATED = 0.05
EXACT_COPY = 0.03
EDITED_COPY = 0.03
MOJIBAKE = 0.03
ENTITIES = 0.03
WORD_CHANGE = 0.15
SITE_PAGES = (5, 60)
"""The fewest and most pages a site has (uniform)."""
HISTORY = 5_000
"""Earlier paragraphs and bodies kept to copy from (a ring buffer)."""

EDIT_KINDS = ("typo", "word_swap", "quotes_dashes", "attribution", "insert_sentence", "delete_sentence")
ENTITY_SWAPS = (
    ("&", "&amp;"),
    ("’", "&#8217;"),
    ("“", "&ldquo;"),
    ("”", "&rdquo;"),
    ('"', "&quot;"),
    (", ", ",&nbsp;"),
)

T = TypeVar("T")

Page = tuple[str, str]
"""A page: its path relative to the folder (``site/name.txt``) and its text."""


@dataclass(slots=True)
class _Sources:
    """The source pages as lines, the words to vary them with, and short lines to make chrome of."""

    pages: list[list[str]]
    words: list[str]
    chrome: list[str]


@dataclass(slots=True)
class _State:
    """What the generator has made so far: the paragraphs and bodies it may copy, the current site."""

    rng: random.Random
    paragraphs: list[str]
    bodies: list[list[str]]
    sites: list[tuple[list[str], list[str]]]
    uses: list[int]


def source_paths(folders: Sequence[Path] = ()) -> list[Path]:
    """The source pages: ``*.input.txt`` (else ``*.txt``) of each folder in turn, or the bundled ones; sorted."""
    paths: list[Path] = []
    for folder in folders:
        found = sorted(folder.glob("*.input.txt")) or sorted(folder.glob("*.txt"))
        if not found:
            raise FileNotFoundError(f"{folder}: no *.input.txt or *.txt pages there")
        paths += found
    return paths or [p for f in FALLBACK for p in sorted(f.glob("*.txt"))]


def _load(paths: Sequence[Path]) -> _Sources:
    pages = [[s for s in (line.strip() for line in p.read_text(errors="replace").splitlines()) if s] for p in paths]
    words = [w for lines in pages for line in lines if len(line) >= LONG_LINE for w in line.split(" ") if w]
    chrome = sorted({line for lines in pages for line in lines if 2 < len(line) <= CHROME_LINE})
    return _Sources(pages=[p for p in pages if p], words=words, chrome=chrome)


def _site_chrome(src: _Sources, rng: random.Random, number: int) -> tuple[list[str], list[str]]:
    """A new site's header and footer lines."""
    name = f"The Site {number} Times"
    header = [name, *rng.sample(src.chrome, min(len(src.chrome), rng.randint(4, 12)))]
    footer = [*rng.sample(src.chrome, min(len(src.chrome), rng.randint(3, 8))), f"© 2024 {name}. All rights reserved."]
    return header, footer


def _vary(line: str, src: _Sources, rng: random.Random) -> str:
    """A fresh paragraph from a reused one: some words replaced, sentences rotated."""
    if len(line) < LONG_LINE:
        return line
    words = line.split(" ")
    for i in range(len(words)):
        if rng.random() < WORD_CHANGE:
            words[i] = rng.choice(src.words)
    parts = sentences(" ".join(words))
    k = rng.randrange(len(parts))
    return " ".join(parts[k:] + parts[:k])


def _copy_or_keep(line: str, state: _State) -> str:
    """The paragraph, or now and then an exact or edited copy of an earlier page's paragraph."""
    rng = state.rng
    if len(line) < LONG_LINE:
        return line
    roll = rng.random()
    if state.paragraphs and roll < EXACT_COPY + EDITED_COPY:
        earlier = rng.choice(state.paragraphs)
        if roll < EXACT_COPY:
            return earlier
        return edit(rng.choice(EDIT_KINDS), earlier, rng, rng.choice(state.paragraphs))
    _remember(state.paragraphs, line, rng)
    return line


def _remember(ring: list[T], item: T, rng: random.Random) -> None:
    """Keep ``item`` to copy later: appended while the ring is short, else in a random slot."""
    if len(ring) < HISTORY:
        ring.append(item)
    else:
        ring[rng.randrange(HISTORY)] = item


def _body(src: _Sources, state: _State) -> list[str]:
    """The next page's body: an earlier body (syndicated), or the next source page, varied after its first use."""
    rng = state.rng
    if state.bodies and rng.random() < SYNDICATED:
        return rng.choice(state.bodies)
    i = rng.randrange(len(src.pages))
    lines = src.pages[i] if state.uses[i] == 0 else [_vary(line, src, rng) for line in src.pages[i]]
    state.uses[i] += 1
    body = [_copy_or_keep(line, state) for line in lines]
    _remember(state.bodies, body, rng)
    return body


def _break(text: str, rng: random.Random) -> str:
    """The page's text, now and then as mojibake or with HTML entities."""
    roll = rng.random()
    if roll < MOJIBAKE:
        return text.encode("utf-8").decode("windows-1252", errors="replace")
    if roll < MOJIBAKE + ENTITIES:
        for old, new in rng.sample(ENTITY_SWAPS, 3):
            text = text.replace(old, new)
    return text


def make_pages(target_bytes: int, *, seed: int = 0, sources: Sequence[Path] = ()) -> list[Page]:
    """Pages until their UTF-8 size reaches ``target_bytes``, in order: ``site000/000000.txt``, ...

    Args:
        target_bytes: stop once the pages hold at least this many bytes.
        seed: the random seed; the same seed, sources and size give the same pages.
        sources: folders of ``*.input.txt`` pages to build from (default: the bundled pages).
    """
    src = _load(source_paths(sources))
    state = _State(random.Random(seed), [], [], [], [0] * len(src.pages))
    pages: list[Page] = []
    total, left = 0, 0
    while total < target_bytes:
        if left == 0:
            state.sites.append(_site_chrome(src, state.rng, len(state.sites)))
            left = state.rng.randint(*SITE_PAGES)
        header, footer = state.sites[-1]
        text = _break("\n".join([*header, *_body(src, state), *footer]) + "\n", state.rng)
        pages.append((f"site{len(state.sites) - 1:03d}/{len(pages):06d}.txt", text))
        total += len(text.encode("utf-8"))
        left -= 1
    return pages


def write_pages(folder: Path, pages: Sequence[Page]) -> int:
    """Write ``pages`` under ``folder`` (made if missing); return the bytes written."""
    total = 0
    for rel, text in pages:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    return total


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dedup.evaluation.pages OUT_DIR --mb 10 [--seed 0] [--sources DIR ...]``."""
    parser = argparse.ArgumentParser(prog="python -m dedup.evaluation.pages", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the pages into (one sub-folder per site)")
    parser.add_argument("--mb", type=float, default=10.0, help="target size in MB (10^6 bytes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sources", type=Path, action="append", default=[], help="a folder of *.input.txt source pages (repeatable)"
    )
    args = parser.parse_args(argv)
    pages = make_pages(int(args.mb * 1e6), seed=args.seed, sources=args.sources)
    nbytes = write_pages(args.out, pages)
    print(f"{len(pages)} pages, {nbytes / 1e6:.1f} MB in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
