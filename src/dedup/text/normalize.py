"""The canonical cleaner: repaired Unicode, NFC, clean spacing; idempotent.

One paragraph at a time, :func:`normalize_paragraph` applies these steps in order and records
every one that changed something (that record is what the report shows):

1. ``invisible``: NUL, zero-width spaces, word joiners, byte-order marks and soft hyphens go;
   ``surrogates``: a lone surrogate (which no encoding can write) becomes U+FFFD, and a pair of
   surrogates the character it encodes. Both happen with ``repair`` off too.
2. white space: every run of spaces, tabs and other Unicode spaces becomes one space; none at the
   ends. Not recorded: white space carries no content.
3. ``repair``: ftfy fixes mojibake, HTML entities, control characters, ligatures and
   full-width letters, on the text as steps 1-2 and 5 left it (and they repeat while ftfy finds more).
   ftfy runs at 8-25 MB/s, so it is skipped for text that it provably cannot change: no character
   one of its fixers acts on, already NFC, and nothing its mojibake detector can flag
   (:mod:`dedup.text._gate` says how; ``tests/text/test_gate.py`` proves it).
4. ``nfc``: Unicode normal form C.
5. ``punctuation_spacing``: no space before ``, . ; : ! ?`` ("Firstly , the" -> "Firstly, the"),
   both before step 3 and after step 4 (see :func:`normalize_paragraph`).

>>> normalize("Firstly , the visit\\u00a0was  a success .\\n\\n\\nIt was.")
'Firstly, the visit was a success.\\n\\nIt was.\\n'
>>> normalize("The top legislatorsâ€™ talks")
'The top legislators’ talks\\n'
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
import regex

from dedup._check import check_config, check_type
from dedup.config import CleanConfig
from dedup.records import Edit
from dedup.text._gate import needs_repair
from dedup.text.pieces import spans_at
from dedup.text.segment import segment

PLAIN_ASCII = regex.compile(r"[\t\x20-\x25\x27-\x7e]*+")
"""Text that ftfy leaves as it is: printable ASCII and tabs, without ``&`` (HTML entities).

The gate for text that ftfy fixes in segments (over :data:`FTFY_SEGMENT` characters): unlike
:func:`dedup.text._gate.needs_repair`, it holds for every segment of such text as it does for the whole."""

INVISIBLE = regex.compile(r"[\x00\u00ad\u200b\u2060\ufeff]+")
"""NUL, soft hyphen, zero-width space, word joiner, byte-order mark: invisible, never content."""

SURROGATE = regex.compile(r"[\ud800-\udfff]")
"""A UTF-16 surrogate code point: never a character on its own (``"\\ud800"`` in JSON makes one)."""

SPACE_RUN = regex.compile(r"[\p{Zs}\t\n\r\v\f\x85\u2028\u2029]+")
"""Any run of white space, Unicode spaces included (no-break, thin, ideographic...)."""

OTHER_SPACE = regex.compile(r"[[\p{Zs}\t\n\r\v\f\x85\u2028\u2029]--[ ]]", regex.V1)
"""White space other than the ASCII space: with double spaces, where :data:`SPACE_RUN` has work to do."""

OTHER_SPACES = "\t\n\v\f\r\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The characters of :data:`OTHER_SPACE`, listed for stdlib ``re`` (``tests/text`` checks the list against
``regex``'s Unicode tables over every code point)."""

TIDY_WORK = re.compile(f"[\x00\u00ad\u200b\u2060\ufeff\ud800-\udfff{OTHER_SPACES}]|  ")
"""Where :func:`_tidy` has more to do than strip the ends: an invisible character, a surrogate, white space
but the single ASCII space. Stdlib ``re``: it finds no match in a paragraph ten times sooner than ``regex``."""

SPACE_THEN_PUNCT = re.compile(r" [,.;:!?]")
"""Where :data:`SPACE_BEFORE_PUNCT` may have work to do (after white space became single spaces)."""

SPACE_BEFORE_PUNCT = regex.compile(
    r"(?<=[\p{L}\p{M}\p{N}\p{Pe}\p{Pf}\"'%])[\p{Zs}\t]+(?=[,.;:!?]++(?:[\p{Zs}\t\p{Pf}\"']|$))"
)
"""Spaces between a word (or closing bracket or quote) and the punctuation that ends a clause.

The punctuation must itself end there (space, closing quote, or the end), so ``.NET``, ``.5``
and ``:)`` are left alone.
"""

SPACE_CUT = regex.compile(
    r"(?<![\p{Zs}\t\n\r\v\f\x85\u2028\u2029])[\p{Zs}\t\n\r\v\f\x85\u2028\u2029]++(?![,.;:!?])"
)
"""A whole run of white space that no clause punctuation follows: where a huge paragraph is cut to be
substituted a piece at a time (no match of the patterns above spans it or looks across it)."""

