"""The stripper's page heuristics: tail openers and repeated alt text against plain references, on hostile pages too."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from dedup.strip.decision import LineDecision
from dedup.strip.features import SENTENCE_END_RE, language
from dedup.strip.heuristics import ALT_MAX_WORDS, PROSE_WORDS, TAIL_BODY_SHARE, drop_repeated_alt, opens_tail
from dedup.text import WORD_RE

# --- plain references: the heuristics as first written, quadratic on purpose ---


def reference_opens_tail(words: Sequence[int], at: int) -> bool:
    before = sum(w for w in words[:at] if w >= PROSE_WORDS)
    after = sum(w for w in words[at + 1 :] if w >= PROSE_WORDS)
    return before > 0 and after <= TAIL_BODY_SHARE * before


def reference_repeated_alt(decisions: list[LineDecision], min_repeats: int, captions: Sequence[bool]):
    counts = Counter(d.text for d in decisions)
    out = list(decisions)
    page_lang = language(" ".join(d.text for d in decisions if d.keep))
    for text in [t for t, c in counts.items() if c >= min_repeats]:
        count = counts[text]
        if len(WORD_RE.findall(text)) > ALT_MAX_WORDS or SENTENCE_END_RE.search(text):
            continue
        at = [i for i, d in enumerate(decisions) if d.text == text]
        before_caption = sum(i + 1 < len(decisions) and captions[i + 1] for i in at)
        lang = language(text)
        foreign = lang is not None and page_lang is not None and lang != page_lang
        if before_caption * 2 < count and not foreign:
            continue
        why = "before captions" if before_caption * 2 >= count else f"in {lang}, the page is in {page_lang}"
        for i in at:
            if out[i].keep or not out[i].rule.startswith("chrome:"):
                out[i] = LineDecision(False, text, (), "chrome:repeated_alt", f"repeated {count} times, {why}",
                                      out[i].score)  # fmt: skip
    return out


ALT_TEXTS = ["Ảnh minh họa", "Photo of the day", "the cat", "Bầu không khí mới", "A sentence here.", "Volodin",
             "Der Hund und die Katze", "A caption of the meeting", " ".join(["word"] * 13)]  # fmt: skip
RULES = ["", "classifier", "context", "chrome:share"]

decision = st.builds(
    lambda text, keep, rule: LineDecision(keep, text, (), "" if keep else rule, score=0.5),
    st.sampled_from(ALT_TEXTS), st.booleans(), st.sampled_from(RULES[1:]),
)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(decision, st.booleans()), max_size=25), st.integers(1, 4))
def test_repeated_alt_decides_as_the_plain_reference(page, min_repeats):
    decisions, captions = [d for d, _ in page], [c for _, c in page]
    assert drop_repeated_alt(decisions, min_repeats, captions) == reference_repeated_alt(
        decisions, min_repeats, captions
    )


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.integers(0, 80), max_size=30))
def test_tail_openers_are_judged_as_the_plain_reference(words):
    assert opens_tail(words).tolist() == [reference_opens_tail(words, i) for i in range(len(words))]


def test_many_repeated_short_lines_take_linear_time():
    """51k lines, each short text three times (17k repeated texts): once 30 s and more, now well under a second."""
    decisions = [LineDecision(True, f"Item {i // 3}") for i in range(51_000)]
    captions = [i % 3 != 0 for i in range(51_000)]
    start = time.process_time()
    out = drop_repeated_alt(decisions, 3, captions)
    assert time.process_time() - start < 2.0
    assert {d.rule for d in out} == {"chrome:repeated_alt"}
