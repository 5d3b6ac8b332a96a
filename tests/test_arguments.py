"""Wrong arguments to the public entry points fail at the door, with the argument and the type named."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dedup
from dedup.errors import ArgumentTypeError, ArgumentValueError, DedupError

SIGS = np.zeros((2, 4), dtype=np.uint32)

TYPE_ERRORS: list[tuple[Callable[[], Any], str]] = [
    (lambda: dedup.clean_text(None), "clean_text: text must be str, not NoneType"),
    (lambda: dedup.clean_text(b"text"), "clean_text: text must be str, not bytes"),
    (lambda: dedup.clean_text("x", config="fast"), "clean_text: config must be Config or None, not str"),
    (lambda: dedup.clean_text("x", config=dedup.CleanConfig()), "config must be Config or None, not CleanConfig"),
    (lambda: dedup.clean_documents(None), "clean_documents: documents must be Document objects or"),
    (lambda: dedup.clean_documents("abc"), "clean_documents: documents must be .* not a single str"),
    (lambda: dedup.clean_documents(["abc"]), r"documents\[0\] must be a Document or \(id, text\) tuple, not str"),
    (lambda: dedup.clean_documents([("a", "x"), (1, "y")]), r"clean_documents: documents\[1\] id must be str, not int"),
    (lambda: dedup.clean_documents([dedup.Document("a", None)]), r"documents\[0\] text must be str, not NoneType"),
    (lambda: dedup.clean_documents([("a", "x")], jobs="2"), "clean_documents: jobs must be int, not str"),
    (lambda: dedup.clean_stream(None), "clean_stream: documents must be an iterable of Document objects or"),
    (lambda: dedup.clean_stream("abc"), "clean_stream: documents must be an iterable .* not str"),
    (lambda: list(dedup.clean_stream(["abc"])), r"clean_stream: documents\[0\] must be a Document or \(id, text\)"),
    (lambda: dedup.clean_stream([("a", "x")], jobs=2.0), "clean_stream: jobs must be int, not float"),
    (lambda: dedup.clean_stream([("a", "x")], memory=[1]), "clean_stream: memory must be an int, a size"),
    (lambda: dedup.clean_stream([("a", "x")], work=3), "clean_stream: work must be a path or None, not int"),
    (lambda: dedup.clean_stream([], dedup.DedupConfig()), "clean_stream: config must be Config or None"),
    (
        lambda: dedup.find_duplicates(["s"]),
        r"find_duplicates: paragraphs\[0\] must be a \(doc_id, index, text\) tuple or Paragraph, not str",
    ),
    (lambda: dedup.find_duplicates(None), "find_duplicates: paragraphs must be a sequence of paragraphs, not NoneType"),
    (lambda: dedup.find_duplicates([("a", "0", "x")]), r"paragraphs\[0\] index must be int, not str"),
    (lambda: dedup.find_duplicates([("a", True, "x")]), r"paragraphs\[0\] index must be int, not bool"),
    (lambda: dedup.find_duplicates([(None, 0, "x")]), r"paragraphs\[0\] doc_id must be str, not NoneType"),
    (lambda: dedup.find_duplicates([("a", 0, "x")], dedup.Config()), "dedup must be DedupConfig or None, not Config"),
    (lambda: dedup.find_duplicates([], minhash="sha1"), "minhash must be MinHashConfig or None, not str"),
    (lambda: dedup.text.normalize(None), "normalize: text must be str, not NoneType"),
    (lambda: dedup.text.normalize("x", dedup.Config()), "normalize: config must be CleanConfig or None, not Config"),
    (lambda: dedup.normalize_paragraph(3), "normalize_paragraph: text must be str, not int"),
    (lambda: dedup.text.segment(None), "segment: text must be str, not NoneType"),
    (lambda: dedup.tokenize(["a"]), "tokenize: text must be str, not list"),
    (lambda: dedup.signatures("abc"), "signatures: texts must be a sequence of str, not a single str"),
    (lambda: dedup.signatures(None), "signatures: texts must be a sequence of str, not NoneType"),
    (lambda: dedup.signatures(["a", b"b"]), r"signatures: texts\[1\] must be str, not bytes"),
    (lambda: dedup.signatures(["a"], num_perm="8"), "MinHashConfig.num_perm must be an int, not '8'"),
    (lambda: dedup.shingle_hashes(["a", ["b"]]), r"shingle_hashes: texts\[1\] must be str, not list"),
    (lambda: dedup.signatures_from_tokens(["a b"]), r"signatures_from_tokens: docs\[0\] must be a sequence of str"),
    (lambda: dedup.signatures_from_tokens([["a"], ["b", 2]]), r"signatures_from_tokens: docs\[1\]\[1\] must be str"),
    (lambda: dedup.signatures_from_hashes(None, []), "signatures_from_hashes: offsets must be an array of integers"),
    (lambda: dedup.signatures_from_hashes([0, 1], [0.5]), "hashes must be an array of integers, not a list of float"),
    (lambda: dedup.pair_similarity([0, 1], [7], ["0"], [0]), "pair_similarity: left must be an array of integers"),
    (lambda: dedup.estimate_jaccard(None, SIGS), "estimate_jaccard: left must be signature rows"),
    (lambda: dedup.estimate_jaccard(SIGS, SIGS.astype(float)), "right must be signature rows .* not an array of float"),
    (lambda: dedup.lean_minhashes(SIGS.tolist()), "lean_minhashes: sigs must be a 2-d uint32 array, not list"),
    (lambda: dedup.format_clusters(None), "format_clusters: clusters must be a sequence of Cluster objects, not None"),
    (lambda: dedup.format_clusters([{}]), r"format_clusters: clusters\[0\] must be a Cluster, not dict"),
    (lambda: dedup.tokenize("x", unsegmented=np.zeros(2)), "tokenize: unsegmented must be one of 'chars', 'runs'"),
    (lambda: dedup.signatures(["x"], hashfunc=["fast"]), "MinHashConfig.hashfunc must be one of 'fast', 'sha1'"),
    (lambda: dedup.Config(strip=dedup.CleanConfig()), "Config.strip must be a StripConfig, not CleanConfig"),
    (lambda: dedup.StripConfig(bias="high"), "StripConfig.bias must be a number, not 'high'"),
]

VALUE_ERRORS: list[tuple[Callable[[], Any], str]] = [
    (lambda: dedup.text.segment("x", unwrap="sometimes"), "segment: unwrap must be one of 'auto', 'never', 'always'"),
    (lambda: dedup.tokenize("x", unsegmented="words"), "tokenize: unsegmented must be one of 'chars', 'runs'"),
    (lambda: dedup.find_duplicates([("a", 2**64, "x")]), "find_duplicates: paragraph positions must fit"),
    (lambda: dedup.pair_similarity([0, 5], [7], [0], [0]), "pair_similarity: offsets must run from 0 to len"),
    (lambda: dedup.pair_similarity([0, 1], [7], [0], [1]), "pair_similarity: right holds 1, not a text number"),
    (lambda: dedup.estimate_jaccard(SIGS, SIGS[:, :3]), "estimate_jaccard: signatures differ in length: 4 and 3"),
    (lambda: dedup.estimate_jaccard(SIGS, np.zeros((3, 4), np.uint32)), "shapes .* do not broadcast together"),
    (lambda: dedup.lean_minhashes(SIGS.astype(np.int64)), "lean_minhashes: sigs must be a 2-d uint32 array"),
    (lambda: dedup.signatures(["a"], ngram=0), "MinHashConfig.ngram must be between 1 and 100, not 0"),
]


@pytest.mark.parametrize(("call", "message"), TYPE_ERRORS)
def test_wrong_types_name_the_argument(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ArgumentTypeError, match=message) as caught:
        call()
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, DedupError)


@pytest.mark.parametrize(("call", "message"), VALUE_ERRORS)
def test_bad_values_name_the_argument(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ArgumentValueError, match=message) as caught:
        call()
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, DedupError)


def test_every_entry_point_is_covered() -> None:
    """Each function exported from ``dedup`` has at least one wrong-type case above."""
    functions = {n for n in dedup.__all__ if inspect.isfunction(getattr(dedup, n))}
    named = {name for call, _ in TYPE_ERRORS for name in call.__code__.co_names if name in functions}
    assert functions - named == set()


def test_generators_of_documents_still_work() -> None:
    docs = dedup.clean_documents((f"d{i}", "The visit was a success, they said.") for i in range(2))
    assert [d.id for d in docs] == ["d0", "d1"]