MAX_REPAIR_PASSES = 4
"""ftfy passes over one paragraph at most; each further pass runs only if the last changed something."""

FTFY_SEGMENT = 1_000_000
"""Longest text given to ftfy's explaining mode in one call; longer text is fixed in segments."""


def _ftfy_config(config: CleanConfig) -> ftfy.TextFixerConfig:
    """ftfy's settings for our cleaner: line breaks are ours, quotes are kept unless asked."""
    return ftfy.TextFixerConfig(uncurl_quotes=config.uncurl_quotes, fix_line_breaks=False, normalization="NFC")


def _needs_repair(text: str, config: CleanConfig) -> bool:
    """Whether ftfy might change ``text``; see :func:`dedup.text._gate.needs_repair`.

    Text over :data:`FTFY_SEGMENT` characters, which ftfy fixes in segments, is skipped only if it is
    printable ASCII without ``&``.

    >>> _needs_repair("Plain words, numbers 1-2 and (brackets).", CleanConfig())
    False
    >>> _needs_repair("Tom &amp; Jerry", CleanConfig()), _needs_repair("cafÃ©", CleanConfig())
    (True, True)
    >>> _needs_repair("café", CleanConfig()), _needs_repair("“quoted”", CleanConfig(uncurl_quotes=True))
    (False, True)
    """
    if len(text) > FTFY_SEGMENT:
        return PLAIN_ASCII.fullmatch(text) is None
    return needs_repair(text, config.uncurl_quotes)


def _repair(text: str, config: CleanConfig) -> tuple[str, Edit | None]:
    """Run ftfy on ``text`` where it may need it; return the text and the edit, if any.

    >>> _repair("NÃºmero", CleanConfig())
    ('Número', Edit(step='repair', detail='encode latin-1, decode utf-8', removed=''))
    """
    if not _needs_repair(text, config):
        return text, None
    settings = _ftfy_config(config)
    if len(text) > FTFY_SEGMENT:
        fixed = _repair_long(text, settings)
        detail = "ftfy (long text, fixed in segments)"
    else:
        explained = ftfy.fix_and_explain(text, settings)
        fixed = explained.text
        detail = ", ".join(f"{action} {param}" for action, param in explained.explanation or ())
    if fixed == text:
        return text, None
    return fixed, Edit("repair", detail)


def _repair_long(text: str, settings: ftfy.TextFixerConfig) -> str:
    """``ftfy.fix_text(text, settings)``, building a new string only from the first segment ftfy changes.

    The segments are ftfy's (lines, cut every ``max_decode_length`` characters), and once one holds
    ``<`` the rest is read as HTML, as in ftfy, so the result is the same. ftfy itself keeps every
    fixed segment and then joins them: three copies of a 100 MB line where this holds one segment.

    >>> settings = ftfy.TextFixerConfig(max_decode_length=8)
    >>> _repair_long("plain old text", settings), _repair_long("a cafÃ© at the corner", settings)
    ('plain old text', 'a café at the corner')
    """
    fixed: list[str] | None = None
    pos, n = 0, len(text)
    while pos < n:
        end = min(text.find("\n", pos) + 1 or n, pos + settings.max_decode_length)
        part = text[pos:end]
        if settings.unescape_html == "auto" and "<" in part:
            settings = settings._replace(unescape_html=False)
        out = ftfy.fix_text(part, settings)
        if fixed is None and out != part:
            fixed = [text[:pos]]
        if fixed is not None:
            fixed.append(out)
        pos = end
    return text if fixed is None else "".join(fixed)


def _subn_long(pattern: regex.Pattern[str], repl: str, text: str) -> tuple[str, int]:
    """``pattern.subn(repl, text)``, a piece at a time on a huge paragraph (cut at :data:`SPACE_CUT`).

    ``regex`` builds a substitution's result from a list of every piece between matches: ten to
    fifteen times the text's size when the matches are many (a 100 MB line of no-break spaces).
    Pieces hold only a fraction of that, and an unchanged text is returned as it is.

    >>> _subn_long(SPACE_RUN, " ", "a\u00a0 b  c")
    ('a b c', 2)
    """
    parts: list[str] = []
    total = 0
    for start, end in spans_at(text, SPACE_CUT):
        part, changed = pattern.subn(repl, text[start:end])
        parts.append(part)
        total += changed
    return ("".join(parts) if total else text), total


