"""Page heuristics of the stripper: what a page's lines say beyond each line's score and rules.

:func:`page_bias` lowers the bar of a doubtful page; :func:`rescue` keeps the title and short
sentences at the article's edges; :func:`opens_tail` says where a tail opener ends the article;
:func:`drop_error_page` empties a page that says it has no article; :func:`drop_repeated_alt`
removes image alt text repeated in the page. :func:`is_sentence`, :func:`is_prose` and
:func:`is_article_sentence` tell what a line reads as. :mod:`dedup.strip.stripper` applies them in order.

>>> is_sentence("Thank you very much!"), is_prose("Thank you very much!")
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import regex

from dedup.config import StripConfig
from dedup.strip.classifier import page_cut
from dedup.strip.decision import LineDecision
from dedup.strip.features import SENTENCE_END_RE, language, language_of
from dedup.strip.rules import ChromeRule
from dedup.text import WORD_RE, count

TAIL_BODY_SHARE = 0.25
"""A tail opener cuts the rest only when the prose after it is below this share of the prose before."""
PROSE_WORDS = 20
"""A paragraph of at least this many words counts as prose when weighing a tail opener."""
ALT_MAX_WORDS = 12
"""Image alt text repeated in a page is at most this many words long."""
RESCUE_SCORE = 0.15
"""A sentence at the edge of the article stays when the classifier scores it at least this."""
TITLE_WORDS = (4, 25)
"""A title has this many words (inclusive)."""
TITLE_REACH = 3
"""How many lines before the article's first kept line are searched for its title."""
ARTICLE_SENTENCE_WORDS = 10
"""A kept sentence this long shows that a page carrying an error notice still has an article."""
MAX_PAGE_LIFT = 3.0
"""The most a doubtful page's own cut raises its bias, in nats: a page the classifier is sure is all
chrome (a bare menu, every line below 0.05) keeps only its single best line (:func:`dedup.strip.stripper.keep_best`)
instead of all its best lines."""
BYLINE_RE = regex.compile(r"^(?:by|from|posted|written|updated|published)\b", regex.IGNORECASE)
"""A line starting like a byline is never taken for the title."""


def page_bias(
    probs: npt.NDArray[np.float32], texts: Sequence[str], config: StripConfig, words: npt.ArrayLike | None = None
) -> float:
    """The bias of this page's context pass: ``config.bias``, raised on a doubtful page (``config.page_cut``).

    The page's own cut (:func:`dedup.strip.classifier.page_cut`) only ever lowers the bar: a page whose
    lines all score below even keeps the best of them, while a clear page keeps the global bias
    (raising the bar there dropped isolated standfirsts and scored no better). The lift is at
    most ``MAX_PAGE_LIFT`` nats, so a page of lines all scored near 0 stays chrome. ``words`` are the
    texts' word counts, when the caller has them.

    >>> page_bias(np.array([0.9, 0.3], dtype=np.float32), ["A long line of words here.", "Home"], StripConfig())
    -0.25
    >>> round(page_bias(np.array([0.4, 0.3], dtype=np.float32), ["Course content", "Fees"], StripConfig()), 2)
    0.6
    >>> round(page_bias(np.array([0.003, 0.01], dtype=np.float32), ["Home", "News"], StripConfig()), 2)
    2.75
    """
    if not config.page_cut:
        return config.bias
    weights = np.array([count(WORD_RE, t) for t in texts] if words is None else words, dtype=np.float64)
    cut = min(max(page_cut(probs, weights), 1e-3), 1 - 1e-3)
    return config.bias + config.page_cut * min(max(0.0, -float(np.log(cut / (1 - cut)))), MAX_PAGE_LIFT)


def rescue(texts: Sequence[str], keep: list[bool], scores: Sequence[float], ruled: Sequence[bool]) -> list[bool]:
    """Keep what the context pass drops at the article's edges although a reader would keep it.

    Lines a chrome rule claims (``ruled``: bylines, share buttons) are skipped when looking for
    neighbours. A sentence next to a kept line stays when the classifier gave it at least
    ``RESCUE_SCORE``: closing lines like "Thank you very much!" and a standfirst separated from
    the body by a byline score low only because they are short or set apart. The title stays
    too: the nearest heading-like line (``TITLE_WORDS`` words, no final full stop, not a byline)
    among the ``TITLE_REACH`` lines before the first kept line, when that line opens the page's
    first half.

    >>> texts = ["Big news today in Hanoi", "by A. B.", "The talks went on.", "The minister said so.",
    ...          "Thank you all!", "Home", "Contact", "About"]
    >>> rescue(texts, [False, False, False, True, False, False, False, False],
    ...        [0.4, 0.1, 0.4, 0.9, 0.35, 0.1, 0.1, 0.1], [False, True, False, False, False, False, False, False])
    [True, False, True, True, True, False, False, False]
    """
    out = list(keep)
    live = [i for i, r in enumerate(ruled) if not r]
    for pos, i in enumerate(live):
        edge = (pos > 0 and keep[live[pos - 1]]) or (pos + 1 < len(live) and keep[live[pos + 1]])
        if not keep[i] and edge and scores[i] >= RESCUE_SCORE and is_sentence(texts[i]):
            out[i] = True
    first = next((pos for pos, i in enumerate(live) if out[i]), None)
    if first is None or live[first] > len(texts) / 2:
        return out
    for pos in range(first - 1, max(first - 1 - TITLE_REACH, -1), -1):
        text = texts[live[pos]]
        words = count(WORD_RE, text)
        if TITLE_WORDS[0] <= words <= TITLE_WORDS[1] and not text.endswith(".") and not BYLINE_RE.match(text):
            out[live[pos]] = True
            break
    return out


