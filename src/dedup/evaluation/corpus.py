"""A seeded synthetic corpus of paragraphs for the hashing benchmarks, and the peers' shingling.

Paragraphs have 5 to 150 words (log-normal, median about 75), drawn from a Zipfian vocabulary
(Zipf-Mandelbrot, exponent 1.1) of 50,000 invented words, frequent words short, about 4% of them with
accented Latin letters and 2% Cyrillic. Sentences start with a capital and end with a period; some
words carry a comma or a curly apostrophe. One paragraph in ten is a near-duplicate of an earlier one
(about 5% of its words replaced, one dropped). 100,000 paragraphs make 47.4 MB of UTF-8.

>>> c = make_corpus(200, seed=3)
>>> len(c.texts), 10 <= len(c.duplicates) <= 30
(200, True)
>>> c.texts == make_corpus(200, seed=3).texts
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import regex

VOCABULARY = 50_000
ZIPF_EXPONENT = 1.1
ZIPF_SHIFT = 2.7
DUPLICATE_RATE = 0.1
EDIT_RATE = 0.05

CONSONANTS = [*"bcdfghjklmnprstvwz", "ch", "sh", "th", "st", "tr"]
VOWELS = [*"aeiou", "ea", "ou", "io"]
ACCENTED = list("éèêáàâíóôúüñçøå")
CYRILLIC = list("бвгджзклмнпрстфхцчшщ")
CYRILLIC_VOWELS = list("аеёиоуыэюя")

WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")
"""What a peer pipeline calls a word: the same runs of letters, digits and marks as dedup's tokens."""


@dataclass(frozen=True, slots=True)
class Corpus:
    """Paragraphs and which ones are near-duplicates.

    Attributes:
        texts: the paragraphs.
        duplicates: ``(copy, original)`` index pairs, one per near-duplicate paragraph.
    """

    texts: list[str]
    duplicates: list[tuple[int, int]]

    @property
    def nbytes(self) -> int:
        """Size of the corpus in UTF-8 bytes."""
        return len("".join(self.texts).encode("utf-8"))


def invent_words(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct invented words, shortest first (the Zipf ranks give short words high frequency)."""
    words: set[str] = set()
    cyrillic, latin, accented = (CYRILLIC, CYRILLIC_VOWELS), (CONSONANTS, VOWELS), (CONSONANTS, VOWELS + ACCENTED)
    integers = rng.integers  # draws as rng.choice(list) does, without making an array of the list each time
    while len(words) < count:
        script = rng.random()
        cons, vows = cyrillic if script < 0.02 else (accented if script < 0.06 else latin)
        syllables = 1 + min(rng.geometric(0.4), 5)
        word = "".join(cons[integers(0, len(cons))] + vows[integers(0, len(vows))] for _ in range(syllables))
        words.add(word[: max(1, int(integers(len(word) - 1, len(word) + 1)))])
    ordered = sorted(words)
    noise = rng.normal(0.0, 2.0, len(ordered))
    return [ordered[i] for i in np.argsort([len(w) + x for w, x in zip(ordered, noise, strict=True)], kind="stable")]


def word_table(words: list[str]) -> list[str]:
    """Each word in six spellings: plain, comma, period, and capitalised versions of those."""
    table: list[str] = []
    for suffix in ("", ",", "."):
        table.extend(w + suffix for w in words)
    table.extend(t[:1].upper() + t[1:] for t in table[:])
    return table


def paragraph_lengths(rng: np.random.Generator, n: int) -> np.ndarray:
    """Words per paragraph: log-normal, clipped to 5..150."""
    return np.clip(np.round(rng.lognormal(np.log(75), 0.55, n)), 5, 150).astype(np.int64)


def spellings(
    rng: np.random.Generator, ids: np.ndarray, starts: np.ndarray, vocabulary: int = VOCABULARY
) -> np.ndarray:
    """Choose each word's spelling: sentence ends every 8-25 words and at paragraph ends, some commas.

    Returns indices into :func:`word_table` of a list of ``vocabulary`` words.
    """
    v = vocabulary
    total = ids.size
    suffix = np.where(rng.random(total) < 0.06, 1, 0)
    sentence_end = rng.random(total) < 1 / 15
    sentence_end[starts[1:] - 1] = True
    suffix[sentence_end] = 2
    capital = np.zeros(total, dtype=bool)
    capital[1:] = sentence_end[:-1]
    capital[starts[:-1]] = True
    return np.asarray(ids + v * suffix + 3 * v * capital, dtype=np.int64)


def make_corpus(n: int, *, seed: int = 0) -> Corpus:
    """``n`` paragraphs, 10% of them near-duplicates of earlier ones; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    words = invent_words(rng, VOCABULARY)
    table = word_table(words)
    for i in rng.choice(len(words), 300, replace=False):
        table[i] = table[i] + "’s"
    ranks = np.arange(1, VOCABULARY + 1, dtype=np.float64)
    cdf = np.cumsum((ranks + ZIPF_SHIFT) ** -ZIPF_EXPONENT)
    cdf /= cdf[-1]
    lengths = paragraph_lengths(rng, n)
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    ids = np.minimum(np.searchsorted(cdf, rng.random(int(starts[-1]))), VOCABULARY - 1)
    is_copy = rng.random(n) < DUPLICATE_RATE
    is_copy[0] = False
    duplicates = []
    for i in np.flatnonzero(is_copy):
        j = int(rng.integers(0, i))
        duplicates.append((int(i), j))
    ids = spellings(rng, ids, starts)
    texts = [" ".join(map(table.__getitem__, ids[starts[i] : starts[i + 1]].tolist())) for i in range(n)]
    for i, j in duplicates:
        tokens = texts[j].split(" ")
        edits = max(1, round(EDIT_RATE * len(tokens)))
        for k in rng.integers(0, len(tokens), edits):
            tokens[k] = words[int(np.searchsorted(cdf, rng.random()))]
        if len(tokens) > 5:
            del tokens[int(rng.integers(0, len(tokens)))]
        texts[i] = " ".join(tokens)
    return Corpus(texts, duplicates)


def python_shingles(text: str, ngram: int = 3) -> set[str]:
    """The shingle set a peer pipeline builds in Python: word n-grams of the case-folded text.

    >>> sorted(python_shingles("The cat, the CAT!", 3))
    ['cat the cat', 'the cat the']
    """
    tokens = WORD.findall(text.casefold())
    if len(tokens) < ngram:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + ngram]) for i in range(len(tokens) - ngram + 1)}


def exact_jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two sets (1.0 for two empty sets)."""
    return len(a & b) / len(a | b) if a or b else 1.0
