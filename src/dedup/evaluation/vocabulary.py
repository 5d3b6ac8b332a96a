"""The invented words of :mod:`dedup.evaluation.records`: a seed's vocabulary, a Zipf sampler and near copies.

The words and their six spellings are those of :mod:`dedup.evaluation.corpus` (``invent_words``,
``word_table``, Zipf-Mandelbrot ranks). Ranks are drawn by the alias method (two uniform draws and a
lookup a word) and texts rendered by gathering the spellings' UTF-8 bytes with numpy, so no Python
code runs per word.

>>> v = Vocabulary.make(seed=4, size=300)
>>> tokens = v.draw(np.random.default_rng(0), 6)
>>> v.render(tokens, np.array([0, 2, 6])) == [" ".join(v.table[t] for t in part) for part in (tokens[:2], tokens[2:])]
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dedup.evaluation.corpus import VOCABULARY, ZIPF_EXPONENT, ZIPF_SHIFT, invent_words, word_table

ONE_WORD = 32
"""A paragraph needs this many words for one changed word to leave it a near-duplicate (Jaccard >= 0.8)."""
TWO_WORDS = 60
"""... and this many for two (3-gram shingles: a word changed in the middle changes three of them)."""
KEY = 1
"""The first element of the vocabulary's random stream key (the record generator's streams use others)."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The invented words of a seed, their six spellings (as text and as UTF-8) and a Zipf sampler.

    Inventing 50,000 words takes about a second: make it once when generating several streams.
    Words are drawn by the alias method (two uniform draws and a lookup a word), spellings
    rendered by gathering their bytes, so no Python code runs per word.
    """

    seed: int
    words: list[str]
    table: list[str]
    accept: NDArray[np.float64]
    alias: NDArray[np.int64]
    utf8: NDArray[np.uint8]
    """Every spelling's UTF-8 bytes followed by a space, one after another."""
    starts: NDArray[np.int64]
    lengths: NDArray[np.int64]

    @classmethod
    def make(cls, seed: int = 0, size: int = VOCABULARY) -> Vocabulary:
        """The vocabulary of ``seed``: ``size`` words (fewer only for quick examples).

        >>> v = Vocabulary.make(seed=2, size=100)
        >>> len(v.words), len(v.table), v.render(np.array([0, 100, 500]), np.array([0, 1, 3]))[0] == v.table[0]
        (100, 600, True)
        """
        words = invent_words(np.random.default_rng([KEY, seed]), size)
        weights = (np.arange(1, size + 1, dtype=np.float64) + ZIPF_SHIFT) ** -ZIPF_EXPONENT
        accept, alias = _alias_table(weights / weights.sum())
        table = word_table(words)
        encoded = [t.encode("utf-8") + b" " for t in table]
        lengths = np.array([len(e) for e in encoded], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        utf8 = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return cls(seed, words, table, accept, alias, utf8, starts, lengths)

    def draw(self, rng: np.random.Generator, n: int) -> NDArray[np.int64]:
        """``n`` word indices, Zipf-distributed (index 0 the most frequent)."""
        k = (rng.random(n) * len(self.words)).astype(np.int64)
        return np.where(rng.random(n) < self.accept[k], k, self.alias[k])

    def render(self, tokens: NDArray[np.int64], spans: NDArray[np.int64]) -> list[str]:
        """The texts of the spellings ``tokens[spans[i]:spans[i + 1]]``, one space apart, for every ``i``."""
        lengths = self.lengths[tokens]
        ends = np.cumsum(lengths)
        at = np.repeat(self.starts[tokens] - (ends - lengths), lengths) + np.arange(int(ends[-1]) if ends.size else 0)
        out = self.utf8[at]
        out[ends[spans[1:] - 1] - 1] = ord("\n")  # each text's last space marks where it ends
        return out.tobytes().decode("utf-8").split("\n")[:-1]


def _alias_table(p: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Vose's alias table of the distribution ``p``: draw ``k`` uniformly, keep it with chance ``accept[k]``,
    else take ``alias[k]``.

    >>> accept, alias = _alias_table(np.array([0.5, 0.25, 0.25]))
    >>> accept.tolist(), alias.tolist()
    ([1.0, 0.75, 0.75], [0, 0, 0])
    """
    n = p.size
    scaled = (p * n).tolist()
    accept, alias = [1.0] * n, list(range(n))
    small = [i for i, x in enumerate(scaled) if x < 1.0]
    large = [i for i, x in enumerate(scaled) if x >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        accept[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return np.array(accept), np.array(alias, dtype=np.int64)


def near_copy(text: str, rng: np.random.Generator, vocabulary: Vocabulary) -> str:
    """``text`` with a sentence appended, or one or two words changed where it stays a near-duplicate.

    >>> v = Vocabulary.make(seed=0, size=200)
    >>> text = "One two three."
    >>> copy = near_copy(text, np.random.default_rng(0), v)
    >>> copy.startswith(text + " ") and copy.endswith(".")
    True
    """
    tokens = text.split(" ")
    changes = 0 if len(tokens) < ONE_WORD else 1 if len(tokens) < TWO_WORDS else int(rng.integers(1, 3))
    if changes == 0 or rng.random() < 0.5:
        words = [vocabulary.words[i] for i in vocabulary.draw(rng, int(rng.integers(5, 13))).tolist()]
        return f"{text} {words[0].capitalize()} {' '.join(words[1:])}."
    for k in rng.choice(len(tokens), changes, replace=False).tolist():
        core = tokens[k].rstrip(",.")
        rank = int(vocabulary.draw(rng, 1)[0])
        word = vocabulary.words[rank]
        if word.casefold() == core.casefold():
            word = vocabulary.words[(rank + 1) % len(vocabulary.words)]
        if core[:1].isupper():
            word = word[:1].upper() + word[1:]
        tokens[k] = word + tokens[k][len(core) :]
    return " ".join(tokens)
