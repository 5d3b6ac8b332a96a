"""Features of each line of a plain-text page, for the line classifier (dedup.strip.classifier).

A line is described by what it looks like (length, words, stopword density, final punctuation,
capitals, digits, separators), by where it stands (position, distance to the page's dense
part), by its neighbours (the same measures averaged over windows around it), and by its words:
the stopword lists in ``data/stopwords/`` and the learned word weights of ``dedup.strip.lexicon``
(its own score and its neighbours'). The stopword lists also tell a text's language
(:func:`language`, for the stripper's repeated alt text).

>>> x = line_features(["Home", "News", "The minister said on Monday that the talks would go on.", "Share"])
>>> x.shape == (4, len(FEATURE_NAMES))
True
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import regex

from dedup._resources import text_files
from dedup.errors import ArgumentValueError
from dedup.strip import _kernels as k
from dedup.strip.arrays import TokenTable
from dedup.strip.chars import token_table
from dedup.strip.lexicon import Lexicon, load_lexicon
from dedup.strip.measure import PageMeasures, lines_matching, measure_page
from dedup.strip.rules import ChromeRule, load_rules, match_line
from dedup.text import WORD_RE, count, findall_pieces, is_long, piece_spans

LETTER_RE = regex.compile(r"\p{L}")
UPPER_RE = regex.compile(r"\p{Lu}")
CAPITALISED_RE = regex.compile(r"(?<!\w)\p{Lu}")
DIGIT_RE = regex.compile(r"\p{N}")
PUNCT_RE = regex.compile(r"[\p{P}\p{S}]")
SENTENCE_END_RE = regex.compile(r"[.!?…。！？][\"'”’»)\]]*$")
"""A line that ends a sentence: final punctuation, then any closing quotes or brackets (a colon does not
end one, as it ends a paragraph for :data:`dedup.text.segment.PARAGRAPH_END`)."""
SENTENCE_MARK_RE = regex.compile(r"[.!?…。！？](?=\s|$)")
SEPARATOR_RE = regex.compile(r"[|•·»›«‹]|(?<=\s)[/>]+(?=\s)")
URL_PARTS = (r"https?://", r"www\.", r"\w@\w", r"\.(?:com|org|net|html?)\b")
URL_RE = regex.compile("|".join(URL_PARTS), regex.IGNORECASE)
DATE_PARTS = (
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b", r"\b\d{4}-\d{2}-\d{2}\b", r"\b\d{1,2}:\d{2}\b",
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b",
)  # fmt: skip
DATE_RE = regex.compile("|".join(DATE_PARTS), regex.IGNORECASE)
URL_SEARCHES = tuple(regex.compile(part, regex.IGNORECASE) for part in URL_PARTS)
DATE_SEARCHES = tuple(regex.compile(part, regex.IGNORECASE) for part in DATE_PARTS[:-1])
MONTH_SEARCHES = tuple(regex.compile(part, regex.IGNORECASE) for part in DATE_PARTS[-1:])
"""Each alternative of ``URL_RE`` and ``DATE_RE`` on its own: a line has a match of a pattern when it
has one of an alternative, and ``regex`` finds each of these apart much faster than their union (the
page measures search only the lines with what every match of them holds: ``URL_HINT``, ``DATE_HINT``
for the numeric dates, ``MONTH_HINT`` for the month names)."""
QUOTE_RE = regex.compile(r"[\"“”«»„]")
BULLET_RE = regex.compile(r"^[-–—*•·►▪●]\s")

LOCAL_NAMES: tuple[str, ...] = (
    "log_chars", "log_words", "stop_ratio", "stop_count", "ends_sentence", "ends_colon", "ends_question",
    "digit_ratio", "upper_ratio", "title_ratio", "punct_ratio", "log_sentences", "has_url", "separators",
    "mean_word_len", "all_caps", "bullet", "has_date", "has_quote", "chrome_rule", "log_repeats",
    "long_line", "starts_lower", "letter_ratio", "lexicon",
)  # fmt: skip
PAGE_NAMES: tuple[str, ...] = ("doc_prose_runs", "doc_outside_share", "doc_median_prose", "run_log_words")
"""The columns of :func:`_page_features`: how the page's prose is laid out."""
CONTEXT_NAMES: tuple[str, ...] = (
    "position", "char_position", "prev_log_words", "next_log_words", "prev_stop", "next_stop",
    "prev_ends", "next_ends", "win3_words", "win3_stop", "win10_words", "win10_long", "in_dense",
    "dense_distance", "doc_log_lines", "doc_long_share", "before_dense", "after_dense",
    "prev_lexicon", "next_lexicon", "win2_lexicon", *PAGE_NAMES,
)  # fmt: skip
FEATURE_NAMES: tuple[str, ...] = LOCAL_NAMES + CONTEXT_NAMES
"""The columns of :func:`line_features`, in order."""

