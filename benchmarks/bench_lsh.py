"""Near-duplicate finding at scale: dedup's finder against datasketch's MinHashLSH and rensa's LSH, one run.

Every contender gets the same paragraphs (:func:`dedup.evaluation.corpus.make_corpus`, seed 0), grouped into documents
of 30 consecutive paragraphs, and the same banding: 32 bands of 4 of 128 MinHash values (what
``DedupConfig(lsh_threshold=0.4)`` chooses, and a banding rensa accepts).

* **dedup**: :func:`dedup.near.match.match_texts` end to end: shingles, signatures, LSH, the containment
  screen within documents and the containment prefix join across them, exact verification of every
  candidate, union-find clusters and the keep rule, with the default :class:`DedupConfig`.
* **datasketch 2.0**: the peers' shingles (:func:`dedup.evaluation.corpus.python_shingles`), ``MinHash.bulk``, then
  ``MinHashLSH(num_perm=128, params=(32, 4))``: every paragraph inserted (``insertion_session``), then
  queried; the distinct candidate pairs are the output. No verification or clustering.
* **rensa 0.5**: the same shingles, ``RMinHash.from_token_sets``, ``RMinHashLSH(0.4, 128, 32)``:
  ``insert_many`` then ``query_all``. No verification or clustering.

The peers do less than dedup (they stop at candidate pairs), so the ratios flatter them.

Before timing, each contender runs on the first 2,000 paragraphs: the corpus's near-duplicate pairs
there with an exact Jaccard similarity of at least 0.6 must (at least 95% of them) be candidates (for
the peers) or lose one of their two paragraphs (for dedup, run with ``threshold=0.6``; a copy of a
copy may stay when its partner went in favour of a third paragraph it is not similar enough to), and
every dedup removal must reach its thresholds.

Sizes: 10k and 100k paragraphs for every contender; 1M paragraphs (about 0.47 GB) for dedup alone, in
a fresh process that also reports its peak memory (``test_one_million``). Run (about 6 minutes)::

    .venv/bin/python -m pytest benchmarks/bench_lsh.py --benchmark-enable
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from rensa import RMinHash, RMinHashLSH

from conftest import Results
from dedup.config import DedupConfig
from dedup.evaluation.corpus import Corpus, exact_jaccard, python_shingles
from dedup.near.banding import choose_banding
from dedup.near.match import match_texts

NUM_PERM = 128
BANDS, ROWS = 32, 4
SEED = 1
DOC = 30
SIZES = [10_000, 100_000]
SAMPLE = 2_000
CHECK_JACCARD = 0.6


def documents(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Document rank and position of ``n`` paragraphs grouped 30 at a time."""
    index = np.arange(n)
    return index // DOC, index % DOC


def run_dedup(texts: list[str], dedup: DedupConfig | None = None) -> set[tuple[int, int]]:
    """Pairs ``(removed, kept)`` of dedup's output."""
    doc, pos = documents(len(texts))
    m = match_texts(texts, doc, pos, dedup or DedupConfig(lsh_threshold=0.4))
    removed = np.flatnonzero(m.duplicate_of >= 0)
    return set(zip(removed.tolist(), m.duplicate_of[removed].tolist(), strict=True))


def run_datasketch(texts: list[str]) -> set[tuple[int, int]]:
    """Candidate pairs of datasketch's MinHashLSH (insert all, query all)."""
    shingles = [[s.encode("utf-8") for s in python_shingles(t)] for t in texts]
    minhashes = MinHash.bulk(shingles, num_perm=NUM_PERM, seed=SEED)
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
    with lsh.insertion_session() as session:
        for i, m in enumerate(minhashes):
            session.insert(i, m, check_duplication=False)
    return {(min(i, j), max(i, j)) for i, m in enumerate(minhashes) for j in lsh.query(m) if j != i}


def run_rensa(texts: list[str]) -> set[tuple[int, int]]:
    """Candidate pairs of rensa's RMinHashLSH (insert all, query all)."""
    minhashes = RMinHash.from_token_sets([list(python_shingles(t)) for t in texts], NUM_PERM, SEED)
    lsh = RMinHashLSH(0.4, NUM_PERM, BANDS)
    lsh.insert_many(minhashes, 0)
    return {(min(i, j), max(i, j)) for i, found in enumerate(lsh.query_all(minhashes)) for j in found if j != i}


