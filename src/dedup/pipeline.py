"""The cleaning pipeline: per-document steps in parallel, then corpus-wide steps, then rendering.

1. per document (parallel over ``jobs`` processes, order kept): segment -> canonical cleaner ->
   boilerplate stripper (rules and line classifier);
2. over the whole corpus: site templates (lines repeated across one site's pages), exact repeats
   within each document, then near-duplicates within and across documents;
3. rendering: :attr:`CleanedDocument.text` and :meth:`CleanedDocument.report`.

Every step marks paragraphs instead of dropping them, so the report can say what went and why.
The output does not depend on ``jobs``.

>>> from dedup.config import StripConfig
>>> no_strip = Config(strip=StripConfig(enabled=False))
>>> docs = clean_documents([("a", "Title\\n\\nA caption\\nA caption\\n\\nFirstly , body.")], no_strip)
>>> print(docs[0].text, end="")
Title
<BLANKLINE>
A caption
<BLANKLINE>
Firstly, body.
>>> [(r["paragraph"], r["rule"], r["duplicate_of"]) for r in docs[0].report()["removed"]]
[(2, 'exact_repeat', {'doc': 'a', 'paragraph': 1})]
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

from dedup._check import check_config, check_documents, check_int, check_type
from dedup._workers import signals_held, stop_workers, watch_parent
from dedup.config import Config
from dedup.errors import InputError
from dedup.io.read import Skip, read_file
from dedup.near.clusters import mark_duplicates
from dedup.near.exact import mark_exact_repeats
from dedup.records import CleanedDocument, Document, Paragraph
from dedup.strip.stripper import strip_paragraphs
from dedup.strip.templates import mark_templates
from dedup.text.normalize import normalize_paragraph
from dedup.text.segment import segment

DocumentLike = Document | tuple[str, str]
"""A document, or an ``(id, text)`` pair."""

FileItem = tuple[Path, str, str | None]
"""A file to read, the document id to give it, and its site (``None``: unknown)."""

T = TypeVar("T")
R = TypeVar("R")

StepTimer = Callable[[str], AbstractContextManager[object]]
"""Called with a step's name (``segment``, ``normalize``, ``strip``, ``templates``, ``exact``, ``near``)
around that step; :mod:`dedup.evaluation.profile` times the steps with one."""

CHUNK_DOCUMENTS = 16
"""Documents sent to a worker process at a time: large enough to amortise pickling."""


def as_document(item: DocumentLike) -> Document:
    """``item`` as a :class:`Document`."""
    if isinstance(item, Document):
        return item
    doc_id, text = item
    return Document(id=doc_id, text=text)


def _untimed(step: str) -> AbstractContextManager[object]:
    """The :data:`StepTimer` of a plain run: times nothing."""
    return contextlib.nullcontext()


def _paragraphs_of(doc: Document, config: Config, timer: StepTimer) -> list[Paragraph]:
    """Segment ``doc`` and put every paragraph in canonical form; paragraphs left empty are dropped."""
    with timer("segment"):
        blocks = segment(doc.text, config.clean.unwrap)
    out: list[Paragraph] = []
    with timer("normalize"):
        for block in blocks:
            text, edits = normalize_paragraph(block.text, config.clean)
            if text:
                out.append(Paragraph(doc.id, len(out), block.line, text, edits))
    return out


def prepare_document(doc: Document, config: Config, timer: StepTimer = _untimed) -> CleanedDocument:
    """The per-document steps: segment, clean, strip (each inside ``timer(step)``)."""
    paragraphs = _paragraphs_of(doc, config, timer)
    if config.strip.enabled:
        with timer("strip"):
            paragraphs = strip_paragraphs(paragraphs, config.strip)
    return CleanedDocument(doc.id, tuple(paragraphs), source=doc.source, notes=doc.notes, site=doc.site)


def _prepare_item(item: Document | Skip | FileItem, config: Config, max_bytes: int) -> CleanedDocument | Skip:
    """Run the per-document steps on a document, or on a file read here (in a worker process);
    pass a skip through. A file in a folder is read without following a symbolic link."""
    if isinstance(item, tuple):
        path, doc_id, site = item
        doc = read_file(path, doc_id, max_bytes=max_bytes, follow_links=False)
        item = doc if isinstance(doc, Skip) else dataclasses.replace(doc, site=site)
    return item if isinstance(item, Skip) else prepare_document(item, config)


WARM_UP_PAGE = (
    "Home | News | Sport\n\nMinisters agree to expand trade\n\n"
    "The two ministers met in Hanoi on Monday and agreed to expand trade in energy, farming and education.\n\n"
    "A café menu, a cafÃ© menu &amp; more\n\nComment (0)\n"
)
"""A page that takes every per-document step through its first call (see :func:`warm_up`)."""


def warm_up(config: Config) -> None:
    """Run the per-document steps once on :data:`WARM_UP_PAGE`, in the parent, before workers are forked.

    The first call of each step loads what it needs once per process (compiled kernels from numba's
    cache, the code point table, the rules, the taggers, the lexicon: about 1.4 s). Loaded before the
    fork, the workers share it instead of each loading it again.
    """
    prepare_document(Document("warm-up", WARM_UP_PAGE), config)


def _map_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    """A worker's job: ``fn`` over one chunk of items."""
    return [fn(item) for item in chunk]


