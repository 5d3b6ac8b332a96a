"""The boilerplate stripper: remove site chrome from one page's paragraphs, keep the article.

Four passes, each recorded in the report:

1. **Trims** (:func:`~dedup.strip.rules.trim`): a photo credit ending a caption ("(Photo: TASS)") or a metadata
   prefix ("date 2025-09-30 ") is cut and the paragraph kept, with an :class:`~dedup.records.Edit`.
2. **Classifier** (:mod:`~dedup.strip.classifier`): bidirectional GRU taggers score each line from its features
   and those of every line above and below it; the context pass labels the page jointly, so a
   short line between article lines stays, and :func:`~dedup.strip.heuristics.rescue` keeps the
   title and short sentences at the article's edges.
   Removals say ``rule="classifier"`` with the line's score, or ``rule="context"`` when the line
   scored as article but its surroundings outvoted it. The classifier alone never empties a
   page: when nothing else is left, :func:`keep_best` gives back its sentences, else its best line.
3. **Chrome rules** (``data/chrome.txt``): paragraphs matching a pattern are removed whatever the
   classifier said (``rule="chrome:<name>"``); a comment counter or a "Same tag" / "Related"
   heading placed after the article's body also removes everything after it
   (``rule="chrome:tail"``); agency credits are removed only among the last paragraphs.
4. **Repeated alt text**: a short line repeated in the page right before captions, or in
   another language than the page, is image alt text (``rule="chrome:repeated_alt"``).

The page heuristics (a doubtful page's bias, the rescue, the tail, error pages, alt text) are in
:mod:`dedup.strip.heuristics`; site templates, which need many pages of one site, in
:mod:`dedup.strip.templates`.

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

import numpy as np
import numpy.typing as npt

from dedup.config import StripConfig
from dedup.records import Edit, Paragraph, Removal
from dedup.strip.classifier import LineModel, load_line_model, smooth
from dedup.strip.decision import LineDecision
from dedup.strip.features import page_features
from dedup.strip.heuristics import (
    drop_error_page,
    drop_repeated_alt,
    is_prose,
    is_sentence,
    opens_tail,
    page_bias,
    rescue,
)
from dedup.strip.rules import ChromeRule, Cut, load_rules, match_lines, trim_lines
from dedup.text import WORD_RE, count

LAST_LINES = 3
"""How many closing paragraphs an agency-credit rule ("last" kind) looks at."""


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
    cuts = trim_lines(lines, rules)
    texts = [c[-1].text if c else t for t, c in zip(lines, cuts, strict=True)]
    scores: list[float | None] = [None] * len(lines)
    decisions = [LineDecision(True, t, c) for t, c in zip(texts, cuts, strict=True)]
    matches = match_lines(lines, rules)
    if config.classifier and lines:
        model = load_line_model() if model is None else model
        words = None
        if features is None:
            features, words = page_features(texts, rules, ruled=_ruled(texts, cuts, matches, rules))
        probs = model.predict(features)
        keep = _classifier_keeps(probs, texts, [m is not None for m in matches], config, words)
        scores = [float(p) for p in probs]
        decisions = [_classified(d, k, float(p)) for d, k, p in zip(decisions, keep, probs, strict=True)]
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


def _ruled(
    texts: Sequence[str], cuts: Sequence[tuple[Cut, ...]], matches: Sequence[ChromeRule | None],
    rules: tuple[ChromeRule, ...],
) -> list[bool]:  # fmt: skip
    """Whether each trimmed line matches a whole-line rule (an untouched line reuses its match).

    >>> rules = load_rules()
    >>> _ruled(["Comment (0)", "Home"], [(), (Cut("x", "Hi", "Home"),)], [rules[0], None], rules)
    [True, False]
    """
    trimmed = [i for i, c in enumerate(cuts) if c]
    ruled = [m is not None for m in matches]
    for i, m in zip(trimmed, match_lines([texts[i] for i in trimmed], rules), strict=True):
        ruled[i] = m is not None
    return ruled


def _classifier_keeps(
    probs: npt.NDArray[np.float32], texts: Sequence[str], ruled: Sequence[bool], config: StripConfig,
    words: npt.NDArray[np.int64] | None = None,
) -> list[bool]:  # fmt: skip
    """Which lines the context pass keeps, given the classifier's ``probs``, with its fallbacks and rescue.

    ``ruled`` says which lines a whole-line chrome rule matched (they are skipped by the rescue);
    ``words`` are the texts' word counts, when known.
    """
    bias = page_bias(probs, texts, config, words)
    keep = smooth(probs, config.switch_cost, bias)
    if not any(keep):  # a lone article paragraph among hundreds of menu lines: its neighbours outvote it
        keep = [k and is_prose(t) for k, t in zip(smooth(probs, 0.0, bias), texts, strict=True)]
    if not any(keep):  # the classifier alone never empties a page: its sentences stay
        keep = [is_sentence(t) for t in texts]
    return rescue(texts, keep, [float(p) for p in probs], ruled)


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


def _classified(decision: LineDecision, keep: bool, prob: float) -> LineDecision:
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
    tails = any(rule is not None and rule.kind == "tail" for rule in matches)  # only a tail opener asks
    after_body = opens_tail([count(WORD_RE, t) for t in lines]) if tails else np.zeros(n, dtype=np.bool_)
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
