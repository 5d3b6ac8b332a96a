"""The edits that make the near-duplicate evaluation's copies: duplicates of a paragraph and hard negatives.

Each edit takes a paragraph and a seeded :class:`random.Random` (and, for some, another paragraph to
borrow from) and returns the copy; :func:`edit` picks one by name. See :mod:`dedup.evaluation.near`
for what each kind models and how the finder is scored on them.

>>> import random
>>> edit("truncation", "one two three four five six seven eight nine ten", random.Random(0), "")
'one two three four five six seven eight nine'
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

SENTENCE = re.compile(r"(?<=[.!?”])\s+(?=\S)")
ATTRIBUTIONS = (" (VNA)", " (TASS)", ", the agency reported.", " – Nhân Dân")
DATELINES = ("HANOI (VNA) – ", "MOSCOW, Sept 29 – ", "THE HANOI TIMES — ")


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
