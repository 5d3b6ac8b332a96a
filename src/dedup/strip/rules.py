"""Site chrome patterns: whole-paragraph rules and spans trimmed inside kept paragraphs.

The patterns are data (``data/chrome.txt``), read once; this module parses them and answers
two questions about a paragraph: is it chrome (and by which rule), and which chrome spans at
its start or end should be cut while the rest is kept.

>>> rules = load_rules()
>>> match_line("Comment (0)", rules).name
'comment_counter'
>>> match_line("by NDO 29/09/2025, 02:00", rules).name
'byline_date'
>>> match_line("The talks centred on energy.", rules) is None
True
>>> trim("A meeting in Hanoi (Photo: TASS)", rules)
(Cut(rule='photo_credit', removed='(Photo: TASS)', text='A meeting in Hanoi'),)

:func:`match_line` and :func:`trim` try each rule in turn. For a whole page, :func:`match_lines` and
:func:`trim_lines` give the same answers faster: a rule is tried on a line only when the line has what
every match of the rule has (:mod:`~dedup.strip.shapes`), so most lines try few rules.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast, get_args

import numpy as np
import numpy.typing as npt
import regex

from dedup._resources import read_text
from dedup.errors import DataFileError
from dedup.strip.shapes import ANY, Shape, fold_exceptions, line_starts, lines_holding, pattern_shape

RuleKind = Literal["line", "tail", "last", "page", "trim_start", "trim_end"]
"""Where a rule applies; see ``data/chrome.txt`` for the meaning of each kind."""

LINE_KINDS: frozenset[str] = frozenset({"line", "tail", "last", "page"})
TRIM_KINDS: frozenset[str] = frozenset({"trim_start", "trim_end"})
MAX_RULE_CHARS = 5_000
"""Whole-line rules are tried on lines up to this many characters only. Chrome is short (of 325,000
evaluation lines, the longest a rule matched had 606 characters), and on a long line that almost
fits (a menu of 100,000 items, "a.a.a...") the backtracking of ``menu_list`` and ``site_header``
takes time quadratic in its length: 40 s for a 1 MB line."""
RULE_FLAGS = regex.IGNORECASE | regex.VERSION0
"""The flags every rule is compiled with."""
_COMPILED_FLAGS = regex.compile("", RULE_FLAGS).flags
SECTION_RE = regex.compile(r"^\[(?P<name>[a-z_]+)\s+(?P<kind>[a-z_]+)\]$")


class ChromeRulesError(DataFileError):
    """The chrome pattern file is malformed (unknown kind, bad regex, pattern outside a section)."""


@dataclass(frozen=True, slots=True)
class ChromeRule:
    """One named chrome rule: its kind and its compiled patterns joined in one alternation.

    Attributes:
        name: the rule's name, reported as ``chrome:<name>``.
        kind: where the rule applies (whole line, tail opener, last lines, or a trimmed span).
        pattern: the compiled, case-insensitive alternation of the rule's patterns.
    """

    name: str
    kind: RuleKind
    pattern: regex.Pattern[str]


@dataclass(frozen=True, slots=True)
class Cut:
    """A chrome span cut from a kept paragraph: the rule, the characters removed, the text left."""

    rule: str
    removed: str
    text: str


def parse_rules(text: str) -> tuple[ChromeRule, ...]:
    """Parse the chrome pattern format: ``[name kind]`` sections of one regex per line.

    Raises:
        ChromeRulesError: naming the line number and the offending text.

    >>> [r.name for r in parse_rules("# c\\n[sep line]\\n[;|]+\\n")]
    ['sep']
    >>> try:
    ...     parse_rules("[x maybe]\\n")
    ... except ChromeRulesError as exc:
    ...     print(exc)
    line 1: unknown rule kind 'maybe' (expected one of line, tail, last, page, trim_start, trim_end)
    """
    sections: list[tuple[str, RuleKind, list[str]]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = SECTION_RE.match(line)
        if header:
            kind = header["kind"]
            if kind not in get_args(RuleKind):
                allowed = ", ".join(get_args(RuleKind))
                raise ChromeRulesError(f"line {number}: unknown rule kind {kind!r} (expected one of {allowed})")
            sections.append((header["name"], cast(RuleKind, kind), []))
        elif not sections:
            raise ChromeRulesError(f"line {number}: pattern {line!r} outside a [name kind] section")
        else:
            sections[-1][2].append(line)
    return tuple(_compile_rule(name, kind, patterns) for name, kind, patterns in sections)


def _compile_rule(name: str, kind: RuleKind, patterns: list[str]) -> ChromeRule:
    """Compile a rule's patterns, anchored as its kind requires."""
    body = "|".join(f"(?:{p})" for p in patterns)
    anchored = {"trim_start": f"^(?:{body})", "trim_end": f"(?:{body})$"}.get(kind, f"^(?:{body})$")
    try:
        pattern = regex.compile(anchored, RULE_FLAGS)
    except regex.error as exc:
        raise ChromeRulesError(f"rule {name!r}: bad pattern: {exc}") from exc
    return ChromeRule(name, kind, pattern)