def _ordered_results(pool: ProcessPoolExecutor, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """``fn`` over ``items`` in the pool, chunk by chunk, results in input order.

    What ``pool.map`` does, except that closing this generator early cancels nothing: on Python 3.11 the
    pool's manager thread, failing the pending futures of a pool whose workers were ended, raises
    ``InvalidStateError`` on a cancelled one, prints its traceback and dies before it has cleaned up.
    """
    chunks = [items[i : i + CHUNK_DOCUMENTS] for i in range(0, len(items), CHUNK_DOCUMENTS)]
    with signals_held():  # the first submit forks the workers
        futures = [pool.submit(_map_chunk, fn, chunk) for chunk in chunks]
    for future in futures:
        yield from future.result()


@contextlib.contextmanager
def _run_parallel(
    fn: Callable[[T], R], items: Sequence[T], jobs: int, warm_up: Callable[[], object] | None = None
) -> Generator[Iterator[R], None, None]:
    """A context holding ``map(fn, items)`` over ``jobs`` processes, results in input order;
    in-process for one job. ``warm_up`` runs first, in this process, before the workers are forked.

    An error or signal anywhere inside the ``with`` block (in the workers' results or in the code
    consuming them) ends the workers at once; a worker whose parent dies exits by itself
    (:func:`watch_parent`). A context, not a generator, so no caller can forget to close it: an
    unclosed generator would leave interpreter exit waiting on the workers for good.
    """
    if jobs <= 1 or len(items) <= 1:
        yield map(fn, items)
        return
    if warm_up is not None:
        warm_up()
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=watch_parent, initargs=(os.getpid(),))
    try:
        yield _ordered_results(pool, fn, items)
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown(wait=True)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the corpus is held, then restore it as it was.

    The records hold no reference cycles, so a collection finds nothing; but each full one walks
    every live object, and with a million paragraphs held the collector took 30% of the corpus steps.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def corpus_steps(
    docs: Sequence[CleanedDocument], config: Config, timer: StepTimer = _untimed
) -> list[CleanedDocument]:
    """The steps that look across paragraphs and documents: site templates, exact repeats, near-duplicates
    (each inside ``timer(step)``)."""
    with _collector_paused():
        return _corpus_steps(docs, config, timer)


