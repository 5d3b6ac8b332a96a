"""The work of the ``clean`` and ``strip`` subcommands: a plan's input through an engine into its outputs.

The CLI (:mod:`dedup.cli`) parses and plans; here the input goes through the streaming engine (shards in a
work folder that is removed once every output is written, and kept after an interruption so that the
same command resumes) or the in-memory one, into a :class:`~dedup.io.sinks.ResultSink`. A SIGTERM
becomes :class:`Terminated`, checked between documents and shards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dedup.config import Config
from dedup.engines.budget import parse_memory
from dedup.engines.index import Index
from dedup.engines.parquet import clean_parquet, is_parquet, parquet_plan
from dedup.engines.stream import Runner, run_stream, settings_of
from dedup.engines.work import WorkFolder
from dedup.errors import UsageError
from dedup.io.read import Skip
from dedup.io.sinks import ResultSink
from dedup.io.write import OutputTree
from dedup.pipeline import clean_items
from dedup.plan import Plan, existing_input, index_plan, input_tasks, make_plan
from dedup.records import CleanedDocument

__all__ = [
    "TERMS", "Terminated", "check_terminated", "progress_bar", "progress_ticks", "run_clean", "run_index",
]

EXIT_OK, EXIT_INPUT_ERRORS = 0, 1

_Result = CleanedDocument | Skip


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (workers ended, no half-written file), then exit 143."""



def progress_bar(args: argparse.Namespace, total: int) -> Any:
    """A wrapper of the results that shows a progress bar on stderr when it is a terminal (tqdm decides),
    and ends the run when a SIGTERM was swallowed (:func:`check_terminated`)."""

    def checked(stream: Iterator[_Result]) -> Iterator[_Result]:
        for result in stream:
            check_terminated()
            yield result

    if args.no_progress:
        return checked
    from tqdm import tqdm

    def wrap(stream: Iterator[_Result]) -> Iterator[_Result]:
        yield from tqdm(checked(stream), total=total, unit="doc", file=sys.stderr, disable=None, leave=False)

    return wrap


TERMS: list[int] = []
"""The SIGTERMs this process received during the run (the signal is process-wide state already)."""


def check_terminated() -> None:
    """Raise :class:`Terminated` if a SIGTERM came: its handler's exception can land where Python swallows it
    (a finaliser, a fork hook), so the run checks again between documents."""
    if TERMS:
        raise Terminated


def _written(plan: Plan) -> list[str]:
    """The outputs a run writes, as the summary names them."""
    return [str(p) for p in (plan.out, plan.report) if p is not None]


def _sink(plan: Plan, tree: OutputTree | None) -> ResultSink:
    """Where the plan's results go."""
    in_tree = plan.report_in_tree()
    return ResultSink(
        plan.mode, out=plan.out, stream=sys.stdout.buffer if plan.out is None else None, tree=tree,
        paths=plan.paths, report=None if in_tree is not None and tree is not None else plan.report,
        report_rel=in_tree if tree is not None else None,
    )  # fmt: skip


def run_clean(args: argparse.Namespace, err: IO[str], config: Config) -> int:
    """The ``clean`` and ``strip`` subcommands with ``config``: the output folder is held (locked) from start to end."""
    if getattr(args, "against", None) and not config.dedup.enabled:
        raise UsageError("--against needs de-duplication (leave --no-dedup out)")
    if getattr(args, "against", None) and args.engine == "memory":
        raise UsageError("--against needs the streaming engine (leave --engine memory out)")
    if getattr(args, "master", None) and args.engine != "spark":
        raise UsageError("--master needs --engine spark")
    if args.input != "-" and is_parquet(Path(args.input)):
        return _run_parquet(args, err, config)
    plan = make_plan(args)
    with contextlib.ExitStack() as stack:
        runner = _spark_runner(args, stack) if args.engine == "spark" else None  # before any output is touched
        tree = stack.enter_context(OutputTree.open(plan.out)) if plan.mode == "tree" and plan.out else None
        sink = stack.enter_context(_sink(plan, tree))
        if args.engine == "memory":
            items = plan.all_items(args.max_bytes)
            for result in clean_items(items, config, jobs=args.jobs, max_bytes=args.max_bytes,
                                      progress=progress_bar(args, len(items))):  # fmt: skip
                sink.add(result)
            sink.commit()
        else:
            work = _stream(args, plan, config, sink, stack, runner)
            sink.commit()
            work.close(remove=True)  # everything is written: the work is no longer needed
    if not args.quiet:
        err.write(sink.tally.summary(plan.notes, _written(plan)))
    return EXIT_INPUT_ERRORS if sink.tally.errors else EXIT_OK