def fix_surrogates(text: str) -> tuple[str, int, int]:
    """``text`` with surrogate pairs joined and lone surrogates replaced by U+FFFD, and how many of each.

    >>> fix_surrogates("a\\ud800b\\ud83d\\ude00")
    ('a\\ufffdb😀', 1, 1)
    """
    # Through UTF-16: a high-low pair decodes to its character, a lone surrogate to U+FFFD.
    fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    lone = fixed.count("\ufffd") - text.count("\ufffd")
    return fixed, lone, (len(SURROGATE.findall(text)) - lone) // 2


def _tidy(text: str, edits: list[Edit]) -> str:
    """Drop invisible characters, replace lone surrogates and fold white space; record the first two.

    >>> edits = []
    >>> _tidy(" a\u200b b\u00a0\u00a0c \\udc80", edits), [e.step for e in edits]
    ('a b c �', ['invisible', 'surrogates'])
    """
    if TIDY_WORK.search(text) is None:
        return text.strip(" ")
    text, count = _subn_long(INVISIBLE, "", text)
    if count:
        edits.append(Edit("invisible", f"{count} invisible character run(s) removed"))
    if SURROGATE.search(text):
        text, lone, pairs = fix_surrogates(text)
        edits.append(Edit("surrogates", f"{lone} lone surrogate(s) replaced with U+FFFD, {pairs} pair(s) joined"))
    # The cheap searches first: on long text the substitution costs seconds even when it changes nothing.
    if "  " in text or OTHER_SPACE.search(text):
        text = _subn_long(SPACE_RUN, " ", text)[0]
    return text.strip(" ")


def _space_punctuation(text: str, edits: list[Edit]) -> str:
    """Remove the spaces before clause-ending punctuation; record how many."""
    if SPACE_THEN_PUNCT.search(text):
        text, count = _subn_long(SPACE_BEFORE_PUNCT, "", text)
        if count:
            edits.append(Edit("punctuation_spacing", f"{count} space{'s' if count > 1 else ''} removed"))
    return text


def normalize_paragraph(text: str, config: CleanConfig | None = None) -> tuple[str, tuple[Edit, ...]]:
    """Canonical form of one paragraph and the record of the steps that changed it.

    The result is a single line with no surrounding space (empty if nothing but space was there).
    ftfy runs again on its own output until it changes nothing, because a repair can uncover
    another (mojibake of mojibake), so that the cleaner is idempotent. Spaces before punctuation go
    before each ftfy pass (ftfy reads ``"â€™Ä ."`` and ``"â€™Ä."`` differently) and after the last
    (a repair can make such a space: ``"word&nbsp;."``). ftfy runs at most :data:`MAX_REPAIR_PASSES`
    times, which bounds the time a hostile paragraph costs; a paragraph whose repairs still change
    it then (as many ``repair`` edits as passes: deeply nested mojibake, or a long chain of repairs
    each enabled by a removed space) may change again in a second call.

    >>> normalize_paragraph("  Second ,  the\tvisit ")
    ('Second, the visit', (Edit(step='punctuation_spacing', detail='1 space removed', removed=''),))
    """
    check_type("normalize_paragraph", "text", text, str)
    check_config("normalize_paragraph", config, CleanConfig)
    config = config or CleanConfig()
    edits: list[Edit] = []
    text = _tidy(text, edits)
    for _ in range(MAX_REPAIR_PASSES):
        if config.punctuation_spacing:
            text = _space_punctuation(text, edits)
        if not config.repair:
            break
        text, edit = _repair(text, config)
        if edit is None:
            break
        edits.append(edit)
        text = _tidy(text, edits)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        edits.append(Edit("nfc"))
    if config.punctuation_spacing:
        text = _space_punctuation(text, edits)
    return text, tuple(edits)


def normalize(text: str, config: CleanConfig | None = None) -> str:
    """The canonical cleaner on a whole text: paragraphs in canonical form, one blank line apart.

    Only repairs and re-spaces; it removes no paragraph (see :func:`dedup.clean_text` for that).
    The result ends with one newline, or is empty when the text has no visible character.
    ``normalize(normalize(x)) == normalize(x)`` for every ``x`` but pathological mojibake (see
    :func:`normalize_paragraph`).

    >>> normalize("  one\\r\\n\\r\\n\\r\\ntwo  ")
    'one\\n\\ntwo\\n'
    >>> normalize(" \\n\\t ")
    ''
    """
    check_type("normalize", "text", text, str)
    check_config("normalize", config, CleanConfig)
    config = config or CleanConfig()
    paragraphs = (normalize_paragraph(block.text, config)[0] for block in segment(text, config.unwrap))
    kept = [p for p in paragraphs if p]
    return "\n\n".join(kept) + "\n" if kept else ""
