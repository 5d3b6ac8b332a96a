"""Numba kernels of the stripper: GRU recurrences over one page's lines, and the lines' measures.

The recurrence is sequential, so numpy would step it from Python, one call per line and
direction; here the whole loop is compiled (``cache=True``: only the first run after an install
pays the compile time). The equations and the gate order (reset, update, new) are PyTorch's
``nn.GRU``, which trains the weights. Cost: ``O(lines * 3 * hidden * hidden)`` per direction.

:func:`gru_states` runs one direction; :func:`gru_stack_states` runs every direction of an
ensemble in one call, with the same float32 operations on every element in the same order (so
the same bits), but with the recurrent product's inner loop over the gates, which the compiler
turns into vector instructions, instead of over the state.

:func:`measure_lines` measures every line of a page in one pass over its code points, for
:mod:`dedup.strip.measure` (which documents the scheme), with exact hashed token look-ups
(:func:`_find`) and :func:`exact_sum`, ``math.fsum`` compiled.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from dedup._jit import jit
from dedup.strip.arrays import CharTable, Page, Scratch, TokenTable


@jit(nogil=True)
def gru_states(gates_in: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray, reverse: bool, out: np.ndarray) -> None:
    """Write into ``out[t]`` the state after line ``t``, reading lines in order (or from the last when ``reverse``).

    ``gates_in`` holds each line's input contribution ``w_ih @ x + b_ih`` (shape ``(lines, 3 * hidden)``);
    ``w_hh`` is ``(3 * hidden, hidden)`` and ``b_hh`` ``(3 * hidden,)``. The state starts at zeros.
    """
    steps = gates_in.shape[0]
    hidden = w_hh.shape[1]
    h = np.zeros(hidden, dtype=np.float32)
    gh = np.zeros(3 * hidden, dtype=np.float32)
    for step in range(steps):
        t = steps - 1 - step if reverse else step
        for j in range(3 * hidden):
            acc = b_hh[j]
            for k in range(hidden):
                acc += w_hh[j, k] * h[k]
            gh[j] = acc
        for j in range(hidden):
            r = 1.0 / (1.0 + math.exp(-(gates_in[t, j] + gh[j])))
            z = 1.0 / (1.0 + math.exp(-(gates_in[t, hidden + j] + gh[hidden + j])))
            n = math.tanh(gates_in[t, 2 * hidden + j] + r * gh[2 * hidden + j])
            out[t, j] = n + z * (h[j] - n)
        for j in range(hidden):
            h[j] = out[t, j]


class GruStack(NamedTuple):
    """The recurrent weights of several GRU directions, stacked (direction ``d`` is row ``d``).

    Attributes:
        w_hh_t: recurrent weights transposed, shape ``(directions, hidden, 3 * hidden)``.
        b_hh: recurrent biases, shape ``(directions, 3 * hidden)``.
        reverse: whether direction ``d`` reads the lines from the last up, shape ``(directions,)``.
        member: which block of ``out`` direction ``d`` writes (see :func:`gru_stack_states`).
        column: where direction ``d``'s states start in a row of that block.
    """

    w_hh_t: NDArray[np.float32]
    b_hh: NDArray[np.float32]
    reverse: NDArray[np.bool_]
    member: NDArray[np.int64]
    column: NDArray[np.int64]


@jit(nogil=True)
def gru_stack_states(gates_in: np.ndarray, stack: GruStack, out: np.ndarray) -> None:
    """Run every direction of ``stack``: direction ``d``'s state after line ``t`` goes to ``out[stack.member[d], t]``.

    ``gates_in[d]`` holds direction ``d``'s input contributions ``w_ih @ x + b_ih`` (shape
    ``(directions, lines, 3 * hidden)``); its states go to columns ``stack.column[d]`` to
    ``stack.column[d] + hidden`` of ``out`` (shape ``(members, lines, width)``). Each state starts
    at zeros. Every element is computed as :func:`gru_states` computes it, so the results are the same.
    """
    directions, steps, gates = gates_in.shape
    hidden = gates // 3
    h = np.zeros(hidden, dtype=np.float32)
    gh = np.zeros(gates, dtype=np.float32)
    for d in range(directions):
        w, b, m, col = stack.w_hh_t[d], stack.b_hh[d], stack.member[d], stack.column[d]
        h[:] = 0.0
        for step in range(steps):
            t = steps - 1 - step if stack.reverse[d] else step
            for j in range(gates):
                gh[j] = b[j]
            for k in range(hidden):  # gh[j] accumulates w[j, k] * h[k] in the order of k, as gru_states does
                hk = h[k]
                for j in range(gates):
                    gh[j] += w[k, j] * hk
            g = gates_in[d, t]
            for j in range(hidden):
                r = 1.0 / (1.0 + math.exp(-(g[j] + gh[j])))
                z = 1.0 / (1.0 + math.exp(-(g[hidden + j] + gh[hidden + j])))
                n = math.tanh(g[2 * hidden + j] + r * gh[2 * hidden + j])
                out[m, t, col + j] = n + z * (h[j] - n)
            for j in range(hidden):
                h[j] = out[m, t, col + j]


# Line measures (dedup.strip.measure). The class flags of dedup.strip.chars are defined here: a kernel file
# reads no other file's constants (numba caches a kernel keyed on its own file only).
WORD, LETTER, CAPITAL, NUMBER, PUNCT, SPACE, DECIMAL, MARK = 1, 2, 4, 8, 16, 32, 64, 128
CLOSER, QUOTE, SEPARATOR, SLASH, BULLET, PY_UPPER, PY_LOWER, PY_BLOCK = 256, 512, 1024, 2048, 4096, 8192, 16384, 32768
NO_LOWER = np.uint32(0xFFFFFFFF)
"""``CharTable.lower`` of a code point whose ``str.lower`` is not one code point, or depends on its neighbours."""
# The columns of LineCounts.counts.
(N_CHARS, N_WORDS, N_WORD_CHARS, N_STOPS, N_LETTERS, N_CAPITALISED, N_DIGITS, N_UPPER, N_PUNCT, N_MARKS,
 N_SEPARATORS, ENDS_SENTENCE, ENDS_COLON, ENDS_QUESTION, ALL_CAPS, IS_BULLET, HAS_QUOTE, STARTS_LOWER,
 URL_HINT, DATE_HINT, MONTH_HINT, NEEDS_REFERENCE) = range(22)  # fmt: skip
HINTS = (32, 45, 46, 47, 58, 64)
"""The characters that :func:`_hints` looks around: space, ``-``, ``.``, ``/``, ``:``, ``@``."""
MONTHS = tuple(ord(m[0]) * 65536 + ord(m[1]) * 256 + ord(m[2]) for m in
               ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))  # fmt: skip
LONG_S = 0x17F
""""ſ", the one character other than ASCII letters that a month's letters match ignoring case (``(?i)s``)."""
HASH_SEED, HASH_PRIME, S33 = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3), np.uint64(33)
MIX_1, MIX_2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)