@functools.cache
def load_rules() -> tuple[ChromeRule, ...]:
    """The package's chrome rules, parsed once from ``data/chrome.txt``."""
    return parse_rules(read_text("chrome.txt"))


def match_line(text: str, rules: tuple[ChromeRule, ...]) -> ChromeRule | None:
    """The first whole-paragraph rule (kind line, tail or last) that ``text`` matches, if any.

    Lines over ``MAX_RULE_CHARS`` characters match no rule.

    >>> match_line("12 comments", load_rules()).kind
    'tail'
    >>> match_line(" | ".join(["Home"] * 2000), load_rules()) is None
    True
    """
    if len(text) > MAX_RULE_CHARS:
        return None
    for rule in rules:
        if rule.kind in LINE_KINDS and rule.pattern.match(text):
            return rule
    return None


def trim(text: str, rules: tuple[ChromeRule, ...]) -> tuple[Cut, ...]:
    """The chrome spans to cut at the start and end of ``text``, in the order they apply.

    Each cut names its rule, the characters removed and the text left after it; the last cut's
    text is the trimmed paragraph. A cut that would leave fewer than three words is not made.

    >>> [(c.rule, c.removed, c.text) for c in trim("date 2025-09-30 Vietnam hopes for more.", load_rules())]
    [('metadata_prefix', 'date 2025-09-30', 'Vietnam hopes for more.')]
    >>> trim("The talks went well.", load_rules())
    ()
    """
    cuts: list[Cut] = []
    for rule in rules:
        if rule.kind in TRIM_KINDS and (cut := _cut(text, rule)) is not None:
            cuts.append(cut)
            text = cut.text
    return tuple(cuts)


def _cut(text: str, rule: ChromeRule) -> Cut | None:
    """The cut ``rule`` makes in ``text``, if any: a span it finds, when three words or more are left."""
    found = rule.pattern.search(text)
    if found is None or found.end() == found.start():
        return None
    rest = (text[: found.start()] + text[found.end() :]).strip()
    if len(rest.split(maxsplit=2)) < 3:  # three words or more, without listing a huge line's words
        return None
    return Cut(rule.name, found.group().strip(), rest)


