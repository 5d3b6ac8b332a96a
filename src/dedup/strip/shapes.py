"""What every match of a chrome pattern has: bounds on its length and strings one of which it contains.

Most lines of a page match no chrome rule, and trying a rule whose pattern opens with ``.{0,200}``
costs a backtrack per character of the line. :func:`pattern_shape` reads a pattern's source (the
part of ``regex`` syntax that ``data/chrome.txt`` uses) and derives a necessary condition for a
match, a :class:`Shape`; a line that fails it cannot match, so the rule is not tried. Whatever the
reader does not know (a flag group, a named character, a nested set) makes the whole pattern's shape
say "maybe" (:data:`ANY`): the condition may be weak, never wrong.

A shape's strings are compared casefolded (``str.casefold``), which agrees with the ``regex``
module's case-insensitive matching for nearly every character. :func:`fold_exceptions` finds, once
per rule set, the characters where it does not ("İ" matches "i" but folds to "i̇"); a line holding
one of them skips the screen.

>>> shape = pattern_shape(r"^(?:.{0,100}\\bcookie (?:policy|settings)\\b.{0,200})$")
>>> shape.min_len, shape.max_len, sorted(shape.needs or ())
(13, 315, ['cookie '])
>>> shape.admits("Read our cookie policy", "read our cookie policy"), shape.admits("Cookies", "cookies")
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import regex

__all__ = ["ANY", "Shape", "fold_exceptions", "line_starts", "lines_holding", "pattern_shape"]

_CLASS_ESCAPES = frozenset("dDsSwW")
_ZERO_WIDTH_ESCAPES = frozenset("bBAZ")
_CONTROL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}
_QUANTIFIER_RE = regex.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_PROPERTY_RE = regex.compile(r"\{[\w\s=:&.-]+\}")


@dataclass(frozen=True, slots=True)
class Shape:
    """A necessary condition for a pattern to match.

    Attributes:
        min_len: no match is shorter.
        max_len: no match is longer (``None``: unbounded).
        needs: every match contains one of these strings, casefolded (``None``: nothing known).
        whole: the pattern opens with ``^`` and ends with ``$``: a match spans the text (but a final newline).
        chars: the pattern's own characters behind ``needs``, before casefolding (see :func:`fold_exceptions`).
        wide: a branch opens with a repetition (``.{0,200}``, ``[^|]{1,32}``) that a failing attempt
            backtracks through: trying the pattern costs more than screening a line for it.
    """

    min_len: int = 0
    max_len: int | None = None
    needs: frozenset[str] | None = None
    whole: bool = False
    chars: str = ""
    wide: bool = False

    def admits(self, text: str, folded: str) -> bool:
        """Whether ``text`` (``folded`` is its casefold) may hold a match; ``False`` means it cannot.

        Exact only for a ``text`` without :func:`fold_exceptions` characters and for ``pattern.match``
        or ``pattern.search`` without position arguments.

        >>> Shape(2, 5, frozenset({"ab"}), whole=True).admits("xAbx", "xabx")
        True
        >>> Shape(2, 5, frozenset({"ab"}), whole=True).admits("xAbxxxx", "xabxxxx")
        False
        """
        n = len(text)
        if n < self.min_len or (self.whole and self.max_len is not None and n > self.max_len + 1):
            return False
        return self.needs is None or any(s in folded for s in self.needs)


ANY = Shape()
"""The shape that admits every text: what a pattern the reader does not understand gets."""


class _UnsupportedSyntaxError(Exception):
    """The pattern uses syntax the reader does not know; its shape is :data:`ANY`."""


@dataclass(frozen=True, slots=True)
class _Piece:
    """The shape of one part of a pattern; ``literal`` is set when it matches exactly those characters."""

    lo: int
    hi: int | None
    needs: frozenset[str] | None = None
    literal: str | None = None
    anchor: str = ""
    wide: bool = False


_EMPTY = _Piece(0, 0)


def pattern_shape(source: str, flags: int = regex.IGNORECASE | regex.VERSION0) -> Shape:
    """The :class:`Shape` of a pattern's ``source``, compiled with ``flags``; :data:`ANY` when unsure.

    >>> pattern_shape(r"^(?:(?:no|0) comments?)$")
    Shape(min_len=9, max_len=11, needs=frozenset({' comment'}), whole=True, chars=' cemnot', wide=False)
    >>> pattern_shape(r"(?x)^a$") is ANY, pattern_shape(r"^(?:a)$", regex.I | regex.M) is ANY
    (True, True)
    """
    if flags & ~(regex.IGNORECASE | regex.VERSION0 | regex.UNICODE):
        return ANY
    try:
        reader = _Reader(source)
        branches = reader.alternation()
        if reader.pos != len(source):
            raise _UnsupportedSyntaxError(source[reader.pos :])
    except _UnsupportedSyntaxError:
        return ANY
    piece = _alternative([_sequence(b) for b in branches])
    ends = (branches[0][0].anchor, branches[0][-1].anchor) if len(branches) == 1 and branches[0] else ("", "")
    whole = ends == ("^", "$")
    if piece.needs is None:
        return Shape(piece.lo, piece.hi, None, whole, wide=piece.wide)
    chars = "".join(sorted({c for s in piece.needs for c in s}))
    folded = {s.casefold() for s in piece.needs}
    needs = frozenset(s for s in folded if not any(t != s and t in s for t in folded))  # the same condition
    return Shape(piece.lo, piece.hi, needs, whole, chars, piece.wide)


class _Reader:
    """A recursive-descent reader of pattern source into pieces."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.groups: dict[int, _Piece] = {}
        self.opened = 0

    def peek(self, k: int = 0) -> str:
        return self.src[self.pos + k] if self.pos + k < len(self.src) else ""

    def alternation(self) -> list[list[_Piece]]:
        """Branches up to an unmatched ``)`` or the end, each a list of pieces."""
        branches = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence())
        return branches

    def sequence(self) -> list[_Piece]:
        pieces: list[_Piece] = []
        while self.peek() not in ("", "|", ")"):
            pieces.append(self.quantified(self.atom()))
        return pieces

    def quantified(self, piece: _Piece) -> _Piece:
        """``piece`` under the quantifier that follows it, if any."""
        c = self.peek()
        if c in ("?", "*", "+"):
            self.pos += 1
            lo, hi = {"?": (0, 1), "*": (0, None), "+": (1, None)}[c]
        elif c == "{":
            found = _QUANTIFIER_RE.match(self.src, self.pos)
            if found is None or not (found[1] or found[3]):
                raise _UnsupportedSyntaxError("{")
            self.pos = found.end()
            lo = int(found[1] or 0)
            hi = lo if found[2] is None else (int(found[3]) if found[3] else None)
        else:
            return piece
        if self.peek() in ("?", "+"):  # lazy or possessive: the same matches, tried in another order
            self.pos += 1
        if self.peek() in ("?", "*", "+", "{"):
            raise _UnsupportedSyntaxError("a repeated quantifier")
        return _repeat(piece, lo, hi)

    def atom(self) -> _Piece:
        c = self.peek()
        self.pos += 1
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_set()
        if c == "\\":
            return self.escape()
        if c == ".":
            return _Piece(1, 1)
        if c in ("^", "$"):
            return _Piece(0, 0, anchor=c)
        if c in ("*", "+", "?", "{"):
            raise _UnsupportedSyntaxError(c)
        return _char(c)

    def group(self) -> _Piece:
        """A group after its ``(``: non-capturing, capturing, atomic or a lookaround."""
        head = self.src[self.pos : self.pos + 4]
        number = None
        if head.startswith(("?:", "?>")):
            self.pos += 2
        elif head.startswith(("?=", "?!", "?<=", "?<!")):
            self.pos += 2 if head[1] in "=!" else 3
            self.alternation()
            self.close()
            return _EMPTY  # a lookaround consumes nothing
        elif head.startswith("?"):
            raise _UnsupportedSyntaxError(head)  # named groups, flags, comments, branch resets
        else:
            self.opened += 1
            number = self.opened
        piece = _alternative([_sequence(b) for b in self.alternation()])
        self.close()
        if number is not None:
            self.groups[number] = piece
        return piece

    def close(self) -> None:
        if self.peek() != ")":
            raise _UnsupportedSyntaxError("an unclosed group")
        self.pos += 1

    def escape(self) -> _Piece:
        """An escape after its backslash."""
        c = self.peek()
        self.pos += 1
        if c in _CLASS_ESCAPES:
            return _Piece(1, 1)
        if c in _ZERO_WIDTH_ESCAPES:
            return _EMPTY
        if c in ("p", "P"):
            self.property()
            return _Piece(1, 1)
        if c.isdigit() and c != "0":
            digits = regex.match(r"\d*", self.src, pos=self.pos)
            assert digits is not None
            self.pos = digits.end()
            group = self.groups.get(int(c + digits[0]))
            if group is None:
                raise _UnsupportedSyntaxError("a reference to an open or unknown group")
            return _Piece(0, group.hi)
        if c in _CONTROL_ESCAPES:
            return _char(_CONTROL_ESCAPES[c])
        if c == "" or c.isalnum() or c == "_":
            raise _UnsupportedSyntaxError("\\" + c)
        return _char(c)

    def property(self) -> None:
        """Skip a property name after ``\\p`` or ``\\P``: ``{L}``, ``{Script=Latin}`` or one letter."""
        found = _PROPERTY_RE.match(self.src, self.pos)
        if found is not None:
            self.pos = found.end()
        elif self.peek().isalpha():
            self.pos += 1
        else:
            raise _UnsupportedSyntaxError("\\p")

    def char_set(self) -> _Piece:
        """A set after its ``[``: one character; its members are the needs when all are plain characters."""
        negated = self.peek() == "^"
        self.pos += negated
        if self.peek() == "]":
            raise _UnsupportedSyntaxError("a set opening with ]")
        members: set[str] = set()
        plain = not negated
        while (c := self.peek()) != "]":
            self.pos += 1
            if c in ("", "["):
                raise _UnsupportedSyntaxError("a nested or unclosed set")
            if c == "\\":
                e = self.peek()
                self.pos += 1
                if e in _CLASS_ESCAPES:
                    plain = False
                elif e in ("p", "P"):
                    self.property()
                    plain = False
                elif e == "" or e.isalnum() or e == "_":
                    raise _UnsupportedSyntaxError("\\" + e)
                else:
                    members.add(e)
            elif c == "-" and members and self.peek() != "]":
                plain = False  # a range
            else:
                members.add(c)
        self.pos += 1
        return _Piece(1, 1, frozenset(members) if plain and members else None)