def _run_parquet(args: argparse.Namespace, err: IO[str], config: Config) -> int:
    """A Parquet dataset cleaned on Spark into a Parquet dataset and a JSONL report."""
    source = Path(args.input)
    if args.engine != "spark":
        raise UsageError(f"Parquet input {source} needs --engine spark (the local engines read text and JSONL)")
    if getattr(args, "against", None):
        raise UsageError("--against does not take Parquet input yet: give JSONL records")
    plan = parquet_plan(existing_input(args), args.output, args.report, force=args.force)
    from dedup.engines.spark import session_at

    unused = [name for name in ("memory", "work") if getattr(args, name, None)]
    if unused and not args.quiet:
        err.write(f"dedup: {' and '.join('--' + n for n in unused)} not used: Parquet on Spark runs every step "
                  "on the executors, in Spark's memory and on its disks\n")  # fmt: skip
    with session_at(_master(args)) as spark:
        tally = clean_parquet(spark, plan, config)
    if not args.quiet:
        err.write(tally.summary((), [str(plan.out), str(plan.report)]))
    return EXIT_INPUT_ERRORS if tally.errors else EXIT_OK


def _stream(
    args: argparse.Namespace, plan: Plan, config: Config, sink: ResultSink, stack: contextlib.ExitStack,
    runner: Runner | None,
) -> WorkFolder:
    """Run the streaming engine over the plan's input into ``sink``; return its work folder, still held.

    A temporary work folder goes however the run ends; the plan's is kept after a failure, to resume.
    """
    against = getattr(args, "against", None)
    index = stack.enter_context(Index.open(against, config=config)) if against else None
    temporary = plan.work is None
    root = Path(tempfile.mkdtemp(prefix="dedup-work-")) if plan.work is None else plan.work
    work = stack.enter_context(WorkFolder.open(root, settings_of(config, input=args.input, max_bytes=args.max_bytes)))
    if temporary:
        stack.callback(work.close, remove=True)
    tick = progress_ticks(args)
    with contextlib.closing(input_tasks(plan, args.max_bytes)) as tasks:
        results = run_stream(tasks, config, work, jobs=args.jobs, max_bytes=args.max_bytes,
                             memory=parse_memory(args.memory) if args.memory else None, index=index,
                             progress=tick, runner=runner)  # fmt: skip
        for result in results:
            check_terminated()
            sink.add(result)
    return work


def _spark_runner(args: argparse.Namespace, stack: contextlib.ExitStack) -> Runner:
    """A runner on the active Spark session, or on a new one at ``--master`` (default ``local[JOBS]``) that is
    stopped when the run ends."""
    from dedup.engines.spark import SparkRunner, session_at

    return SparkRunner(stack.enter_context(session_at(_master(args))))


def _master(args: argparse.Namespace) -> str:
    """The Spark master of a run: ``--master``, or ``local[JOBS]``."""
    return str(args.master or f"local[{max(1, args.jobs)}]")


def progress_ticks(args: argparse.Namespace) -> Any:
    """A callback counting finished documents on a progress bar (stderr, when a terminal), that also ends the
    run when a SIGTERM was swallowed."""
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(unit="doc", file=sys.stderr, disable=None, leave=False)

    def tick(count: int) -> None:
        check_terminated()
        if bar is not None:
            bar.update(count)

    return tick


def run_index(args: argparse.Namespace, err: IO[str], config: Config) -> int:
    """``dedup index build IN -o INDEX`` (a new index, cleaned with ``config``), ``dedup index add INDEX IN``
    (a crawl cleaned with the index's settings), ``dedup index info INDEX`` (its header as JSON)."""
    if args.action == "info":
        with Index.open(args.index) as index:
            info = {"path": str(index.path), "documents": index.documents, "paragraphs": index.paragraphs,
                    **{k: index.manifest[k] for k in ("format", "version", "settings", "segments")}}  # fmt: skip
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
        return EXIT_OK
    path = Path(args.index)
    plan = index_plan(args, path)
    memory = parse_memory(args.memory) if args.memory else None
    with Index.create(path, config) if args.action == "build" else Index.open(path, write=True) as index:
        with contextlib.closing(input_tasks(plan, args.max_bytes)) as tasks:
            added = index.add(tasks, jobs=args.jobs, max_bytes=args.max_bytes, memory=memory,
                              progress=progress_ticks(args))  # fmt: skip
        total = (index.documents, index.paragraphs)
    if not args.quiet:
        err.write(f"dedup index: {added.documents} document(s) added, {len(added.skips)} skipped; "
                  f"{added.paragraphs} paragraphs to match against; {path} now holds {total[0]} document(s), "
                  f"{total[1]} paragraphs\n")  # fmt: skip
        err.writelines(s.describe() + "\n" for s in added.skips)
    return EXIT_INPUT_ERRORS if any(s.error for s in added.skips) else EXIT_OK
