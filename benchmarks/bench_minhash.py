"""Raw text in, MinHash signatures out: dedup against datasketch and rensa, in one run.

Every contender gets the same list of paragraphs and must return a ``(n, 128)`` uint32 matrix for
seed 1 and word 3-gram shingles. The peers shingle in Python (:func:`dedup.evaluation.corpus.python_shingles`, the same
tokens as dedup's) and hash with their own bulk APIs. Before timing, each contender runs on a
2,000-paragraph sample and its estimates are checked against exact Jaccard similarities on the
corpus's near-duplicate pairs; dedup's datasketch-compatible mode must equal datasketch bit for bit.

Run: ``.venv/bin/python -m pytest benchmarks/bench_minhash.py --benchmark-enable`` (see README.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable

import numpy as np
import pytest
from datasketch import MinHash
from rensa import RMinHash

from conftest import Results
from dedup.evaluation.corpus import Corpus, exact_jaccard, python_shingles
from dedup.hashing.minhash import estimate_jaccard, signatures

NUM_PERM = 128
SEED = 1
SIZES = [10_000, 100_000]
SAMPLE = 2_000


def run_dedup(texts: list[str]) -> np.ndarray:
    return signatures(texts, num_perm=NUM_PERM, seed=SEED)


def run_dedup_sha1(texts: list[str]) -> np.ndarray:
    return signatures(texts, num_perm=NUM_PERM, seed=SEED, hashfunc="sha1")


def run_datasketch(texts: list[str]) -> np.ndarray:
    shingles = [[s.encode("utf-8") for s in python_shingles(t)] for t in texts]
    minhashes = MinHash.bulk(shingles, num_perm=NUM_PERM, seed=SEED)
    return np.stack([m.hashvalues for m in minhashes])


def run_rensa(texts: list[str]) -> np.ndarray:
    matrix = RMinHash.digest_matrix_from_token_sets([list(python_shingles(t)) for t in texts], NUM_PERM, SEED)
    return np.array(matrix.to_rows(), dtype=np.uint32)


CONTENDERS: dict[str, Callable[[list[str]], np.ndarray]] = {
    "dedup": run_dedup,
    "dedup (sha1, datasketch-exact)": run_dedup_sha1,
    "datasketch 2.0 MinHash.bulk": run_datasketch,
    "rensa 0.5 digest matrix": run_rensa,
}
ROUNDS = {"dedup": 15, "dedup (sha1, datasketch-exact)": 3, "rensa 0.5 digest matrix": 2}


def check_estimates(sig: np.ndarray, corpus: Corpus, n: int) -> None:
    """Shape, dtype, and estimates within 5 sigma (+1/128) of exact Jaccard on near-duplicate pairs."""
    assert sig.shape == (n, NUM_PERM)
    assert sig.dtype == np.uint32
    pairs = [(i, j) for i, j in corpus.duplicates if i < n][:100]
    rng = np.random.default_rng(0)
    pairs += [tuple(p) for p in rng.integers(0, n, (20, 2))]
    assert len(pairs) >= 50
    for i, j in pairs:
        true = exact_jaccard(python_shingles(corpus.texts[i]), python_shingles(corpus.texts[j]))
        sigma = (true * (1 - true) / NUM_PERM) ** 0.5
        assert abs(float(estimate_jaccard(sig[i], sig[j])) - true) <= 5 * sigma + 1 / NUM_PERM, (i, j, true)


@pytest.mark.parametrize("size", SIZES, ids=[f"{s // 1000}k" for s in SIZES])
@pytest.mark.parametrize("contender", list(CONTENDERS))
def test_signatures(benchmark, corpus_of, results: Results, contender: str, size: int) -> None:
    corpus = corpus_of(size)
    run = CONTENDERS[contender]
    sample = corpus.texts[:SAMPLE]
    check_estimates(run(sample), corpus, SAMPLE)
    if contender.startswith("dedup (sha1"):
        assert np.array_equal(run(sample[:300]), run_datasketch(sample[:300]))
    benchmark.group = f"{size // 1000}k paragraphs"
    benchmark.extra_info["MB"] = round(corpus.nbytes / 1e6, 1)
    sig = benchmark.pedantic(run, args=(corpus.texts,), rounds=ROUNDS.get(contender, 1), iterations=1)
    assert sig.shape == (size, NUM_PERM)
    if benchmark.stats:  # None under --benchmark-disable, where the test is a smoke test
        results.record(benchmark.group, contender, benchmark.stats.stats.median, corpus.nbytes)


FIRST_CALL = """
import time
t0 = time.perf_counter()
from dedup.hashing.minhash import signatures
from dedup.hashing.shingle import shingle_hashes
t1 = time.perf_counter()
signatures(["a first call"])
t2 = time.perf_counter()
shingle_hashes(["a first call"])
t3 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f}")
"""


def test_first_call_latency(results: Results) -> None:
    """Import and first calls in a fresh process: with an empty numba cache (cold), then with it (warm)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold (empty numba cache)", "warm (cached kernels)"):
            command = [sys.executable, "-c", FIRST_CALL]
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            imp, sig, csr = (float(x) for x in out.stdout.split())
            results.notes.append(
                f"first call, {label}: import {imp:.2f} s, signatures() {sig:.2f} s, shingle_hashes() {csr:.2f} s"
            )


PEAK_MEMORY = """
import sys
from dedup.evaluation.corpus import make_corpus
from dedup.hashing.minhash import signatures

def rss(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field))

texts = make_corpus(100_000, seed=0).texts
signatures(texts[:10])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
before = rss("VmRSS:")
sig = signatures(texts)
print(before, rss("VmHWM:"), sig.nbytes, sum(map(len, texts)))
"""


def test_peak_memory(results: Results) -> None:
    """Peak memory of ``signatures`` on 100k paragraphs beyond what the process held before the call."""
    out = subprocess.run([sys.executable, "-c", PEAK_MEMORY], capture_output=True, text=True, check=True)
    before, after, output, chars = (int(x) for x in out.stdout.split())
    results.notes.append(
        f"peak memory of signatures() on 100k paragraphs: +{(after - before) / 1e6:.0f} MB over the process "
        f"before the call, of which the output matrix is {output / 1e6:.0f} MB (input: {chars / 1e6:.0f}M chars)"
    )
    assert after - before < output + 64e6
