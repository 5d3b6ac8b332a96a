"""The boilerplate stripper: remove site chrome from one page's paragraphs, keep the article.

Four passes, each recorded in the report:

1. **Trims** (``chrome.trim``): a photo credit ending a caption ("(Photo: TASS)") or a metadata
   prefix ("date 2025-09-30 ") is cut and the paragraph kept, with an :class:`~dedup.records.Edit`.
2. **Classifier** (``classify``): bidirectional GRU taggers score each line from its features
   and those of every line above and below it; the context pass labels the page jointly, so a
   short line between article lines stays, and :func:`rescue` keeps the title and short
   sentences at the article's edges.
   Removals say ``rule="classifier"`` with the line's score, or ``rule="context"`` when the line
   scored as article but its surroundings outvoted it. The classifier alone never empties a
   page: when nothing else is left, :func:`keep_best` gives back its sentences, else its best line.
3. **Chrome rules** (``data/chrome.txt``): paragraphs matching a pattern are removed whatever the
   classifier said (``rule="chrome:<name>"``); a comment counter or a "Same tag" / "Related"
   heading placed after the article's body also removes everything after it
   (``rule="chrome:tail"``); agency credits are removed only among the last paragraphs.
4. **Repeated alt text**: a short line repeated in the page right before captions, or in
   another language than the page, is image alt text (``rule="chrome:repeated_alt"``).

Site templates, which need many pages of one site, are in :mod:`dedup.strip.templates`.

>>> from dedup.config import StripConfig
>>> body = ("The two ministers met in Hanoi on Monday and agreed to expand trade in energy, farming"
...         " and education next year.")
>>> lines = ["by NDO 29/09/2025, 02:00", "Ministers agree to expand trade", body, body, "It was.", body,
...          "Comment (0)", "Same tag", "Lost in the clouds of Ta Xua"]
>>> [d.rule for d in decide_lines(lines, StripConfig())]
['chrome:byline_date', '', '', '', '', '', 'chrome:comment_counter', 'chrome:related', 'chrome:tail']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import regex

from dedup.config import StripConfig
from dedup.records import Edit, Paragraph, Removal
from dedup.strip.classifier import LineModel, load_model, page_cut, smooth
from dedup.strip.features import SENTENCE_END, WORD, language, language_of, line_features
from dedup.strip.rules import ChromeRule, Cut, load_rules, match_line, trim
from dedup.text.pieces import count

LAST_LINES = 3
"""How many closing paragraphs an agency-credit rule ("last" kind) looks at."""
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
chrome (a bare menu, every line below 0.05) keeps only its single best line (:func:`keep_best`)
instead of all its best lines."""
BYLINE = regex.compile(r"^(?:by|from|posted|written|updated|published)\b", regex.IGNORECASE)
"""A line starting like a byline is never taken for the title."""


@dataclass(frozen=True, slots=True)
class LineDecision:
    """What the stripper decided for one line.

    Attributes:
        keep: whether the line stays.
        text: the line after trims (equal to the input when nothing was cut).
        cuts: the spans trimmed from a kept line, in order.
        rule: why a removed line goes (``"chrome:<name>"``, ``"classifier"``, ``"context"``), else ``""``.
        detail: a short explanation for the report.
        score: the classifier's probability that the line is article text, when it ran.
    """

    keep: bool
    text: str
    cuts: tuple[Cut, ...] = ()
    rule: str = ""
    detail: str = ""
    score: float | None = None


def decide_lines(
    lines: Sequence[str],
    config: StripConfig,
    model: LineModel | None = None,
    features: npt.NDArray[np.float32] | None = None,
) -> list[LineDecision]:
    """Decide, for each line of one page, whether it is article or chrome, and what to trim.

    Args:
        lines: the page's paragraphs in order, each one line of canonical text.
        config: the stripper's settings.
        model: the line classifier; the package's trained model by default.
        features: ``line_features`` of the trimmed lines, when the caller already has them.
    """
    rules = load_rules() if config.rules else ()
    cuts = [trim(t, rules) for t in lines]
    texts = [c[-1].text if c else t for t, c in zip(lines, cuts, strict=True)]
    scores: list[float | None] = [None] * len(lines)
    decisions = [LineDecision(True, t, c) for t, c in zip(texts, cuts, strict=True)]
    matches = [match_line(t, rules) for t in lines]
    if config.classifier and lines:
        model = load_model() if model is None else model
        if features is None:  # an untouched line reuses its match; a trimmed one is matched again
            ruled = [
                match_line(t, rules) is not None if c else m is not None
                for m, c, t in zip(matches, cuts, texts, strict=True)
            ]
            features = line_features(texts, rules, ruled=ruled)
        x = features
        probs = model.predict(x)
        bias = page_bias(probs, texts, config)
        keep = smooth(probs, config.switch_cost, bias)
        if not any(keep):  # a lone article paragraph among hundreds of menu lines: its neighbours outvote it
            keep = [k and is_prose(t) for k, t in zip(smooth(probs, 0.0, bias), texts, strict=True)]
        if not any(keep):  # the classifier alone never empties a page: its sentences stay
            keep = [is_sentence(t) for t in texts]
        keep = rescue(texts, keep, [float(p) for p in probs], [m is not None for m in matches])
        scores = [float(p) for p in probs]
        decisions = [classified(d, k, float(p)) for d, k, p in zip(decisions, keep, probs, strict=True)]
    if rules:
        decisions = apply_rules(lines, decisions, scores, matches)
    if config.repeated_alt:
        captions = [any(c.rule == "photo_credit" for c in cut) for cut in cuts]
        decisions = drop_repeated_alt(decisions, config.repeated_alt, captions)
    if config.classifier and not any(d.keep for d in decisions):  # the classifier alone never empties a page
        decisions = keep_best(decisions, cuts)
        if rules:  # a page that says it has no article stays empty unless what came back is an article sentence
            decisions = drop_error_page(lines, decisions, scores, matches)
    return decisions


