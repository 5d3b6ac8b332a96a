"""Hostile input to every public entry point: odd Unicode, odd ids, wrong types.

The contract under test: for a value of the right type the library answers (no exception at all), the
same way twice, with text that holds no lone surrogate and no NUL; for a wrong type or value it
raises a :class:`~dedup.errors.DedupError`, never anything else. ``normalize`` is idempotent, and
so is ``clean_text`` with the stripper off (the stripper's classifier looks at context, which its
own removals change).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dedup
from budget import examples
from dedup.config import CleanConfig, Config, DedupConfig, MinHashConfig, StripConfig
from dedup.errors import DedupError
from dedup.text.normalize import MAX_REPAIR_PASSES
from dedup.text.segment import BLANK, LINE_BREAK

FUZZ = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
"""For the cheap entry points (a few milliseconds a call)."""

PIPELINE = settings(FUZZ, max_examples=examples(15))
"""For the pipeline and the finder: every call pays about 0.15 s for the near-duplicate step's set-up."""

SPECIAL = [
    *"\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x80\x85\x9f"  # NUL and other control characters, C1 included
    "\t\n\r \u00a0\u2028\u2029\u3000\u200b\u200d\u2060\ufeff\u00ad"  # white space and invisibles
    "\u0301\u0300\u0327\u20dd\u0e31\u093f"  # combining marks
    "\u202e\u202d\u200f\u061c\u05d0\u05d1\u0627\u0644"  # bidi controls, Hebrew, Arabic
    "東京タワー中文한국어ไทย"  # unsegmented scripts
    "\ud800\udbff\udc00\udfff"  # lone surrogates
    "\ufffd\ufffe\uffff\U0010ffff\U0001f600"  # replacement, noncharacters, astral
    ",.;:!?&\"'“”’«»()[]#@/\\",
    *["Ã©", "â€™", "&amp;", "&#0;", "&#xD800;", "&#x1;", "\r\n", "\n\n", "\ud83d\ude00", "ﬁ", "Ｆｕｌｌ"],
]

PIECES = st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL))
"""Any code point (lone surrogates too), with the troublesome characters and sequences drawn often."""


