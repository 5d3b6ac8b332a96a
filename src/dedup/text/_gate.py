"""Whether ftfy can change a paragraph: an exact gate, so that ftfy runs only where it may have work.

ftfy (``fix_and_explain`` on one segment, with our settings: ``fix_line_breaks`` off, NFC, curly
quotes kept unless asked) runs its fixers in order and stops after a pass that changes nothing.
So when no fixer can change the text, ftfy returns it as it is, with no explanation steps. Each
fixer can change text only under a condition that is cheap to test:

- ``unescape_html`` needs an entity (``&`` letters or digits ``;``); ``remove_terminal_escapes`` needs ESC;
- ``fix_c1_controls`` needs a C1 control (U+80-U+9F); ``fix_surrogates`` a surrogate;
- ``fix_latin_ligatures``, ``fix_character_width`` and ``remove_control_chars`` translate single
  characters: Latin ligatures and digraphs, U+3000 and the half- and full-width forms
  (U+FF01-U+FFEF), ASCII controls but tab, LF, FF and CR, U+206A-U+206F, U+FEFF, U+FFF9-U+FFFC;
- ``uncurl_quotes`` (when asked) needs U+02BC or U+2018-U+201F;
- NFC needs text that is not already in NFC (``unicodedata.is_normalized`` says so exactly);
- ``fix_encoding`` (with its transcoders ``restore_byte_a0``, ``replace_lossy_sequences`` and
  ``decode_inconsistent_utf8``) does nothing to text that ftfy's ``badness.is_bad`` finds clean.

:data:`ENTITY` and :data:`TOUCHED` cover the first three lines. ``is_bad`` costs half of what ftfy
does, so it runs only on text where it can match: each of its patterns needs a character of
:data:`MOJIBAKE_HINT` (signs, marks, box drawing, accented capitals), or an accented small letter
next to typographic quotes (:data:`MOJIBAKE_PAIR`). ``tests/text/test_gate.py`` proves both sets from
ftfy's own tables and patterns, and checks the whole gate against ftfy on random and real text.

>>> needs_repair("Việt Nam, Россия, 東京 and “quotes”", uncurl_quotes=False)
False
>>> needs_repair("a cafÃ© menu", False), needs_repair("ﬁne", False), needs_repair("e\\u0301", False)
(True, True, True)
"""

from __future__ import annotations

import re
import unicodedata

from ftfy.badness import is_bad

TOUCHED = re.compile(
    r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\u206a-\u206f\u3000"
    r"\ud800-\udfff\ufb00-\ufb06\ufeff\uff01-\uffef\ufff9-\ufffc]"
)
"""Every character that ``remove_terminal_escapes``, ``fix_c1_controls``, ``fix_surrogates``,
``fix_latin_ligatures``, ``fix_character_width`` or ``remove_control_chars`` changes.

Stdlib ``re``, not ``regex``, for the character classes of this module: ``regex`` takes ten times as
long to find no match of a long class in a paragraph."""

ENTITY = re.compile(r"&[#0-9A-Za-z]+;")
"""What ``unescape_html`` decodes is of this form (``&amp;``, ``&#8217;``); a bare ``&`` is left."""

CURLY_QUOTE = re.compile(r"[\u02bc\u2018-\u201f]")
"""What ``uncurl_quotes`` straightens, when it is asked to."""

_SIGNS = (
    r"\x80-\x9f\xa2-\xa8\xaa\xac\xae-\xba\xbc-\xbe\xd7\xf7\u0192\u02c6\u02c7\u02d8\u02db\u02dc\u02dd"
    r"\u201a\u2020\u2021\u2030\u2044\u20a7\u20ac\u2116\u2122\u2202\u2206\u220f\u2211\u221a\u221e\u2229"
    r"\u222b\u2248\u2260\u2261\u2264\u2265\u2310\u2502-\u2593\u25ca\ufffd"
)
"""Signs that mojibake is made of: C1 controls, Latin-1 signs, ƒ, spacing accents, the low single quote
(MacRoman mojibake starts with it), daggers, per mille, currency, maths, box drawing and U+FFFD."""

_EXTENDED_A = [chr(code) for code in range(0x100, 0x180)]

_CAPITALS = r"\xc0-\xd1\xd8-\xdd\u0153\u0402\u0490" + "".join(c for c in _EXTENDED_A if c.isupper())
"""Accented Latin capitals (and Ù, œ, Ђ, Ґ; Latin Extended-A's by their case)."""

_SMALL = r"\xdf-\xf1\xfc\u0491\ufb01\ufb02" + "".join(c for c in _EXTENDED_A if c.islower())
"""Accented Latin small letters (and ґ, ﬁ, ﬂ; Latin Extended-A's by their case)."""

_QUOTES = r"\xa1\xa9\xab\xae\xbb\xbf\u02dd\u0384\u0385\u2018\u201a\u201c-\u201e\u2022\u2039\u203a\u2122\uf8ff"
"""Opening and closing punctuation (quotes, guillemets, ©, ®, ™, bullet...)."""

_BEFORE_QUOTE = r"\u0392\u0393\u039e\u039f\u0412\u0413\u0420\u0421"
"""The Greek and Cyrillic capitals (Β Γ Ξ Ο, В Г Р С) that start windows-1253 and -1251 mojibake."""

MOJIBAKE_HINT = re.compile(f"[{_SIGNS}{_CAPITALS}]")
"""A character without which no pattern of ftfy's ``badness`` but the accent-quote ones can match."""

MOJIBAKE_PAIR = re.compile(f"[{_SMALL}{_BEFORE_QUOTE}][{_QUOTES}]|[{_QUOTES}][{_SMALL}]")
"""Punctuation of :data:`_QUOTES` after an accented small letter or a capital of :data:`_BEFORE_QUOTE`, or
before an accented small letter (``é”``, ``В“``, ``»à``): the other patterns of ftfy's ``badness``."""


def may_be_mojibake(text: str) -> bool:
    """Whether ftfy's ``badness.is_bad`` can find mojibake in ``text``: exactly what it finds.

    >>> may_be_mojibake("naïve “quotes” – fine"), may_be_mojibake("legislatorsâ€™")
    (False, True)
    """
    if MOJIBAKE_HINT.search(text) is None and MOJIBAKE_PAIR.search(text) is None:
        return False
    return is_bad(text)


def needs_repair(text: str, uncurl_quotes: bool) -> bool:
    """Whether ftfy's ``fix_and_explain`` with our settings may change ``text`` (one segment, no LF).

    ``False`` is a proof that it would not; ``True`` means it may (and usually does).

    >>> needs_repair("Plain words, numbers 1-2 and (brackets).", uncurl_quotes=False)
    False
    >>> needs_repair("Tom &amp; Jerry", False), needs_repair("“quoted”", True)
    (True, True)
    """
    if TOUCHED.search(text) is not None or ("&" in text and ENTITY.search(text) is not None):
        return True
    if uncurl_quotes and CURLY_QUOTE.search(text) is not None:
        return True
    if text.isascii():  # always in NFC, and every mojibake pattern needs a character beyond ASCII
        return False
    return not unicodedata.is_normalized("NFC", text) or may_be_mojibake(text)