LONG_WORDS = 20
"""A line with at least this many words counts as prose for the density measures."""
LANGUAGE_BATCH = 1 << 18
"""How many characters of a page's lines :func:`language_of` joins at a time."""


@functools.cache
def _stopword_lists() -> dict[str, frozenset[str]]:
    """The package's stopword lists (``data/stopwords/<lang>.txt``), lower case, by language code."""
    lists: dict[str, frozenset[str]] = {}
    for language_code, text in text_files("stopwords").items():
        lines = text.splitlines()
        lists[language_code] = frozenset(w for line in lines if not line.startswith("#") for w in line.lower().split())
    return lists


@functools.cache
def _stopwords() -> frozenset[str]:
    """The union of all stopword lists: stopword density is measured without guessing the language."""
    return frozenset().union(*_stopword_lists().values())


@functools.cache
def _stopword_table() -> TokenTable:
    """:func:`_stopwords` as a token table, for the page measures (:mod:`dedup.strip.measure`)."""
    return token_table(sorted(_stopwords()))


def language(text: str) -> str | None:
    """The stopword list that ``text`` hits most, or None when it hits none.

    >>> language("Bầu không khí mới trong quan hệ"), language("the talks and the trade"), language("Volodin")
    ('vi', 'en', None)
    """
    return language_of([text])


def language_of(texts: Iterable[str]) -> str | None:
    """:func:`language` of the texts joined by spaces, without joining a huge page into one string.

    Short texts are joined in batches of about ``LANGUAGE_BATCH`` characters; a huge one is read a
    piece at a time. The words are the same: none spans the space between two texts.

    >>> language_of(["Tin mới", "Bầu không khí mới trong quan hệ", "Home"])
    'vi'
    """
    seen: Counter[str] = Counter()  # each word is looked up in the lists once, however often it occurs

    def add(text: str) -> None:
        for words in findall_pieces(WORD_RE, text):
            seen.update(map(str.lower, words))

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
    hits = {lang: sum(map(seen.__getitem__, seen.keys() & stops)) for lang, stops in _stopword_lists().items()}
    best = max(hits, key=lambda lang: hits[lang], default=None)
    return best if best is not None and hits[best] > 0 else None


def _local_features(text: str, repeats: int, ruled: bool, stops: frozenset[str]) -> list[float]:
    """The measures of one line on its own, in ``LOCAL_NAMES`` order, but for the last (``lexicon``).

    ``ruled`` says whether a whole-line chrome rule matches the line (``chrome_rule``).
    """
    spans = list(piece_spans(text)) if is_long(text) else None  # a huge line is measured in pieces (dedup.text.pieces)
    n_words = word_chars = 0
    for words in findall_pieces(WORD_RE, text, spans=spans):
        n_words += len(words)
        word_chars += sum(map(len, words))
    # map: no Python bytecode per word
    n_stop = sum(sum(map(stops.__contains__, words)) for words in findall_pieces(WORD_RE, text, True, spans))
    letters = count(LETTER_RE, text, spans)
    capitalised = count(CAPITALISED_RE, text, spans)
    return [
        np.log1p(len(text)),
        np.log1p(n_words),
        n_stop / n_words if n_words else 0.0,
        np.log1p(n_stop),
        float(bool(SENTENCE_END_RE.search(text))),
        float(text.endswith(":")),
        float(text.endswith("?")),
        count(DIGIT_RE, text, spans) / max(len(text), 1),
        count(UPPER_RE, text, spans) / max(letters, 1),
        capitalised / n_words if n_words else 0.0,
        count(PUNCT_RE, text, spans) / max(len(text), 1),
        np.log1p(count(SENTENCE_MARK_RE, text, spans)),
        float(bool(URL_RE.search(text))),
        float(count(SEPARATOR_RE, text, spans)),
        word_chars / n_words if n_words else 0.0,
        float(text.isupper()),
        float(bool(BULLET_RE.match(text))),
        float(bool(DATE_RE.search(text))),
        float(bool(QUOTE_RE.search(text))),
        float(ruled),
        np.log1p(repeats - 1),
        float(n_words >= LONG_WORDS),
        float(text[:1].islower()),
        letters / max(len(text), 1),
    ]


def _dense_span(gain: npt.NDArray[np.float64], weight: npt.NDArray[np.float64]) -> tuple[int, int]:
    """The span ``[start, end)`` maximising ``sum(gain * weight)`` (Kadane; empty when every line loses).

    With ``gain`` = a line's prose words minus a fixed price per line, it is the article's dense
    part: runs of menu lines between prose blocks cost more than they bring.

    >>> _dense_span(np.array([-0.4, 0.4, -0.1, 0.3, -0.5]), np.array([5.0, 20, 2, 30, 40]))
    (1, 4)
    """
    best, best_span, run, begin = 0.0, (0, 0), 0.0, 0
    for i, value in enumerate(gain * weight):
        if run <= 0:
            run, begin = 0.0, i
        run += value
        if run > best:
            best, best_span = run, (begin, i + 1)
    return best_span