def hostile(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """Strings of up to ``max_size`` pieces."""
    return st.lists(PIECES, min_size=min_size, max_size=max_size).map("".join)


WORDS = st.sampled_from(["The", "visit", "was", "a", "success", "said", "minister", "Hanoi", "Moscow", "—"])

SENTENCE = st.lists(WORDS, min_size=4, max_size=14).map(" ".join)

TEXT = st.one_of(
    hostile(120),
    st.lists(st.one_of(SENTENCE, hostile(30)), max_size=8).map("\n".join),
    st.lists(st.one_of(SENTENCE, hostile(30)), max_size=6).map("\n\n".join),
    st.sampled_from(["", " ", "\n", "\t \n\r\n \u3000", "\x00", "\ud800", "\u0301", "\ufeff\u200b"]),
    st.tuples(hostile(4, min_size=1), st.integers(1000, 20_000)).map(lambda t: t[0] * t[1]),
    st.tuples(SENTENCE, st.integers(20, 300)).map(lambda t: "\n".join([t[0]] * t[1])),
    st.integers(1, 100_000).map(lambda n: "a" * n),  # one very long word
)
"""Hostile text: arbitrary Unicode, empty, only white space, huge repeats, one very long word."""

IDS = st.one_of(
    hostile(20),
    st.sampled_from(["", "../x", "/etc/passwd", "a/../../b", "C:\\x", "a\x00b", "\ud800", "-", "."]),
    st.integers(1, 5000).map(lambda n: "i" * n),
)
"""Hostile document ids: any str, path-like ones included. The library never uses them as paths."""

CONFIGS = st.sampled_from(
    [
        Config(),
        Config(clean=CleanConfig(repair=False, punctuation_spacing=False)),
        Config(clean=CleanConfig(unwrap="always", uncurl_quotes=True)),
        Config(clean=CleanConfig(unwrap="never"), strip=StripConfig(enabled=False)),
        Config(minhash=MinHashConfig(hashfunc="sha1", unsegmented="runs", ngram=1)),
        Config(dedup=DedupConfig(order="input", across_documents=False, min_shingles=1)),
    ]
)

WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(max_size=8),
    st.builds(bytearray, st.binary(max_size=4)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(object),
    st.builds(lambda: np.zeros(2)),
)
"""Values that no text, list of texts or config argument accepts."""


def clean(text: str) -> bool:
    """Whether ``text`` holds no lone surrogate and no NUL."""
    return "\x00" not in text and not any(0xD800 <= ord(c) < 0xE000 for c in text)


def used_up(edits: tuple[dedup.Edit, ...]) -> bool:
    """Whether a paragraph's record shows that it used up the cleaner's ftfy passes: the one documented way
    (pathological mojibake) for the cleaner not to be idempotent."""
    return sum(e.step == "repair" for e in edits) >= MAX_REPAIR_PASSES


def exhausted(text: str, config: CleanConfig) -> bool:
    """Whether some paragraph of ``text`` used up the cleaner's ftfy passes."""
    return any(used_up(dedup.normalize_paragraph(b.text, config)[1]) for b in dedup.text.segment(text, config.unwrap))


def twice(fn: Callable[[], Any]) -> Any:
    """``fn()``, after checking that a second call gives the same result (deterministic)."""
    first, second = fn(), fn()
    if isinstance(first, np.ndarray):
        assert np.array_equal(first, second)
    elif isinstance(first, tuple) and first and isinstance(first[0], np.ndarray):
        assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    else:
        assert first == second
    return first


@FUZZ
@given(TEXT, CONFIGS)
def test_normalize(text: str, config: Config) -> None:
    out = twice(lambda: dedup.text.normalize(text, config.clean))
    assert isinstance(out, str)
    assert clean(out)
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    assert dedup.text.normalize(out, config.clean) == out or exhausted(text, config.clean)


@FUZZ
@given(TEXT, CONFIGS)
def test_normalize_paragraph(text: str, config: Config) -> None:
    out, edits = twice(lambda: dedup.normalize_paragraph(text, config.clean))
    assert isinstance(out, str)
    assert clean(out)
    assert all(isinstance(e, dedup.Edit) for e in edits)
    assert "\n" not in out
    assert dedup.normalize_paragraph(out, config.clean)[0] == out or used_up(edits)


@PIPELINE
@given(TEXT, CONFIGS)
def test_clean_text(text: str, config: Config) -> None:
    out = twice(lambda: dedup.clean_text(text, config))
    assert isinstance(out, str)
    assert clean(out)
    if not config.strip.enabled:
        assert dedup.clean_text(out, config) == out or exhausted(text, config.clean)


@PIPELINE
@given(st.lists(st.tuples(IDS, TEXT), max_size=6, unique_by=lambda doc: doc[0]), CONFIGS)
def test_clean_documents(docs: list[tuple[str, str]], config: Config) -> None:
    out = twice(lambda: dedup.clean_documents(docs, config))
    assert [d.id for d in out] == [d for d, _ in docs]
    for doc in out:
        assert clean(doc.text)
        json.dumps(doc.report())  # the report is JSON-ready, whatever the id


@FUZZ
@given(TEXT, st.sampled_from(["auto", "never", "always"]))
def test_segment(text: str, unwrap: str) -> None:
    blocks = twice(lambda: dedup.text.segment(text, unwrap))  # type: ignore[arg-type]
    lines = [b.line for b in blocks]
    assert lines == sorted(lines)
    assert all(b.line >= 1 and b.text and not BLANK.fullmatch(b.text) for b in blocks)
    assert not any(LINE_BREAK.search(b.text) for b in blocks)  # a paragraph is one line, joined or not


@FUZZ
@given(TEXT, st.sampled_from(["chars", "runs"]))
def test_tokenize_agrees_with_the_kernels(text: str, unsegmented: str) -> None:
    tokens = twice(lambda: dedup.tokenize(text, unsegmented=unsegmented))  # type: ignore[arg-type]
    assert all(isinstance(t, str) and t and clean(t) for t in tokens)
    from_tokens = dedup.signatures_from_tokens([tokens], num_perm=16)
    assert np.array_equal(from_tokens, dedup.signatures([text], num_perm=16, unsegmented=unsegmented))  # type: ignore[arg-type]


@FUZZ
@given(st.lists(TEXT, max_size=6), st.sampled_from([MinHashConfig(), MinHashConfig(hashfunc="sha1", ngram=1)]))
def test_hashing(texts: list[str], cfg: MinHashConfig) -> None:
    params = dataclasses.asdict(cfg)
    sigs = twice(lambda: dedup.signatures(texts, **params))
    assert sigs.shape == (len(texts), cfg.num_perm)
    assert sigs.dtype == np.uint32
    offsets, hashes = twice(
        lambda: dedup.shingle_hashes(texts, ngram=cfg.ngram, hashfunc=cfg.hashfunc, unsegmented=cfg.unsegmented)
    )
    assert np.array_equal(sigs, dedup.signatures_from_hashes(offsets, hashes, num_perm=cfg.num_perm, seed=cfg.seed))
    pairs = np.arange(len(texts))
    jaccard, containment = dedup.pair_similarity(offsets, hashes, pairs, pairs[::-1])
    assert ((jaccard >= 0) & (jaccard <= 1) & (containment >= 0) & (containment <= 1)).all()
    assert (dedup.estimate_jaccard(sigs, sigs) == 1).all()
    assert len(dedup.lean_minhashes(sigs, seed=cfg.seed)) == len(texts)


@PIPELINE
@given(st.lists(st.tuples(IDS, st.integers(-(2**63), 2**63 - 1), TEXT), max_size=8))
def test_find_duplicates(paragraphs: list[tuple[str, int, str]]) -> None:
    unique = list({(d, i): (d, i, t) for d, i, t in paragraphs}.values())  # positions distinct within a document
    clusters = twice(lambda: dedup.find_duplicates(unique))
    refs = {dedup.ParagraphRef(d, i) for d, i, _ in unique}
    for cluster in clusters:
        assert cluster.removed
        assert {m.ref for m in (cluster.kept, *cluster.removed)} <= refs
    assert isinstance(dedup.format_clusters(clusters), str)


ARRAYS = st.one_of(
    hnp.arrays(
        st.sampled_from([np.int64, np.uint64, np.int32, np.uint32, np.uint8, np.float64, np.bool_]),
        hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=5),
    ),
    st.lists(st.integers(-(2**65), 2**65), max_size=6),
    st.lists(st.integers(0, 6), max_size=6),
)
"""Arrays and lists for the array entry points: any dtype and shape, some of them valid."""