@dataclass(frozen=True, slots=True)
class Step:
    """One try of a line against whole-line rules: one rule, or a run of rules joined in one pattern.

    Attributes:
        pattern: the rule's pattern, or ``(p0)|(p1)|...`` of the run's (the group that took part names the rule).
        rules: the rule, or the run's rules in order.
        least: the fewest characters a line it matches has.
        most: the most characters a line it matches has (``inf``: no bound).
        needs: for a rule whose attempts cost (a ``wide`` shape), strings one of which a line it matches holds.
    """

    pattern: regex.Pattern[str]
    rules: tuple[ChromeRule, ...]
    least: int
    most: float
    needs: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules made ready for whole pages: the whole-line and the trim rules, in order, with their shapes.

    Attributes:
        lines: the whole-line rules (kinds line, tail, last, page), each with the :class:`Shape` of its matches.
        steps: the whole-line rules as the :class:`Step` s a line goes through, in order.
        trims: the trim rules (trim_start, trim_end), each with its shape.
        unfolded: characters whose casefold the shapes cannot trust; a page with one is not screened.
    """

    lines: tuple[tuple[ChromeRule, Shape], ...]
    steps: tuple[Step, ...]
    trims: tuple[tuple[ChromeRule, Shape], ...]
    unfolded: frozenset[str]


@functools.cache
def rule_set(rules: tuple[ChromeRule, ...]) -> RuleSet:
    """The :class:`RuleSet` of ``rules``, made once per tuple of rules.

    >>> ready = rule_set(load_rules())
    >>> [rule.name for rule, _ in ready.trims]
    ['metadata_prefix', 'photo_credit']
    >>> [len(step.rules) for step in ready.steps][:4]
    [1, 2, 1, 4]
    """
    shaped = [(rule, pattern_shape(rule.pattern.pattern, rule.pattern.flags)) for rule in rules]
    lines = tuple((r, s) for r, s in shaped if r.kind in LINE_KINDS)
    return RuleSet(lines, _steps(lines), tuple((r, s) for r, s in shaped if r.kind in TRIM_KINDS),
                   fold_exceptions(s for _, s in shaped))  # fmt: skip


def _steps(pairs: tuple[tuple[ChromeRule, Shape], ...]) -> tuple[Step, ...]:
    """The steps of whole-line rules: a screened rule alone, runs of the others joined where they can be."""
    steps: list[Step] = []
    run: list[tuple[ChromeRule, Shape]] = []
    for rule, shape in pairs:
        if _joinable(rule, shape):
            run.append((rule, shape))
            continue
        steps.extend(_joined(run))
        run = []
        steps.append(_step(rule, shape))
    steps.extend(_joined(run))
    return tuple(steps)


def _screened(shape: Shape) -> bool:
    """Whether lines are screened for a rule of this shape: its attempts cost, and its matches need strings
    that few lines hold. A two-character string ("co", "de") is in about half the lines of a page and
    costs a scan of the page to look for: on the 10 MB corpus, screening ``site_header`` took 0.15 s
    and trying it on every line 0.04 s. (A single character is looked for fast, and three rarely match.)"""
    return shape.wide and shape.needs is not None and all(len(s) != 2 for s in shape.needs)


def _joinable(rule: ChromeRule, shape: Shape) -> bool:
    """Whether a rule may join a run: not screened, no groups of its own (the wrapper group that takes part
    names the rule), the usual flags, and a source the shape reader understood (no inline flags)."""
    return not _screened(shape) and rule.pattern.groups == 0 and rule.pattern.flags == _COMPILED_FLAGS and (
        shape is not ANY)  # fmt: skip


def _most(shape: Shape) -> float:
    """The most characters a line a rule of this shape matches may have (``$`` may stand before a final newline)."""
    return shape.max_len + 1 if shape.whole and shape.max_len is not None else math.inf


def _step(rule: ChromeRule, shape: Shape) -> Step:
    return Step(rule.pattern, (rule,), shape.min_len, _most(shape), shape.needs if _screened(shape) else None)


def _joined(run: list[tuple[ChromeRule, Shape]]) -> list[Step]:
    """A run of rules as one step: an alternation tries its branches in order at the same position, so the
    first rule that matches wins, as in :func:`match_line`."""
    if len(run) < 2:
        return [_step(rule, shape) for rule, shape in run]
    joined = regex.compile("|".join(f"({rule.pattern.pattern})" for rule, _ in run), RULE_FLAGS)
    least, most = min(s.min_len for _, s in run), max(_most(s) for _, s in run)
    return [Step(joined, tuple(rule for rule, _ in run), least, most, None)]


def match_lines(texts: Sequence[str], rules: tuple[ChromeRule, ...]) -> list[ChromeRule | None]:
    """:func:`match_line` of every text of a page, each rule tried only where it may match.

    Step by step rather than line by line: a step's length bounds and needed strings are checked
    for the whole page at once (:func:`~dedup.strip.shapes.lines_holding`), and its pattern is
    tried on the lines that pass and no earlier step matched, so the first rule that matches wins.

    >>> [r and r.name for r in match_lines(["Comment (0)", "The talks went well.", "Home | News | Sport"],
    ...                                    load_rules())]
    ['comment_counter', None, 'menu_list']
    """
    ready = rule_set(rules)
    if _unfolded(texts, ready.unfolded):
        return [match_line(t, rules) for t in texts]
    page, starts, lengths = _folded_page(texts)
    live = lengths <= MAX_RULE_CHARS
    out: list[ChromeRule | None] = [None] * len(texts)
    for step in ready.steps:
        may = live & (lengths >= step.least) & (lengths <= step.most)
        if step.needs is not None and may.any():
            may &= lines_holding(page, starts, step.needs)
        match, first, single = step.pattern.match, step.rules[0], len(step.rules) == 1
        for i in np.flatnonzero(may).tolist():
            found = match(texts[i])
            if found is not None:
                out[i] = first if single else step.rules[cast(int, found.lastindex) - 1]
                live[i] = False
    return out


def _folded_page(texts: Sequence[str]) -> tuple[str, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The casefolded texts joined by newlines, where each starts there, and each text's length."""
    folded = [t.casefold() for t in texts]
    return "\n".join(folded), line_starts(folded), np.fromiter(map(len, texts), np.int64, len(texts))


def _unfolded(texts: Sequence[str], chars: frozenset[str]) -> bool:
    """Whether a text holds one of ``chars`` (whose casefold the shapes cannot trust)."""
    if not chars:
        return False
    joined = "\n".join(texts)
    return any(c in joined for c in chars)


def trim_lines(texts: Sequence[str], rules: tuple[ChromeRule, ...]) -> list[tuple[Cut, ...]]:
    """:func:`trim` of every text of a page, each rule tried only where it may find a span.

    Rule by rule, as :func:`match_lines` goes step by step; a text a rule has cut is tried on every
    later rule unscreened (the cut may have brought together a needed string the page did not hold).

    >>> trim_lines(["The talks went well.", "A meeting in Hanoi (Photo: TASS)"], load_rules())[1][0].text
    'A meeting in Hanoi'
    """
    ready = rule_set(rules)
    if _unfolded(texts, ready.unfolded):
        return [trim(t, rules) for t in texts]
    page, starts, lengths = _folded_page(texts)
    current = list(texts)
    cuts: dict[int, list[Cut]] = {}
    for rule, shape in ready.trims:
        may = lengths >= shape.min_len
        if _screened(shape) and may.any():
            may &= lines_holding(page, starts, shape.needs or ())
        for i in sorted(cuts.keys() | set(np.flatnonzero(may).tolist())):
            if (cut := _cut(current[i], rule)) is not None:
                cuts.setdefault(i, []).append(cut)
                current[i] = cut.text
    return [tuple(cuts[i]) if i in cuts else () for i in range(len(texts))]