def _window_mean(values: npt.NDArray[np.float64], radius: int) -> npt.NDArray[np.float64]:
    """Mean of ``values`` over ``[i - radius, i + radius]``, clipped at the ends.

    >>> _window_mean(np.array([0.0, 3.0, 0.0]), 1).tolist()
    [1.5, 1.0, 1.5]
    """
    padded = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(len(values))
    lo, hi = np.maximum(idx - radius, 0), np.minimum(idx + radius + 1, len(values))
    return np.asarray((padded[hi] - padded[lo]) / (hi - lo), dtype=np.float64)


class PageFeatures(NamedTuple):
    """A page's feature matrix and what its lines measured on the way.

    Attributes:
        matrix: one row per line, columns ``FEATURE_NAMES`` (what :func:`line_features` returns).
        words: each line's word count (``WORD_RE`` runs), exact where ``log_words`` is rounded.
    """

    matrix: npt.NDArray[np.float32]
    words: npt.NDArray[np.int64]


def line_features(
    lines: Sequence[str],
    rules: tuple[ChromeRule, ...] | None = None,
    lexicon: Lexicon | None = None,
    ruled: Sequence[bool] | None = None,
) -> npt.NDArray[np.float32]:
    """The feature matrix of one page's lines: one row per line, columns ``FEATURE_NAMES``.

    Args:
        lines: the page's non-empty lines (paragraphs), in order.
        rules: chrome rules for the ``chrome_rule`` column; the package's rules by default.
        lexicon: word weights for the ``lexicon`` columns; the package's lexicon by default.
        ruled: whether each line matches a whole-line chrome rule (``match_line``), when the
            caller already knows; otherwise ``rules`` are matched here.
    """
    return page_features(lines, rules, lexicon, ruled).matrix


def page_features(
    lines: Sequence[str],
    rules: tuple[ChromeRule, ...] | None = None,
    lexicon: Lexicon | None = None,
    ruled: Sequence[bool] | None = None,
) -> PageFeatures:
    """:func:`line_features` with each line's word count, for the stripper's page heuristics.

    >>> page_features(["Home", "The minister said on Monday that the talks would go on."]).words.tolist()
    [1, 11]
    """
    if not lines:
        return PageFeatures(np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32), np.zeros(0, dtype=np.int64))
    rules = load_rules() if rules is None else rules
    lexicon = load_lexicon() if lexicon is None else lexicon
    stops = _stopwords()
    counts = Counter(lines)
    if ruled is None:
        ruled = [match_line(t, rules) is not None for t in lines]
    elif len(ruled) != len(lines):
        raise ArgumentValueError(f"ruled has {len(ruled)} entries for {len(lines)} lines")
    repeats = np.fromiter(map(counts.__getitem__, lines), dtype=np.int64, count=len(lines))
    page = measure_page(lines, _stopword_table(), lexicon)
    local = _local_matrix(page, lines, repeats, np.asarray(ruled, dtype=bool))
    words = page.counts[:, k.N_WORDS].copy()
    for i in np.flatnonzero(page.needs_reference).tolist():  # the lines the page measures leave to the reference
        local[i] = [*_local_features(lines[i], counts[lines[i]], ruled[i], stops), lexicon.score(lines[i])]
        words[i] = count(WORD_RE, lines[i])
    for i in np.flatnonzero(np.isnan(local[:, -1])).tolist():  # math.fsum says what a sum that is not finite is
        local[i, -1] = lexicon.score(lines[i])
    return PageFeatures(np.hstack([local, _context_features(local)]).astype(np.float32), words)