@FUZZ
@given(ARRAYS, ARRAYS, ARRAYS, ARRAYS)
def test_arrays(offsets: Any, hashes: Any, left: Any, right: Any) -> None:
    """Offsets that point outside ``hashes`` once reached the kernels, which do not check bounds."""
    for call in (
        lambda: dedup.signatures_from_hashes(offsets, hashes, num_perm=8),
        lambda: dedup.pair_similarity(offsets, hashes, left, right),
        lambda: dedup.estimate_jaccard(left, right),
        lambda: dedup.lean_minhashes(left),
    ):
        with contextlib.suppress(DedupError):
            twice(call)


ENTRY_POINTS: list[tuple[str, Callable[[Any], Any]]] = [
    ("clean_text", dedup.clean_text),
    ("clean_text config", lambda v: dedup.clean_text("Some text.", v)),
    ("clean_documents", dedup.clean_documents),
    ("clean_documents item", lambda v: dedup.clean_documents([v])),
    ("clean_documents id", lambda v: dedup.clean_documents([(v, "Some text.")])),
    ("clean_documents text", lambda v: dedup.clean_documents([dedup.Document("a", v)])),
    ("clean_documents config", lambda v: dedup.clean_documents([], v)),
    ("clean_documents jobs", lambda v: dedup.clean_documents([], jobs=v)),
    ("normalize", dedup.text.normalize),
    ("normalize config", lambda v: dedup.text.normalize("x", v)),
    ("normalize_paragraph", dedup.normalize_paragraph),
    ("normalize_paragraph config", lambda v: dedup.normalize_paragraph("x", v)),
    ("segment", dedup.text.segment),
    ("segment unwrap", lambda v: dedup.text.segment("x", v)),
    ("tokenize", dedup.tokenize),
    ("tokenize unsegmented", lambda v: dedup.tokenize("x", unsegmented=v)),
    ("signatures", dedup.signatures),
    ("signatures item", lambda v: dedup.signatures(["x", v])),
    ("signatures num_perm", lambda v: dedup.signatures(["x"], num_perm=v)),
    ("signatures hashfunc", lambda v: dedup.signatures(["x"], hashfunc=v)),
    ("shingle_hashes", dedup.shingle_hashes),
    ("shingle_hashes item", lambda v: dedup.shingle_hashes([v])),
    ("signatures_from_tokens", dedup.signatures_from_tokens),
    ("signatures_from_tokens doc", lambda v: dedup.signatures_from_tokens([v])),
    ("signatures_from_tokens token", lambda v: dedup.signatures_from_tokens([["a", v]])),
    ("signatures_from_hashes offsets", lambda v: dedup.signatures_from_hashes(v, np.zeros(0, np.uint64))),
    ("signatures_from_hashes hashes", lambda v: dedup.signatures_from_hashes(np.array([0, 1]), v)),
    ("pair_similarity offsets", lambda v: dedup.pair_similarity(v, np.zeros(1, np.uint64), [0], [0])),
    ("pair_similarity left", lambda v: dedup.pair_similarity(np.array([0, 1]), np.zeros(1, np.uint64), v, [0])),
    ("estimate_jaccard", lambda v: dedup.estimate_jaccard(v, np.zeros(4, np.uint32))),
    ("lean_minhashes", dedup.lean_minhashes),
    ("lean_minhashes seed", lambda v: dedup.lean_minhashes(np.zeros((1, 4), np.uint32), seed=v)),
    ("find_duplicates", dedup.find_duplicates),
    ("find_duplicates item", lambda v: dedup.find_duplicates([v])),
    ("find_duplicates doc_id", lambda v: dedup.find_duplicates([(v, 0, "x")])),
    ("find_duplicates index", lambda v: dedup.find_duplicates([("a", v, "x")])),
    ("find_duplicates text", lambda v: dedup.find_duplicates([("a", 0, v)])),
    ("find_duplicates dedup", lambda v: dedup.find_duplicates([], v)),
    ("format_clusters", dedup.format_clusters),
    ("format_clusters width", lambda v: dedup.format_clusters([], width=v)),
]