def is_prose(text: str) -> bool:
    """At least ``PROSE_WORDS`` words and sentence-final punctuation: a paragraph, not a menu item."""
    return count(WORD_RE, text) >= PROSE_WORDS and bool(SENTENCE_END_RE.search(text))


def is_article_sentence(text: str) -> bool:
    """``ARTICLE_SENTENCE_WORDS`` words or more and sentence-final punctuation: more than a site's tagline.

    >>> is_article_sentence("R.B.L."), is_article_sentence("The club will publish its new results pages next month.")
    (False, True)
    """
    return count(WORD_RE, text) >= ARTICLE_SENTENCE_WORDS and bool(SENTENCE_END_RE.search(text))


def is_sentence(text: str) -> bool:
    """Three words or more and sentence-final punctuation.

    >>> is_sentence("Thank you very much!"), is_sentence("Read more"), is_sentence("Yes.")
    (True, False, False)
    """
    return count(WORD_RE, text) >= 3 and bool(SENTENCE_END_RE.search(text))


def drop_error_page(
    lines: Sequence[str],
    decisions: list[LineDecision],
    scores: list[float | None],
    matches: Sequence[ChromeRule | None],
) -> list[LineDecision]:
    """Empty a page that says it has no article (a ``page`` rule matched) when no article sentence is left on it.

    What stays of an error page or an empty listing is its site name and menu, which is not an
    article; a real article that happens to contain such a line keeps its prose and everything else.
    """
    notice = next((i for i, rule in enumerate(matches) if rule is not None and rule.kind == "page"), None)
    if notice is None or any(d.keep and is_article_sentence(d.text) for d in decisions):
        return decisions
    rule = matches[notice]
    assert rule is not None  # for mypy: notice was chosen where a rule matched
    why = f"the page has no article: {lines[notice]!r} (paragraph {notice}) and no article sentence is left"
    return [LineDecision(False, d.text, (), f"chrome:{rule.name}", why, scores[i]) if d.keep else d
            for i, d in enumerate(decisions)]  # fmt: skip


def opens_tail(words: Sequence[int]) -> npt.NDArray[np.bool_]:
    """Whether a tail opener at each position would stand after the article's body (little prose follows it).

    ``words`` is each line's word count. Prefix sums: linear in the number of lines, however
    many tail openers the page has.

    >>> opens_tail([40, 50, 2, 8, 3]).tolist()
    [False, True, True, True, True]
    >>> opens_tail([2, 40, 50, 60]).tolist()
    [False, False, False, True]
    """
    n_words = np.asarray(words, dtype=np.int64)
    prose = np.concatenate([[0], np.cumsum(np.where(n_words >= PROSE_WORDS, n_words, 0))])
    before, after = prose[:-1], prose[-1] - prose[1:]
    return np.asarray((before > 0) & (after <= TAIL_BODY_SHARE * before), dtype=np.bool_)


def drop_repeated_alt(decisions: list[LineDecision], min_repeats: int, captions: Sequence[bool]) -> list[LineDecision]:
    """Remove short unpunctuated lines repeated ``min_repeats``+ times before captions or in another language.

    ``captions`` marks the lines that ended with a photo credit (a caption), whatever became of them.
    Linear in the number of lines: one pass groups the lines by text, each group is judged once.

    >>> page = [LineDecision(True, t) for t in ["Alt", "A caption", "Alt", "A caption", "Alt", "A caption"]]
    >>> [d.rule for d in drop_repeated_alt(page, 3, [t.text == "A caption" for t in page])]
    ['chrome:repeated_alt', '', 'chrome:repeated_alt', '', 'chrome:repeated_alt', '']
    """
    where: dict[str, list[int]] = {}
    for i, d in enumerate(decisions):
        where.setdefault(d.text, []).append(i)
    repeated = {text: at for text, at in where.items() if len(at) >= min_repeats}
    out = list(decisions)
    if not repeated:
        return out
    page_lang: list[str | None] = []  # the page's language, found when a line's language is first compared
    for text, at in repeated.items():
        repeats = len(at)
        if count(WORD_RE, text) > ALT_MAX_WORDS or SENTENCE_END_RE.search(text):
            continue
        before_caption = sum(i + 1 < len(decisions) and captions[i + 1] for i in at)
        if before_caption * 2 >= repeats:
            why = "before captions"
        else:
            lang = language(text)
            if lang is None:
                continue
            if not page_lang:
                page_lang.append(language_of(d.text for d in decisions if d.keep))
            if page_lang[0] is None or lang == page_lang[0]:
                continue
            why = f"in {lang}, the page is in {page_lang[0]}"
        for i in at:
            if out[i].keep or not out[i].rule.startswith("chrome:"):  # the rule's reason tells more
                out[i] = LineDecision(False, text, (), "chrome:repeated_alt", f"repeated {repeats} times, {why}",
                                      out[i].score)  # fmt: skip
    return out