def _char(c: str) -> _Piece:
    return _Piece(1, 1, frozenset({c}), c)


def _repeat(piece: _Piece, lo: int, hi: int | None) -> _Piece:
    """``piece`` repeated ``lo`` to ``hi`` times."""
    top = 0 if piece.hi == 0 or hi == 0 else (None if piece.hi is None or hi is None else piece.hi * hi)
    wide = piece.wide or (piece.literal is None and (hi is None or hi - lo >= 2))
    return _Piece(piece.lo * lo, top, piece.needs if lo >= 1 else None, wide=wide)


def _sequence(pieces: list[_Piece]) -> _Piece:
    """Pieces one after the other: adjacent literal characters form a run that every match contains."""
    candidates = [p.needs for p in pieces if p.needs is not None]
    run = ""
    for p in [*pieces, _EMPTY]:
        if p.literal is not None:
            run += p.literal
        elif run:
            candidates.append(frozenset({run}))
            run = ""
    lo = sum(p.lo for p in pieces)
    his = [p.hi for p in pieces]
    hi = None if None in his else sum(h for h in his if h is not None)
    literal = "".join(p.literal for p in pieces if p.literal is not None)
    whole_literal = literal if pieces and all(p.literal is not None for p in pieces) else None
    wide = next((p.wide for p in pieces if p.hi != 0), False)
    return _Piece(lo, hi, max(candidates, key=_selectivity, default=None), whole_literal, wide=wide)