def _local_matrix(
    page: PageMeasures, lines: Sequence[str], repeats: npt.NDArray[np.int64], ruled: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """The columns ``LOCAL_NAMES`` (``lexicon`` last) from a page's measures, as :func:`_local_features`
    computes each (the same operations on the same integers); rows that need the reference are filled
    by the caller."""
    c = page.counts.T
    chars, words, stops, letters = c[k.N_CHARS], c[k.N_WORDS], c[k.N_STOPS], c[k.N_LETTERS]
    has_words, per_word, per_char = words > 0, np.maximum(words, 1), np.maximum(chars, 1)
    url = _searched(page, URL_SEARCHES, k.URL_HINT)
    date = _searched(page, DATE_SEARCHES, k.DATE_HINT) | _searched(page, MONTH_SEARCHES, k.MONTH_HINT)
    return np.column_stack([
        np.log1p(chars), np.log1p(words), np.where(has_words, stops / per_word, 0.0), np.log1p(stops),
        c[k.ENDS_SENTENCE], c[k.ENDS_COLON], c[k.ENDS_QUESTION], c[k.N_DIGITS] / per_char,
        c[k.N_UPPER] / np.maximum(letters, 1), np.where(has_words, c[k.N_CAPITALISED] / per_word, 0.0),
        c[k.N_PUNCT] / per_char, np.log1p(c[k.N_MARKS]), url, c[k.N_SEPARATORS],
        np.where(has_words, c[k.N_WORD_CHARS] / per_word, 0.0), c[k.ALL_CAPS], c[k.IS_BULLET], date,
        c[k.HAS_QUOTE], ruled, np.log1p(repeats - 1), words >= LONG_WORDS, c[k.STARTS_LOWER],
        letters / per_char, page.scores,
    ]).astype(np.float64)  # fmt: skip


def _searched(page: PageMeasures, patterns: Sequence[regex.Pattern[str]], hint: int) -> npt.NDArray[np.bool_]:
    """Whether each line has a match of one of ``patterns``, searched in the lines with the ``hint``
    (column of ``page.counts``) that every match of them holds."""
    return lines_matching(patterns, page, page.counts[:, hint] > 0)


def _context_features(local: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The columns ``CONTEXT_NAMES``, computed from the local features of all of a page's lines."""
    col = {name: local[:, i] for i, name in enumerate(LOCAL_NAMES)}
    n = len(local)
    words, stop, ends, lexical = col["log_words"], col["stop_ratio"], col["ends_sentence"], col["lexicon"]
    chars = np.expm1(col["log_chars"])
    prose = np.where((col["long_line"] > 0) & (stop > 0.15), np.expm1(words), 0.0)
    start, end = _dense_span(prose - 4.0, np.ones(n))
    idx = np.arange(n, dtype=np.float64)
    distance = np.where(idx < start, start - idx, np.where(idx >= end, idx - end + 1, 0.0))

    def shift(values: npt.NDArray[np.float64], by: int) -> npt.NDArray[np.float64]:
        out = np.zeros(n)
        if by > 0:
            out[by:] = values[:-by]
        else:
            out[:by] = values[-by:]
        return out

    page = _page_features(prose, start, end)
    return np.column_stack([
        idx / max(n - 1, 1),
        (np.cumsum(chars) - chars) / max(chars.sum(), 1.0),
        shift(words, 1), shift(words, -1), shift(stop, 1), shift(stop, -1), shift(ends, 1), shift(ends, -1),
        _window_mean(words, 1), _window_mean(stop, 1), _window_mean(words, 5), _window_mean(col["long_line"], 5),
        ((idx >= start) & (idx < end)).astype(np.float64),
        np.log1p(distance),
        np.full(n, np.log1p(n)),
        np.full(n, col["long_line"].mean()),
        (idx < start).astype(np.float64),
        (idx >= end).astype(np.float64),
        shift(lexical, 1), shift(lexical, -1), _window_mean(lexical, 2),
        *page,
    ])  # fmt: skip


def _page_features(prose: npt.NDArray[np.float64], start: int, end: int) -> list[npt.NDArray[np.float64]]:
    """How the page's prose is laid out: one dense article block, or many medium blocks (posts, comments).

    ``prose`` is each line's words when it reads as prose, else 0; ``[start, end)`` the dense span.
    Columns: the number of prose runs (log), the share of prose words outside the dense span, the
    median prose line's words (log), and the words of the prose run each line belongs to (log; 0
    outside runs).

    >>> [c.round(2).tolist() for c in _page_features(np.array([30.0, 0, 20, 25, 0]), 2, 4)]
    [[1.1, 1.1, 1.1, 1.1, 1.1], [0.4, 0.4, 0.4, 0.4, 0.4], [3.26, 3.26, 3.26, 3.26, 3.26], [3.43, 0.0, 3.83, 3.83, 0.0]]
    """
    n = len(prose)
    prose_line = prose > 0
    run_id = np.cumsum(prose_line & ~np.concatenate([[False], prose_line[:-1]]))
    runs = int(run_id[-1]) if n else 0
    run_words = np.bincount(run_id, weights=prose, minlength=runs + 1)
    total = max(prose.sum(), 1.0)
    outside = (prose.sum() - prose[start:end].sum()) / total
    median = float(np.median(prose[prose_line])) if prose_line.any() else 0.0
    return [np.full(n, np.log1p(runs)), np.full(n, outside), np.full(n, np.log1p(median)),
            np.where(prose_line, np.log1p(run_words[run_id]), 0.0)]  # fmt: skip