def keep_best(decisions: list[LineDecision], cuts: Sequence[tuple[Cut, ...]]) -> list[LineDecision]:
    """Give a page that lost every line its best lines back, when the classifier removed some of them.

    Only lines the classifier or the context pass removed (``rule`` ``"classifier"`` or
    ``"context"``) come back; a chrome rule's, the tail's or the repeated alt text's removal
    stands. What comes back: those lines that read as sentences (:func:`is_sentence`), else the
    single one with the highest score (the first of equals), with its trims (``cuts``).
    A page with a kept line is returned as it is.

    >>> gone = [LineDecision(False, "Home", (), "classifier", score=0.01),
    ...         LineDecision(False, "Floods kill dozens in Brazil", (), "classifier", score=0.25),
    ...         LineDecision(False, "Share on Facebook", (), "chrome:share", score=0.3)]
    >>> [d.keep for d in keep_best(gone, [(), (), ()])]
    [False, True, False]
    """
    if any(d.keep for d in decisions):
        return decisions
    candidates = [i for i, d in enumerate(decisions) if d.rule in ("classifier", "context")]
    if not candidates:
        return decisions
    best = [i for i in candidates if is_sentence(decisions[i].text)]
    if not best:
        best = [max(candidates, key=lambda i: decisions[i].score or 0.0)]
    out = list(decisions)
    for i in best:
        out[i] = LineDecision(True, decisions[i].text, cuts[i], score=decisions[i].score)
    return out


def page_bias(probs: npt.NDArray[np.float32], texts: Sequence[str], config: StripConfig) -> float:
    """The bias of this page's context pass: ``config.bias``, raised on a doubtful page (``config.page_cut``).

    The page's own cut (:func:`dedup.strip.classifier.page_cut`) only ever lowers the bar: a page whose
    lines all score below even keeps the best of them, while a clear page keeps the global bias
    (raising the bar there dropped isolated standfirsts and scored no better). The lift is at
    most ``MAX_PAGE_LIFT`` nats, so a page of lines all scored near 0 stays chrome.

    >>> page_bias(np.array([0.9, 0.3], dtype=np.float32), ["A long line of words here.", "Home"], StripConfig())
    -0.25
    >>> round(page_bias(np.array([0.4, 0.3], dtype=np.float32), ["Course content", "Fees"], StripConfig()), 2)
    0.6
    >>> round(page_bias(np.array([0.003, 0.01], dtype=np.float32), ["Home", "News"], StripConfig()), 2)
    2.75
    """
    if not config.page_cut:
        return config.bias
    words = np.array([count(WORD, t) for t in texts], dtype=np.float64)
    cut = min(max(page_cut(probs, words), 1e-3), 1 - 1e-3)
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
        words = count(WORD, text)
        if TITLE_WORDS[0] <= words <= TITLE_WORDS[1] and not text.endswith(".") and not BYLINE.match(text):
            out[live[pos]] = True
            break
    return out


def is_prose(text: str) -> bool:
    """At least ``PROSE_WORDS`` words and sentence-final punctuation: a paragraph, not a menu item."""
    return count(WORD, text) >= PROSE_WORDS and bool(SENTENCE_END.search(text))


def is_article_sentence(text: str) -> bool:
    """``ARTICLE_SENTENCE_WORDS`` words or more and sentence-final punctuation: more than a site's tagline.

    >>> is_article_sentence("R.B.L."), is_article_sentence("The club will publish its new results pages next month.")
    (False, True)
    """
    return count(WORD, text) >= ARTICLE_SENTENCE_WORDS and bool(SENTENCE_END.search(text))