def _corpus_steps(docs: Sequence[CleanedDocument], config: Config, timer: StepTimer) -> list[CleanedDocument]:
    out = list(docs)
    if config.strip.enabled:
        with timer("templates"):
            marked = mark_templates([d.paragraphs for d in out], [d.site for d in out], config.strip)
            out = [dataclasses.replace(d, paragraphs=tuple(ps)) for d, ps in zip(out, marked, strict=True)]
    if config.dedup.enabled:
        with timer("exact"):
            out = [dataclasses.replace(d, paragraphs=tuple(mark_exact_repeats(d.paragraphs))) for d in out]
        with timer("near"):
            out = mark_duplicates(out, config.dedup, config.minhash)
    return out


def finish(results: Iterable[CleanedDocument | Skip], config: Config) -> list[CleanedDocument | Skip]:
    """Run the corpus steps on the documents among ``results``, keeping skips in their places."""
    results = list(results)
    docs = [r for r in results if isinstance(r, CleanedDocument)]
    done = iter(corpus_steps(docs, config))
    return [r if isinstance(r, Skip) else next(done) for r in results]


def clean_items(
    items: Sequence[Document | Skip | FileItem],
    config: Config,
    *,
    jobs: int = 1,
    max_bytes: int,
    progress: Callable[[Iterator[CleanedDocument | Skip]], Iterator[CleanedDocument | Skip]] | None = None,
) -> list[CleanedDocument | Skip]:
    """The pipeline over documents or files (read in the workers), for the CLI.

    ``progress`` wraps the stream of per-document results (a progress bar).
    """
    fn = functools.partial(_prepare_item, config=config, max_bytes=max_bytes)
    with _collector_paused(), _run_parallel(fn, items, jobs, functools.partial(warm_up, config)) as stream:
        return finish(progress(stream) if progress else stream, config)


def clean_documents(
    documents: Iterable[DocumentLike], config: Config | None = None, *, jobs: int = 1
) -> list[CleanedDocument]:
    """Clean many documents together: the library's corpus-level entry point.

    Args:
        documents: :class:`Document` objects or ``(id, text)`` pairs with unique ids (the keep
            rule and the report name documents by id).
        config: the pipeline's settings (defaults: everything on).
        jobs: worker processes for the per-document steps; the result does not depend on it.

    Returns:
        One :class:`CleanedDocument` per input, in input order: its ``text`` is the canonical
        text and its ``report()`` says what was removed and why.

    Raises:
        ArgumentTypeError: an argument, or a document or its id or text, is of the wrong type.
        InputError: two documents have the same id.

    >>> clean_documents([("a", "x"), ("a", "y")])
    Traceback (most recent call last):
    ...
    dedup.errors.InputError: documents 0 and 1 have the same id 'a': ids must be unique
    """
    documents = check_documents("clean_documents", documents)
    check_config("clean_documents", config, Config)
    check_int("clean_documents", "jobs", jobs)
    config = config or Config()
    docs = [as_document(d) for d in documents]
    _check_unique_ids(docs)
    fn = functools.partial(prepare_document, config=config)
    with _collector_paused(), _run_parallel(fn, docs, jobs, functools.partial(warm_up, config)) as stream:
        prepared = list(stream)
    return corpus_steps(prepared, config)


def _check_unique_ids(docs: Sequence[Document]) -> None:
    """Raise :class:`~dedup.errors.InputError` naming the first two documents that share an id."""
    first: dict[str, int] = {}
    for i, doc in enumerate(docs):
        j = first.setdefault(doc.id, i)
        if j != i:
            raise InputError(f"documents {j} and {i} have the same id {doc.id!r}: ids must be unique")


def clean_text(text: str, config: Config | None = None) -> str:
    """Clean one document: canonical text with chrome and repeated paragraphs removed.

    >>> clean_text("Firstly , the visit.\\n\\nFirstly , the visit.\\n")
    'Firstly, the visit.\\n'
    """
    check_type("clean_text", "text", text, str)
    check_config("clean_text", config, Config)
    return clean_documents([("text", text)], config)[0].text
