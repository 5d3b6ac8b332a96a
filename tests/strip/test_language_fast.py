"""``language_of`` counts each distinct word once: it chooses the language the per-token reference
chooses, ties included (the first list in the lists' order wins), on random texts of stopwords."""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.strip.features import LANGUAGE_BATCH, _stopword_lists, language, language_of
from dedup.text import WORD_RE, findall_pieces, is_long


def reference_language_of(texts: Iterable[str]) -> str | None:
    """The former ``language_of``: every token looked up in every list."""
    lists = _stopword_lists()
    hits = dict.fromkeys(lists, 0)

    def add(text: str) -> None:
        for words in findall_pieces(WORD_RE, text):
            tokens = [w.lower() for w in words]
            for lang, stops in lists.items():
                hits[lang] += sum(map(stops.__contains__, tokens))

    batch: list[str] = []
    size = 0
    for text in texts:
        if is_long(text):
            add(text)
            continue
        batch.append(text)
        size += len(text) + 1
        if size >= LANGUAGE_BATCH:
            add(" ".join(batch))
            batch, size = [], 0
    add(" ".join(batch))
    best = max(hits, key=lambda lang: hits[lang], default=None)
    return best if best is not None and hits[best] > 0 else None


STOPWORDS = sorted({w for stops in _stopword_lists().values() for w in stops})
WORDS = st.one_of(st.sampled_from(STOPWORDS), st.sampled_from(["Home", "İstanbul", "THE", "Và", "ß", "-", "2025"]),
                  st.text(max_size=6))  # fmt: skip
CASES = st.sampled_from([str, str.upper, str.title])


@st.composite
def texts(draw: st.DrawFn) -> list[str]:
    lines = draw(st.lists(st.lists(st.tuples(WORDS, CASES), max_size=12), max_size=8))
    glue = draw(st.sampled_from([" ", "  ", ", ", "\n"]))
    return [glue.join(how(w) for w, how in line) for line in lines]


@settings(max_examples=400, deadline=None)
@given(texts())
def test_the_same_language_as_the_reference(lines: list[str]) -> None:
    assert language_of(lines) == reference_language_of(lines)
    for line in lines:
        assert language(line) == reference_language_of([line])


def test_a_tie_goes_to_the_first_list() -> None:
    """One word of each of two lists: the reference's ``max`` keeps the earlier list, and so does the count."""
    lists = list(_stopword_lists().items())
    firsts = [next(iter(sorted(stops - set().union(*(s for other, s in lists if other != lang)))), None)
              for lang, stops in lists]  # fmt: skip
    own = [w for w in firsts if w is not None]
    for a in own:
        for b in own:
            assert language_of([a, b]) == reference_language_of([a, b])
            assert language_of([b, a]) == reference_language_of([b, a])


def test_a_huge_line_is_counted_piece_by_piece() -> None:
    line = " ".join(["the", "và", "der", "le"] * 40_000)
    assert language_of([line, "và"]) == reference_language_of([line, "và"])