def _alternative(branches: list[_Piece]) -> _Piece:
    """One of several branches: the needs of all of them together, or nothing when one needs nothing."""
    if len(branches) == 1:
        return branches[0]
    his = [b.hi for b in branches]
    hi = None if None in his else max(h for h in his if h is not None)
    needs = [b.needs for b in branches]
    union = None if any(n is None for n in needs) else frozenset().union(*(n for n in needs if n is not None))
    return _Piece(min(b.lo for b in branches), hi, union, wide=any(b.wide for b in branches))


def _selectivity(needs: frozenset[str]) -> tuple[int, int]:
    """Prefer needs whose shortest string is longest, then fewer strings."""
    return (min(len(s) for s in needs), -len(needs))


def fold_exceptions(shapes: Iterable[Shape], flags: int = regex.IGNORECASE | regex.VERSION0) -> frozenset[str]:
    """The characters that match a needed character under ``flags`` but casefold otherwise.

    A text holding one of them skips the screen. One scan of every code point, per rule set.

    >>> sorted(fold_exceptions([Shape(needs=frozenset({"in"}), chars="in")]))
    ['İ']
    """
    chars = sorted({c for s in shapes for c in s.chars})
    if not chars:
        return frozenset()
    code_points = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    members = "".join(regex.escape(c) for c in chars)
    near = "".join(sorted(set(regex.findall(f"[{members}]", code_points, flags))))
    out: set[str] = set()
    for c in chars:
        out.update(m for m in regex.findall(regex.escape(c), near, flags) if m.casefold() != c.casefold())
    return frozenset(out)


def line_starts(folded: Sequence[str]) -> npt.NDArray[np.int64]:
    """Where each of ``folded`` starts in ``"\\n".join(folded)``.

    >>> line_starts(["ab", "", "c"]).tolist()
    [0, 3, 4]
    """
    ends = np.cumsum(np.fromiter(map(len, folded), np.int64, len(folded)) + 1)
    return np.concatenate([np.zeros(1, np.int64), ends[:-1]])


def lines_holding(page: str, starts: npt.NDArray[np.int64], needs: Iterable[str]) -> npt.NDArray[np.bool_]:
    """Which lines of ``page`` (lines joined by newlines, starting at ``starts``) hold one of ``needs``.

    One ``str.find`` scan of the page per string, skipping to the next line once a line holds it:
    the cost is the page's length per string plus one step per line that holds it. A string found
    across a newline marks the line it starts in, which the screen allows (it may be weak, never wrong).

    >>> page = "\\n".join(["a cookie", "home", "cookies"])
    >>> lines_holding(page, line_starts(page.split("\\n")), ["cookie"]).tolist()
    [True, False, True]
    """
    hits: list[int] = []
    find = page.find
    for need in needs:
        at = find(need)
        while at >= 0:
            hits.append(at)
            end = find("\n", at)
            if end < 0:
                break
            at = find(need, end + 1)
    held = np.zeros(len(starts), dtype=np.bool_)
    held[np.searchsorted(starts, np.array(hits, dtype=np.int64), "right") - 1] = True
    return held