CONTENDERS: dict[str, Callable[[list[str]], set[tuple[int, int]]]] = {
    "dedup": run_dedup,
    "datasketch 2.0 MinHashLSH": run_datasketch,
    "rensa 0.5 RMinHashLSH": run_rensa,
}
ROUNDS = {"dedup": 3}


def sample_pairs(corpus: Corpus) -> list[tuple[int, int]]:
    """The corpus's near-duplicate pairs among the first paragraphs with Jaccard at least 0.6."""
    out = []
    for i, j in corpus.duplicates:
        if i < SAMPLE and exact_jaccard(python_shingles(corpus.texts[i]), python_shingles(corpus.texts[j])) >= 0.6:
            out.append((min(i, j), max(i, j)))
    return out


def check(contender: str, corpus: Corpus) -> None:
    """The contender finds the sample's near-duplicate pairs (dedup: removes one of each, verified)."""
    texts = corpus.texts[:SAMPLE]
    wanted = sample_pairs(corpus)
    assert len(wanted) >= 20
    if contender == "dedup":
        out = run_dedup(texts, DedupConfig(threshold=CHECK_JACCARD, lsh_threshold=0.4))
        removed = {r for r, _ in out}
        found = sum(a in removed or b in removed for a, b in wanted)
        for removed, kept in out:
            a, b = python_shingles(texts[removed]), python_shingles(texts[kept])
            assert exact_jaccard(a, b) >= CHECK_JACCARD or len(a & b) >= 0.9 * len(a), (removed, kept)
    else:
        candidates = CONTENDERS[contender](texts)
        found = sum(p in candidates for p in wanted)
    assert found >= 0.95 * len(wanted), (contender, found, len(wanted))


def test_banding_is_the_same_for_everyone() -> None:
    banding = choose_banding(DedupConfig(lsh_threshold=0.4).lsh_threshold, NUM_PERM)
    assert (banding.bands, banding.rows) == (BANDS, ROWS)


@pytest.mark.parametrize("size", SIZES, ids=[f"{s // 1000}k" for s in SIZES])
@pytest.mark.parametrize("contender", list(CONTENDERS))
def test_find(benchmark, corpus_of, results: Results, contender: str, size: int) -> None:
    corpus = corpus_of(size)
    check(contender, corpus)
    benchmark.group = f"find {size // 1000}k"
    benchmark.extra_info["MB"] = round(corpus.nbytes / 1e6, 1)
    run = CONTENDERS[contender]
    out = benchmark.pedantic(run, args=(corpus.texts,), rounds=ROUNDS.get(contender, 1), iterations=1)
    benchmark.extra_info["pairs"] = len(out)
    if benchmark.stats:  # None under --benchmark-disable, where the test is a smoke test
        results.record(benchmark.group, contender, benchmark.stats.stats.median, corpus.nbytes)


ONE_MILLION = """
import sys, time
import numpy as np
from dedup.evaluation.corpus import make_corpus
from dedup.config import DedupConfig
from dedup.near.match import match_texts

def rss(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field))

n = int(sys.argv[1])
texts = make_corpus(n, seed=0).texts
nbytes = len("".join(texts).encode("utf-8"))
doc, pos = np.arange(n) // 30, np.arange(n) % 30
match_texts(texts[:3000], doc[:3000], pos[:3000])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
before = rss("VmRSS:")
start = time.perf_counter()
m = match_texts(texts, doc, pos, DedupConfig(lsh_threshold=0.4))
seconds = time.perf_counter() - start
print(seconds, before, rss("VmHWM:"), nbytes, int((m.duplicate_of >= 0).sum()), m.candidates)
"""


@pytest.mark.parametrize("size", [1_000_000], ids=["1M"])
def test_one_million(results: Results, size: int) -> None:
    """dedup alone on 1M paragraphs in a fresh process: time, and peak memory beyond the input texts."""
    root = Path(__file__).parent.parent
    out = subprocess.run(
        [sys.executable, "-c", ONE_MILLION, str(size)], capture_output=True, text=True, check=True, cwd=root
    )
    seconds, before, peak, nbytes, removed, candidates = (float(x) for x in out.stdout.split())
    results.record(f"find {size // 1_000_000}M", "dedup", seconds, int(nbytes))
    results.notes.append(
        f"find 1M: {seconds:.1f} s for {nbytes / 1e9:.2f} GB, {candidates:.0f} candidate pairs, {removed:.0f} removed; "
        f"peak memory +{(peak - before) / 1e9:.2f} GB over the process holding the texts ({before / 1e9:.2f} GB)"
    )
    assert removed > 0