@jit(nogil=True)
def _step(h: np.uint64, cp: int) -> np.uint64:
    """The hash state ``h`` after one more code point (FNV-1a over code points)."""
    return (h ^ np.uint64(cp)) * HASH_PRIME


@jit(nogil=True)
def _mix(h: np.uint64) -> np.uint64:
    """A token's hash from its final state (murmur3's finaliser: every bit of the state counts in a slot)."""
    h = (h ^ (h >> S33)) * MIX_1
    h = (h ^ (h >> S33)) * MIX_2
    return h ^ (h >> S33)


@jit(nogil=True)
def fill_token_table(table: TokenTable) -> None:
    """Hash every token of ``table`` into ``hashes`` and ``slots`` (all -1 before). ``O(code points)`` expected."""
    mask = np.uint64(table.slots.size - 1)
    for k in range(table.offsets.size - 1):
        h = HASH_SEED
        for i in range(table.offsets[k], table.offsets[k + 1]):
            h = _step(h, table.cps[i])
        table.hashes[k] = h = _mix(h)
        slot = h & mask
        while table.slots[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        table.slots[slot] = k


@jit(nogil=True)
def _find(table: TokenTable, h: np.uint64, head: np.ndarray, head_len: int, glue: int, tail: np.ndarray,
          tail_len: int) -> int:  # fmt: skip
    """The number in ``table`` of the token ``head[:head_len] + glue + tail[:tail_len]`` (no glue when -1),
    whose hash is ``h``, or -1 when it is none. ``O(token)`` expected.

    A hash match is confirmed code point by code point: a collision costs a comparison, never a wrong answer."""
    n = head_len + (glue >= 0) + tail_len
    mask = np.uint64(table.slots.size - 1)
    slot = h & mask
    while table.slots[slot] >= 0:
        k = table.slots[slot]
        a = table.offsets[k]
        if table.hashes[k] == h and table.offsets[k + 1] - a == n:
            same = glue < 0 or table.cps[a + head_len] == glue
            for i in range(head_len):
                same &= table.cps[a + i] == head[i]
            for i in range(tail_len):
                same &= table.cps[a + n - tail_len + i] == tail[i]
            if same:
                return int(k)
        slot = (slot + np.uint64(1)) & mask
    return -1


@jit(nogil=True)
def exact_sum(values: np.ndarray, n: int, partials: np.ndarray) -> float:
    """``math.fsum(values[:n])``: the correctly rounded sum, the same in any order; NaN when it is not finite.

    Shewchuk's exact partials: each value is added into non-overlapping partial sums (at most about 40
    for float64), which are then added from the largest down, stopping at the first inexact step, with
    the correction that makes a tie round to even across partials. NaN: a value was not finite or an
    intermediate sum overflowed (``math.fsum`` returns inf or NaN or raises: ask it). ``partials`` holds
    ``n`` values. ``O(n * partials)``.
    """
    m = 0
    for k in range(n):
        x = values[k]
        i = 0
        for j in range(m):
            y = partials[j]
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo != 0.0:
                partials[i] = lo
                i += 1
            x = hi
        m = i
        if x != 0.0:
            if not math.isfinite(x):
                return math.nan
            partials[m] = x
            m += 1
    if m == 0:
        return 0.0
    m -= 1
    hi, lo = partials[m], 0.0
    while m > 0:
        x = hi
        m -= 1
        y = partials[m]
        hi = x + y
        lo = y - (hi - x)
        if lo != 0.0:
            break
    if m > 0 and ((lo < 0.0 and partials[m - 1] < 0.0) or (lo > 0.0 and partials[m - 1] > 0.0)):
        y = lo * 2.0
        x = hi + y
        if y == x - hi:
            hi = x
    return float(hi)


@jit(nogil=True)
def _shape_counts(cps: np.ndarray, chars: CharTable, s: int, e: int, row: np.ndarray) -> None:
    """The counts of line ``cps[s:e]`` that its characters' classes give, into ``row``. ``O(e - s)``."""
    classes, lower = chars.classes, chars.lower
    prev = 0  # the previous character's flags; none before the line: no lookbehind sees the line before
    words = word_chars = letters = upper = capitalised = digits = punct = marks = separators = 0
    quote = blocked = cased = special = False
    for i in range(s, e):
        f = classes[cps[i]]
        special |= lower[cps[i]] == NO_LOWER
        starts_word = prev & WORD == 0
        word_chars += f & WORD != 0
        words += f & WORD != 0 and starts_word
        letters += f & LETTER != 0
        upper += f & CAPITAL != 0
        capitalised += f & CAPITAL != 0 and starts_word
        digits += f & NUMBER != 0
        punct += f & PUNCT != 0
        marks += f & MARK != 0 and (i + 1 == e or classes[cps[i + 1]] & SPACE != 0)
        separators += f & SEPARATOR != 0
        if f & SLASH and prev & SPACE:  # a run of / and > between white space is one separator
            j = i
            while j < e and classes[cps[j]] & SLASH:
                j += 1
            separators += j < e and classes[cps[j]] & SPACE != 0
        quote |= f & QUOTE != 0
        blocked |= f & PY_BLOCK != 0
        cased |= f & PY_UPPER != 0
        if f & (PUNCT | SPACE) and (cps[i] != 32 or (i + 1 < e and classes[cps[i + 1]] & DECIMAL)) and cps[i] in HINTS:
            _hints(cps, classes, lower, (i, s, e), row)  # a space only before a digit: the rest never hint
        prev = f
    row[N_CHARS], row[N_WORDS], row[N_WORD_CHARS], row[N_LETTERS] = e - s, words, word_chars, letters
    row[N_UPPER], row[N_CAPITALISED], row[N_DIGITS], row[N_PUNCT] = upper, capitalised, digits, punct
    row[N_MARKS], row[N_SEPARATORS], row[HAS_QUOTE], row[NEEDS_REFERENCE] = marks, separators, quote, special
    if e > s:
        first, last = classes[cps[s]], cps[e - 1]
        row[ENDS_COLON], row[ENDS_QUESTION] = last == 58, last == 63  # ":", "?"
        row[ALL_CAPS] = first & PY_UPPER != 0 if e - s == 1 else cased and not blocked
        row[IS_BULLET] = e - s > 1 and first & BULLET != 0 and classes[cps[s + 1]] & SPACE != 0
        row[STARTS_LOWER] = first & PY_LOWER != 0
        ends = _ends_sentence(cps, classes, s, e) or (last == 10 and _ends_sentence(cps, classes, s, e - 1))
        row[ENDS_SENTENCE] = ends  # "$" is the end, or before a "\n" that ends the line


@jit(nogil=True)
def _hints(cps: np.ndarray, classes: np.ndarray, low: np.ndarray, at: tuple[int, int, int], row: np.ndarray) -> None:
    """Set the hints in ``row`` that character ``i`` of line ``cps[s:e]`` (``at``), one of ``HINTS``, gives:
    what every match holds of the URL patterns (``@``, ``:/``, ``.c``, ``.o``, ``.n``, ``.h``, ``www.``), of
    the numeric dates (digit, one of ``/.-:``, digit) and of the month dates (a word that starts as a month,
    maybe ``.``, a space, a digit: a match starts at a ``\\b`` and runs on word characters to the ``.`` or
    space). ``O(1)``, or ``O(word)`` at a space before a digit."""
    (i, s, e), c = at, cps[at[0]]
    after = cps[i + 1] if i + 1 < e else 0
    before = cps[i - 1] if i > s else 0
    www = i - s >= 3 and low[cps[i - 1]] == 119 and low[cps[i - 2]] == 119 and low[cps[i - 3]] == 119
    row[URL_HINT] |= c == 64 or (c == 58 and after == 47) or (c == 46 and (low[after] in (99, 104, 110, 111) or www))
    digits = classes[before] & DECIMAL != 0 and classes[after] & DECIMAL != 0
    row[DATE_HINT] |= c != 32 and digits
    if c == 32 and classes[after] & DECIMAL and i - s >= 3:  # "Sept. 3": a word, maybe ".", " ", a digit
        row[MONTH_HINT] |= _month_word(cps, classes, low, s, i - 1 - (before == 46))


@jit(nogil=True)
def _month_word(cps: np.ndarray, classes: np.ndarray, lower: np.ndarray, s: int, j: int) -> bool:
    """Whether the word (run of ``\\w``) that ends at ``j`` starts with a month's three letters, in any case
    (``LONG_S`` as ``s``, as ``regex`` matches it). ``O(word)``."""
    w = j + 1
    while w > s and classes[cps[w - 1]] & WORD:
        w -= 1
    key = 0
    if j + 1 - w < 3:
        return False
    for q in range(w, w + 3):
        low = 115 if cps[q] == LONG_S else lower[cps[q]]
        key = key * 256 + (low if low < 128 else 0)
    for month in MONTHS:  # noqa: SIM110 (numba compiles no generator)
        if key == month:
            return True
    return False


@jit(nogil=True)
def _ends_sentence(cps: np.ndarray, classes: np.ndarray, s: int, e: int) -> bool:
    """Whether ``cps[s:e]`` ends with a sentence mark and then only closing quotes or brackets. ``O(e - s)``."""
    j = e - 1
    while j >= s and classes[cps[j]] & CLOSER:
        j -= 1
    return j >= s and classes[cps[j]] & MARK != 0


@jit(nogil=True)
def _stop_count(page: Page, line: int, chars: CharTable, stops: TokenTable, buf: np.ndarray) -> int:
    """How many words of the lower-cased line ``line`` are tokens of ``stops``. ``O(line length)`` expected."""
    n, mask = 0, np.uint64(stops.slots.size - 1)
    i, e = page.starts[line], page.ends[line]
    while i < e:
        length, h = 0, HASH_SEED
        while i < e and chars.classes[chars.lower[page.cps[i]]] & WORD:  # a word of the lower-cased line
            low = chars.lower[page.cps[i]]
            if length < stops.max_len:
                buf[length] = low
            length, i, h = length + 1, i + 1, _step(h, low)
        h = _mix(h)
        if 0 < length <= stops.max_len and stops.slots[h & mask] >= 0:  # an empty slot: surely no stopword
            n += _find(stops, h, buf, 0, -1, buf, length) >= 0
        i += length == 0
    return n


@jit(nogil=True)
def _add_hit(seen: np.ndarray, hits: np.ndarray, values: np.ndarray, k: int, line: int, n_hits: int) -> int:
    """Add the weight of token ``k`` to ``hits[:n_hits]`` once per line (``k`` -1: none); the new count."""
    if k < 0 or seen[k] == line:
        return n_hits
    seen[k] = line
    hits[n_hits] = values[k]
    return n_hits + 1


@jit(nogil=True)
def _lexicon_score(page: Page, line: int, chars: CharTable, lexicon: TokenTable, scratch: Scratch) -> float:
    """``Lexicon.score`` of line ``line`` (words lower-cased, digits as "0", ``^first``, ``last$``, bigrams).

    Each word's hash and that of its bigram (or ``^first``) are streamed as its characters are read;
    a token whose slot is empty needs no look-up. ``O(line length)`` expected, ``O(tokens * partials)`` the sum."""
    word, prev, cap, mask = scratch.word, scratch.prev, lexicon.max_len, np.uint64(lexicon.slots.size - 1)
    slots, seen, hits, values = lexicon.slots, scratch.seen, scratch.hits, lexicon.values
    n_hits, prev_len, prev_state = 1, -1, HASH_SEED
    i, e = page.starts[line], page.ends[line]
    while i < e:
        length, state = 0, HASH_SEED
        pair = _step(prev_state, 32) if prev_len >= 0 else _step(HASH_SEED, 94)  # "a b", or "^first"
        while i < e and chars.classes[page.cps[i]] & WORD:
            low = chars.lower[page.cps[i]]
            cp = 48 if chars.classes[low] & DECIMAL else low  # "0"
            if length < cap:
                word[length] = cp
            length, i, state, pair = length + 1, i + 1, _step(state, cp), _step(pair, cp)
        if length == 0:
            i += 1
            continue
        h, head_len = _mix(state), max(prev_len, 0)
        if length <= cap and slots[h & mask] >= 0:
            n_hits = _add_hit(seen, hits, values, _find(lexicon, h, word, 0, -1, word, length), line, n_hits)
        h, glue = _mix(pair), 32 if prev_len >= 0 else 94
        if head_len + 1 + length <= cap and slots[h & mask] >= 0:
            n_hits = _add_hit(seen, hits, values, _find(lexicon, h, prev, head_len, glue, word, length), line, n_hits)
        word, prev, prev_len, prev_state = prev, word, length, state
    h = _mix(_step(prev_state, 36))  # "last$"
    if 0 <= prev_len < cap and slots[h & mask] >= 0:
        n_hits = _add_hit(seen, hits, values, _find(lexicon, h, prev, prev_len, 36, prev, 0), line, n_hits)
    return exact_sum(scratch.hits, n_hits, scratch.partials)


@jit(nogil=True)
def measure_lines(page: Page, chars: CharTable, stops: TokenTable, lexicon: TokenTable, scratch: Scratch,
                  counts: np.ndarray, scores: np.ndarray) -> None:  # fmt: skip
    """Write line ``i``'s counts (:func:`_shape_counts`, stopwords) to ``counts[i]`` (zero before) and its
    lexicon score to ``scores[i]``. ``scratch.seen`` is -1 before, ``hits[0]`` the bias; ``word``, ``prev``
    and ``token`` hold the longest token of ``lexicon`` and ``stops``, ``hits`` and ``partials`` a line's
    distinct tokens and 2 more. A line with a code point whose lower case is not one code point gets
    ``NEEDS_REFERENCE`` instead of its stopwords and score. ``O(code points)`` expected."""
    for line in range(page.starts.size):
        s, e = page.starts[line], page.ends[line]
        _shape_counts(page.cps, chars, s, e, counts[line])
        if counts[line, NEEDS_REFERENCE] == 0:
            counts[line, N_STOPS] = _stop_count(page, line, chars, stops, scratch.token)
            scores[line] = _lexicon_score(page, line, chars, lexicon, scratch)
