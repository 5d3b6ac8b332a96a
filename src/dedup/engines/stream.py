"""The streaming engine: the pipeline in bounded memory, shards on disk, resumable after a kill.

1. **Per document, in shards** (worker processes): each shard's items are read, cleaned and stripped,
   and the shard is written whole to the work folder with the arrays the corpus steps need
   (:mod:`dedup.engines.shard`). A shard already finished for the same input is not redone.
2. **Over the corpus, on arrays** (this process): document ranks and repeated ids
   (:mod:`~dedup.engines.documents`), site templates (:mod:`~dedup.engines.templates`), exact repeats and
   the store of paragraphs to match (:mod:`~dedup.engines.corpus`), near-duplicates over the store and an
   index's segments (:mod:`~dedup.engines.matching`). Sorts spill under the memory budget.
3. **Rendering**: the shards read back one at a time, their paragraphs marked
   (:mod:`~dedup.engines.render`), documents yielded in input order.

The documents and the report are the same as the in-memory pipeline's (:mod:`dedup.pipeline`), for any
number of jobs and shards, and after any number of interruptions.

>>> from dedup.config import StripConfig
>>> docs = [("a", "Firstly , the visit.\\n\\nFirstly , the visit."), ("b", "Another page.")]
>>> [d.text for d in clean_stream(docs, Config(strip=StripConfig(enabled=False)))]
['Firstly, the visit.\\n', 'Another page.\\n']
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dedup._check import check_config, check_document, check_int, check_iterable, type_error
from dedup._memory import release
from dedup._workers import signals_held, stop_workers, watch_parent
from dedup.config import Config
from dedup.engines.budget import default_memory, parse_memory
from dedup.engines.corpus import Inputs, mark_shard, positions, pre_path, write_store
from dedup.engines.documents import Documents, read_documents
from dedup.engines.matching import match_stores
from dedup.engines.render import DocumentIds, near_removals, rendered
from dedup.engines.shard import ShardDone, ShardTask, run_shard
from dedup.engines.sources import item_tasks
from dedup.engines.store import Store, Stores
from dedup.engines.templates import Templates, find_templates
from dedup.engines.work import WorkFolder
from dedup.io.read import MAX_BYTES, Skip
from dedup.io.spill import MIN_BUDGET, SortedKeys
from dedup.near.sorting import KeySorter
from dedup.pipeline import DocumentLike, as_document, warm_up
from dedup.records import CleanedDocument

__all__ = [
    "Prior", "Progress", "Runner", "clean_stream", "match_corpus", "prepare_corpus", "ranks_by_position",
    "run_in_processes", "run_stream", "settings_of", "sort_budget", "store_inputs",
]

Progress = Callable[[int], None]
"""Called with the number of results (documents and skips) of each shard as it is finished or found done."""

SORT_SHARE = 8
"""A sort may hold an eighth of the budget: several sorts and windows are alive at once (the candidate pairs
found so far, one band's keys or the prefix join's keys, the merge's blocks, a window of the store), and with
a quarter each a corpus of 3 M records filled them where 1 M did not, so its peak grew with the corpus."""


def sort_budget(budget: int) -> int:
    """The bytes one sort may hold under a run's ``budget``: a :data:`SORT_SHARE` of it, at least what a sort takes.

    >>> sort_budget(1 << 30) >> 20, sort_budget(16384)
    (128, 4096)
    """
    return max(MIN_BUDGET, budget // SORT_SHARE)


def settings_of(config: Config, **extra: object) -> str:
    """The fingerprint of everything a run's shards depend on besides their input."""
    return json.dumps({"config": asdict(config), **extra}, sort_keys=True, default=str)


class Prior(Protocol):
    """Paragraphs of earlier crawls that a run matches against, first in the keep rule's order (an index)."""

    def stores(self) -> list[Store]:
        """Their stores (one per crawl), in order."""
        ...

    def ranks(self) -> NDArray[np.int64]:
        """The rank of each of their paragraphs' documents, by position over the stores."""
        ...

    def ids(self, positions: NDArray[np.int64]) -> list[str]:
        """The ids of the documents of their paragraphs at ``positions``."""
        ...


class Runner(Protocol):
    """Cleans shards into a work folder (:func:`run_in_processes`, or a Spark cluster: :mod:`dedup.engines.spark`).

    It must take every task of ``todo`` and, before it returns, have written each one's shard to
    ``work.shard(task.number)`` (:func:`dedup.engines.shard.write_shard`), calling ``progress`` with each
    shard's number of results.
    """

    def __call__(
        self, todo: Iterator[ShardTask], config: Config, work: WorkFolder, max_bytes: int, progress: Progress | None
    ) -> None: ...


def run_stream(
    tasks: Iterable[ShardTask],
    config: Config,
    work: WorkFolder,
    *,
    jobs: int = 1,
    max_bytes: int = MAX_BYTES,
    memory: int | None = None,
    index: Prior | None = None,
    progress: Progress | None = None,
    refuse_repeated_ids: bool = False,
    runner: Runner | None = None,
) -> Iterator[CleanedDocument | Skip]:
    """The whole pipeline over shard tasks, in ``work``; results in input order (see the module docstring).
    ``runner`` cleans the shards (default: ``jobs`` worker processes)."""
    budget = memory or default_memory()
    docs = prepare_corpus(tasks, config, work, jobs=jobs, max_bytes=max_bytes, budget=budget, progress=progress,
                          runner=runner)  # fmt: skip
    if config.dedup.enabled:
        match_corpus(docs, config, work, budget, index)
    yield from rendered(docs, work.corpus, near=config.dedup.enabled, refuse_repeated_ids=refuse_repeated_ids)


def prepare_corpus(
    tasks: Iterable[ShardTask],
    config: Config,
    work: WorkFolder,
    *,
    jobs: int,
    max_bytes: int,
    budget: int,
    progress: Progress | None = None,
    runner: Runner | None = None,
    templates: Templates | None = None,
) -> Documents:
    """Every shard cleaned (or found finished), then the corpus's documents read and their template lines and
    exact repeats marked: what matching, indexing and rendering start from. ``templates``: the corpus's
    template lines when they were counted elsewhere (by Spark: :mod:`dedup.engines.frames`)."""
    shards = _clean_shards(tasks, config, work, jobs, max_bytes, progress, runner)
    docs = read_documents(shards, config.dedup.order, work.scratch, sort_budget(budget))
    sorters = functools.partial(_sorter, work.scratch, sort_budget(budget))
    if templates is None:
        templates = find_templates(docs, config.strip, sorters)
        release()
    dropped = docs.dropped()
    for k, shard in enumerate(shards):
        mark_shard(shard, dropped[docs.bases[k] : docs.bases[k + 1]], templates, config, pre_path(work.corpus, k))
    release()
    return docs


def store_inputs(docs: Documents, config: Config, work: WorkFolder, budget: int) -> tuple[Inputs, Store]:
    """The paragraphs left to match, numbered by position and written to the run's store."""
    inputs = positions(docs, work.corpus)
    release()  # the temporaries of numbering 3 M documents held 136 MB of heap into the store's windows
    write_store(docs, inputs, work.corpus, config, work.corpus / "store", budget)
    release()
    return inputs, Store(work.corpus / "store")


def _sorter(folder: Path, budget: int) -> KeySorter:
    """A sorter that spills to ``folder`` past ``budget`` bytes."""
    return SortedKeys(folder, budget)


def match_corpus(docs: Documents, config: Config, work: WorkFolder, budget: int, index: Prior | None) -> None:
    """Near-duplicates of the run's paragraphs among themselves and against ``index``; removals saved per shard."""
    inputs, store = store_inputs(docs, config, work, budget)
    segments = index.stores() if index is not None else []
    stores = Stores([*segments, store], budget=sort_budget(budget))
    run_base = int(stores.bases[-2])
    index_ranks = index.ranks() if index is not None else np.empty(0, np.int64)
    offset = int(index_ranks.max()) + 1 if index_ranks.size else 0
    doc = np.empty(index_ranks.size + int(inputs.counts.sum()), dtype=np.int32)  # 4 bytes a paragraph, no more
    doc[: index_ranks.size] = index_ranks
    doc[index_ranks.size :] = ranks_by_position(docs, inputs.counts)
    doc[index_ranks.size :] += offset
    del inputs  # 8 bytes a document, not needed past here
    sorters = functools.partial(_sorter, work.scratch, sort_budget(budget))
    candidates = _sorter(work.scratch, sort_budget(budget // 2))  # half a share: alive beside the other sorts
    found = match_stores(stores, doc, config, sorters, found=candidates)
    del doc
    release()
    index_ids: DocumentIds = index.ids if index is not None else (lambda numbers: [])
    near_removals(found, stores, run_base, docs, index_ids, work.corpus)
    release()


def ranks_by_position(docs: Documents, counts: NDArray[np.int64]) -> NDArray[np.int32]:
    """The rank of the document of every position (documents in rank order, each repeated per input), as int32."""
    return np.repeat(docs.rank[docs.by_rank].astype(np.int32), counts[docs.by_rank])


def _clean_shards(
    tasks: Iterable[ShardTask], config: Config, work: WorkFolder, jobs: int, max_bytes: int, progress: Progress | None,
    runner: Runner | None,
) -> list[Path]:
    """Clean every shard not finished yet (by ``runner``, or in ``jobs`` processes); all shard folders in order."""
    shards: list[Path] = []
    todo = _unfinished(tasks, work, shards, progress)
    run = runner or functools.partial(run_in_processes, jobs=jobs)
    run(todo, config, work, max_bytes, progress)
    for _ in todo:  # a runner that stopped early has not cleaned these: they must still be listed
        raise RuntimeError("a shard runner returned before it had taken every shard")
    return shards


def run_in_processes(
    todo: Iterator[ShardTask], config: Config, work: WorkFolder, max_bytes: int, progress: Progress | None, *,
    jobs: int = 1,
) -> None:
    """The default :class:`Runner`: shards cleaned in this process (``jobs`` 1) or in ``jobs`` worker processes."""
    fn = functools.partial(run_shard, config=config, max_bytes=max_bytes)
    if jobs <= 1:
        for task in todo:
            done = fn(task, folder=work.shard(task.number))
            if progress is not None:
                progress(done.results)
        return
    _in_pool(todo, fn, work, jobs, progress, functools.partial(warm_up, config))


def _unfinished(
    tasks: Iterable[ShardTask], work: WorkFolder, shards: list[Path], progress: Progress | None
) -> Iterator[ShardTask]:
    """The tasks whose shard is not finished yet; every shard's folder is appended to ``shards``."""
    for task in tasks:
        shards.append(work.shard(task.number))
        if work.finished(task.number, task.fingerprint):
            if progress is not None:
                progress(len(task.items) or len(task.lines))
            continue
        yield task


def _in_pool(
    todo: Iterator[ShardTask],
    fn: Callable[..., ShardDone],
    work: WorkFolder,
    jobs: int,
    progress: Progress | None,
    warm: Callable[[], object],
) -> None:
    """Run ``fn`` on the tasks in a pool of ``jobs`` workers, at most ``2 * jobs`` shards in flight."""
    first = next(todo, None)
    if first is None:
        return
    warm()
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=watch_parent, initargs=(os.getpid(),))
    pending: deque[Future[ShardDone]] = deque()
    try:
        for task in _chain(first, todo):
            with signals_held():  # a submit may fork a worker
                pending.append(pool.submit(fn, task, folder=work.shard(task.number)))
            while len(pending) >= 2 * jobs:
                _finish(pending.popleft(), progress)
        while pending:
            _finish(pending.popleft(), progress)
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _chain(first: ShardTask, rest: Iterator[ShardTask]) -> Iterator[ShardTask]:
    yield first
    yield from rest


def _finish(future: Future[ShardDone], progress: Progress | None) -> None:
    done = future.result()
    if progress is not None:
        progress(done.results)


def clean_stream(
    documents: Iterable[DocumentLike],
    config: Config | None = None,
    *,
    jobs: int = 1,
    work: str | os.PathLike[str] | None = None,
    memory: int | str | None = None,
    against: Prior | None = None,
) -> Iterator[CleanedDocument]:
    """Clean a corpus in bounded memory: documents in, cleaned documents out, as a generator.

    The same result as :func:`dedup.clean_documents`, but the documents are never all held: they are
    read from ``documents`` as they come (any iterable, a generator included), cleaned a shard at a time
    to the work folder, and yielded one by one, in input order, once the corpus steps are done. Memory
    stays within ``memory`` plus a few integers per paragraph; disk holds about three times the text.

    Args:
        documents: :class:`Document` objects or ``(id, text)`` pairs with unique ids.
        config: the pipeline's settings (defaults: everything on).
        jobs: worker processes for the per-document steps; the result does not depend on it.
        work: the work folder (made if needed; removed at the end when dedup made it). A run that is
            interrupted and started again with the same folder and documents redoes only the shards
            it had not finished. Default: a temporary folder.
        memory: the memory budget in bytes or as a size (``"2G"``); default from the machine.
        against: an :class:`dedup.engines.index.Index`: paragraphs that repeat its paragraphs are removed.

    Raises:
        ArgumentTypeError: an argument is of the wrong type (at the call), or a document is (when reached).
        InputError: two documents have the same id (raised before any document is yielded).

    >>> clean_stream([("a", "x")], memory=[1])
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: clean_stream: memory must be an int, a size such as '2G', or None, not list
    """
    check_iterable("clean_stream", "documents", documents, "an iterable of Document objects or (id, text) tuples")
    check_config("clean_stream", config, Config)
    check_int("clean_stream", "jobs", jobs)
    if memory is not None and (isinstance(memory, bool) or not isinstance(memory, int | str)):
        raise type_error("clean_stream", "memory", "an int, a size such as '2G', or None", memory)
    if work is not None and not isinstance(work, str | os.PathLike):
        raise type_error("clean_stream", "work", "a path or None", work)
    budget = parse_memory(memory) if isinstance(memory, str) else memory
    return _cleaned(documents, config or Config(), jobs, Path(work) if work is not None else None, budget, against)


def _cleaned(
    documents: Iterable[DocumentLike], config: Config, jobs: int, work: Path | None, budget: int | None,
    against: Prior | None,
) -> Iterator[CleanedDocument]:
    """:func:`clean_stream`'s generator, its arguments checked."""
    temporary = work is None
    root = Path(tempfile.mkdtemp(prefix="dedup-work-")) if work is None else work
    checked = (as_document(check_document("clean_stream", i, d)) for i, d in enumerate(documents))
    folder = WorkFolder.open(root, settings_of(config, engine="library"))
    finished = False
    try:
        results = run_stream(item_tasks(checked), config, folder, jobs=jobs, memory=budget, index=against,
                             refuse_repeated_ids=True)  # fmt: skip
        for result in results:
            if isinstance(result, CleanedDocument):
                yield result
        finished = True
    finally:
        folder.close(remove=finished or temporary)  # an interrupted run keeps its shards, to resume