@pytest.mark.parametrize(("name", "call"), ENTRY_POINTS, ids=[name for name, _ in ENTRY_POINTS])
@settings(max_examples=examples(10), deadline=None)
@given(value=WRONG)
def test_wrong_types_raise_dedup_errors(name: str, call: Callable[[Any], Any], value: object) -> None:
    """A wrong value either works (an int where a number is wanted) or raises a DedupError, nothing else."""
    with contextlib.suppress(DedupError):
        call(value)


# Regressions: each case below once failed.


@pytest.mark.parametrize("config", [CleanConfig(), CleanConfig(repair=False)], ids=["repair", "no-repair"])
def test_lone_surrogates_and_nul_never_survive_the_cleaner(config: CleanConfig) -> None:
    """With ``repair=False`` both went through, and a lone surrogate cannot be encoded to UTF-8: ``dedup clean
    --jsonl --no-repair`` failed on a record with ``"\\ud800"`` in it."""
    text, edits = dedup.normalize_paragraph("a\x00b \ud800 c \ud83d\ude00 \udfff\ud800", config)
    assert text == "ab \ufffd c \U0001f600 \ufffd\ufffd"
    assert text.encode("utf-8")
    assert dedup.text.normalize("x\x00\n\n\ud800", config) == "x\n\n\ufffd\n"
    if not config.repair:
        assert [e.step for e in edits] == ["invisible", "surrogates"]


def test_two_paragraphs_at_one_position_are_refused() -> None:
    """They were matched to each other, and the cluster named the same paragraph as kept and removed."""
    text = "The visit was a great success for both countries, the minister said on Tuesday."
    with pytest.raises(DedupError, match=r"paragraphs\[0\] and paragraphs\[2\] are both at position 0 of doc 'a'"):
        dedup.find_duplicates([("a", 0, text), ("b", 0, text), ("a", 0, text + " Yes.")])


@pytest.mark.parametrize("text", [".â€™Ä\r.â€™Ä\r", ".â€™Ä .â€™Ä .â€™Ä", "word&nbsp;. More"])
def test_repairs_and_punctuation_spacing_settle(text: str) -> None:
    """Removing the space before ``.`` let ftfy repair mojibake that it had left alone, so a second call changed
    the text again (ftfy repairs ``"â€™Ä."`` but not ``"â€™Ä ."``)."""
    once = dedup.text.normalize(text)
    assert dedup.text.normalize(once) == once
    line = dedup.normalize_paragraph(text)[0]
    assert dedup.normalize_paragraph(line)[0] == line


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: dedup.lean_minhashes(np.zeros((2, 0), np.uint32)), "at least one column"),  # was datasketch's
        (lambda: dedup.estimate_jaccard(np.zeros(0, np.uint32), np.zeros(0, np.uint32)), "at least one entry"),  # nan
        (lambda: dedup.pair_similarity([0, 5], [7], [0], [0]), "offsets must run from 0 to len"),  # read past hashes
    ],
)
def test_empty_or_inconsistent_arrays(call: Callable[[], Any], message: str) -> None:
    """Each once gave an error from below (datasketch), a nan with a RuntimeWarning, or read outside ``hashes``
    (garbage; offsets far enough out crashed the process with a segmentation fault)."""
    with pytest.raises(DedupError, match=message):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: dedup.tokenize("x", unsegmented=np.zeros(2)),
        lambda: dedup.signatures(["x"], hashfunc=np.zeros(2)),
        lambda: dedup.text.segment("x", np.zeros(2)),
    ],
)
def test_an_array_for_a_choice_is_a_type_error(call: Callable[[], Any]) -> None:
    """``value not in choices`` compared an array element-wise and raised numpy's "truth value ... is ambiguous"."""
    with pytest.raises(DedupError, match="must be one of"):
        call()
