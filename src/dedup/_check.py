"""Argument checks for the public entry points: cheap ``isinstance`` tests that name what was wrong.

Each check raises :class:`~dedup.errors.ArgumentTypeError` with the function, the argument and the
type received, so a wrong argument fails at the door instead of deep inside (``a bytes-like object is
required``). Checks look at each document or paragraph of a list, never at each token.

>>> check_type("clean_text", "text", None, str)
Traceback (most recent call last):
...
dedup.errors.ArgumentTypeError: clean_text: text must be str, not NoneType
>>> check_texts("signatures", ["a", b"b"])
Traceback (most recent call last):
...
dedup.errors.ArgumentTypeError: signatures: texts[1] must be str, not bytes
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from dedup.errors import ArgumentTypeError
from dedup.records import Document, Paragraph

__all__ = [
    "check_config",
    "check_document",
    "check_documents",
    "check_int",
    "check_iterable",
    "check_paragraphs",
    "check_texts",
    "check_type",
    "int_array",
    "items_of",
    "type_error",
]

T = TypeVar("T")

KINDS = {"b": "bool", "f": "float", "c": "complex", "U": "str", "S": "bytes", "O": "objects"}
"""How an error message names what numpy made of a list that does not hold integers."""


def type_error(func: str, name: str, expected: str, value: object) -> ArgumentTypeError:
    """The error for argument ``name`` of ``func``: ``expected`` was wanted, ``value`` came."""
    return ArgumentTypeError(f"{func}: {name} must be {expected}, not {type(value).__name__}")


def check_type(func: str, name: str, value: object, cls: type, expected: str | None = None) -> None:
    """Raise unless ``value`` is an instance of ``cls`` (described as ``expected``, default its name)."""
    if not isinstance(value, cls):
        raise type_error(func, name, expected or cls.__name__, value)


def check_config(func: str, value: object, cls: type, name: str = "config") -> None:
    """Raise unless ``value`` is ``None`` or an instance of the configuration class ``cls``.

    >>> from dedup.config import Config
    >>> check_config("clean_text", "fast", Config)
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: clean_text: config must be Config or None, not str
    """
    if value is not None and not isinstance(value, cls):
        raise type_error(func, name, f"{cls.__name__} or None", value)


def check_int(func: str, name: str, value: object) -> None:
    """Raise unless ``value`` is an integer (a numpy one too), and not a bool."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise type_error(func, name, "int", value)


def items_of(func: str, name: str, value: Iterable[T], expected: str) -> list[T] | tuple[T, ...]:
    """``value`` as a list or tuple, after checking it is a collection of items (not one string, not ``None``)."""
    if isinstance(value, list | tuple):
        return value
    if isinstance(value, str | bytes | bytearray):
        raise ArgumentTypeError(f"{func}: {name} must be {expected}, not a single {type(value).__name__}")
    try:
        return list(value)
    except TypeError:
        raise type_error(func, name, expected, value) from None


def check_texts(func: str, texts: Sequence[str], name: str = "texts") -> list[str] | tuple[str, ...]:
    """``texts`` as a list or tuple (for slicing), after checking that it holds str only."""
    seq = items_of(func, name, texts, "a sequence of str")
    if not all(isinstance(t, str) for t in seq):
        bad = next(i for i, t in enumerate(seq) if not isinstance(t, str))
        raise type_error(func, f"{name}[{bad}]", "str", seq[bad])
    return seq


def int_array(func: str, name: str, value: Any, dtype: type[np.integer[Any]]) -> NDArray[Any]:
    """``value`` as a contiguous array (at least 1-d) of ``dtype``, after checking it holds integers.

    An empty list is accepted (numpy makes it float64). Values are converted as numpy converts them
    (a negative int becomes a large ``uint64``).

    >>> int_array("pair_similarity", "left", [0.5], np.int64)
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: pair_similarity: left must be an array of integers, not a list of float
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise type_error(func, name, "an array of integers", value) from None
    if arr.dtype.kind not in "iu" and arr.size:
        if isinstance(value, np.ndarray):
            got = f"an array of {arr.dtype}"
        elif isinstance(value, list | tuple):
            got = f"a {type(value).__name__} of {KINDS.get(arr.dtype.kind, arr.dtype.name)}"
        else:
            got = type(value).__name__
        raise ArgumentTypeError(f"{func}: {name} must be an array of integers, not {got}")
    return np.ascontiguousarray(arr, dtype=dtype)


def check_documents(
    func: str, documents: Iterable[object], name: str = "documents"
) -> list[Document | tuple[str, str]]:
    """``documents`` as a list, after checking each is a :class:`Document` or an ``(id, text)`` pair of str.

    >>> check_documents("clean_documents", [("a", "text"), ("b", None)])
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: clean_documents: documents[1] text must be str, not NoneType
    """
    items = items_of(func, name, documents, "Document objects or (id, text) tuples")
    return [check_document(func, i, item, name) for i, item in enumerate(items)]


def check_iterable(func: str, name: str, value: object, expected: str) -> None:
    """Raise unless ``value`` is an iterable that is not a str or bytes (read lazily, so not checked further).

    >>> check_iterable("clean_stream", "documents", None, "an iterable of documents")
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: clean_stream: documents must be an iterable of documents, not NoneType
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise type_error(func, name, expected, value)


def check_document(func: str, i: int, item: object, name: str = "documents") -> Document | tuple[str, str]:
    """``item``, the ``i``-th of ``name``, after checking it is a :class:`Document` or an ``(id, text)`` pair of str.

    >>> check_document("clean_stream", 3, ("a", 1))
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: clean_stream: documents[3] text must be str, not int
    """
    if isinstance(item, Document):
        doc_id, text = item.id, item.text
    elif isinstance(item, tuple | list) and len(item) == 2:
        doc_id, text = item
    else:
        raise type_error(func, f"{name}[{i}]", "a Document or (id, text) tuple", item)
    check_type(func, f"{name}[{i}] id", doc_id, str)
    check_type(func, f"{name}[{i}] text", text, str)
    return item if isinstance(item, Document) else (doc_id, text)


def check_paragraphs(func: str, paragraphs: Iterable[object], name: str = "paragraphs") -> list[tuple[str, int, str]]:
    """``paragraphs`` as ``(doc_id, index, text)`` triples, after checking their types.

    >>> check_paragraphs("find_duplicates", [("a", 0, "text"), ("a", "1", "text")])
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: find_duplicates: paragraphs[1] index must be int, not str
    """
    items = items_of(func, name, paragraphs, "a sequence of paragraphs")
    triples: list[tuple[str, int, str]] = []
    for i, item in enumerate(items):
        if isinstance(item, Paragraph):
            triple = (item.doc_id, item.index, item.text)
        elif isinstance(item, tuple | list) and len(item) == 3:
            triple = (item[0], item[1], item[2])
        else:
            raise type_error(func, f"{name}[{i}]", "a (doc_id, index, text) tuple or Paragraph", item)
        check_type(func, f"{name}[{i}] doc_id", triple[0], str)
        check_int(func, f"{name}[{i}] index", triple[1])
        check_type(func, f"{name}[{i}] text", triple[2], str)
        triples.append(triple)
    return triples