def is_sentence(text: str) -> bool:
    """Three words or more and sentence-final punctuation.

    >>> is_sentence("Thank you very much!"), is_sentence("Read more"), is_sentence("Yes.")
    (True, False, False)
    """
    return count(WORD, text) >= 3 and bool(SENTENCE_END.search(text))


def classified(decision: LineDecision, keep: bool, prob: float) -> LineDecision:
    """``decision`` with the classifier's verdict and score attached."""
    if keep:
        return LineDecision(True, decision.text, decision.cuts, score=prob)
    if prob >= 0.5:
        return LineDecision(False, decision.text, (), "context", f"scored {prob:.2f} but its neighbours are chrome",
                            prob)  # fmt: skip
    return LineDecision(False, decision.text, (), "classifier", f"scored {prob:.2f} as article text", prob)


def apply_rules(
    lines: Sequence[str],
    decisions: list[LineDecision],
    scores: list[float | None],
    matches: Sequence[ChromeRule | None],
) -> list[LineDecision]:
    """Overrule the classifier where a chrome pattern matched (``matches``); cut the tail; empty an error page."""
    out = list(decisions)
    n = len(lines)
    after_body = opens_tail([count(WORD, t) for t in lines])
    tail_from: int | None = None
    for i, rule in enumerate(matches):
        if rule is None or (rule.kind == "last" and i < n - LAST_LINES):
            continue
        out[i] = LineDecision(False, decisions[i].text, (), f"chrome:{rule.name}", f"matches the {rule.name} pattern",
                              scores[i])  # fmt: skip
        if rule.kind == "tail" and tail_from is None and after_body[i]:
            tail_from = i
    if tail_from is not None:
        opener = lines[tail_from]
        for j in range(tail_from + 1, n):
            if out[j].keep or not out[j].rule.startswith("chrome:"):
                why = f"after {opener!r} (paragraph {tail_from}) that ends the article"
                out[j] = LineDecision(False, decisions[j].text, (), "chrome:tail", why, scores[j])
    return drop_error_page(lines, out, scores, matches)


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
    count = np.asarray(words, dtype=np.int64)
    prose = np.concatenate([[0], np.cumsum(np.where(count >= PROSE_WORDS, count, 0))])
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
    page_lang = language_of(d.text for d in decisions if d.keep)
    for text, at in repeated.items():
        repeats = len(at)
        if count(WORD, text) > ALT_MAX_WORDS or SENTENCE_END.search(text):
            continue
        before_caption = sum(i + 1 < len(decisions) and captions[i + 1] for i in at)
        lang = language(text)
        foreign = lang is not None and page_lang is not None and lang != page_lang
        if before_caption * 2 < repeats and not foreign:
            continue
        why = "before captions" if before_caption * 2 >= repeats else f"in {lang}, the page is in {page_lang}"
        for i in at:
            if out[i].keep or not out[i].rule.startswith("chrome:"):  # the rule's reason tells more
                out[i] = LineDecision(False, text, (), "chrome:repeated_alt", f"repeated {repeats} times, {why}",
                                      out[i].score)  # fmt: skip
    return out


def strip_paragraphs(paragraphs: Sequence[Paragraph], config: StripConfig) -> list[Paragraph]:
    """Strip one document's chrome: mark removed paragraphs, trim chrome spans in kept ones.

    Returns as many paragraphs as it was given, in the same order. Paragraphs an earlier stage
    removed are passed through untouched and not shown to the classifier.

    >>> from dedup.config import StripConfig
    >>> texts = ["Source: https://example.com/a", "A caption of the meeting in Hanoi (Photo: VNA)"]
    >>> ps = [Paragraph("d", i, i + 1, t) for i, t in enumerate(texts)]
    >>> out = strip_paragraphs(ps, StripConfig(classifier=False))
    >>> out[0].removed.rule, out[1].text, out[1].edits[0].removed
    ('chrome:source_url', 'A caption of the meeting in Hanoi', '(Photo: VNA)')
    """
    if not config.enabled:
        return list(paragraphs)
    live = [i for i, p in enumerate(paragraphs) if p.kept]
    decisions = decide_lines([paragraphs[i].text for i in live], config)
    out = list(paragraphs)
    for i, decision in zip(live, decisions, strict=True):
        p = paragraphs[i]
        if not decision.keep:
            out[i] = p.remove(Removal(stage="strip", rule=decision.rule, detail=decision.detail, score=decision.score))
            continue
        for cut in decision.cuts:
            p = p.edit(cut.text, Edit(step=f"strip:{cut.rule}", removed=cut.removed))
        out[i] = p
    return out
