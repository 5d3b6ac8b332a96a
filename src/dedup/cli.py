"""The ``dedup`` command: a thin layer of argparse subcommands over the library.

Exit codes: 0 every input was cleaned or deliberately skipped (empty, binary, too large, hidden,
a link: see the report); 1 some input could not be read (unreadable path, bad JSONL line,
duplicate id: the rest was still written); 2 bad usage or a refused output (it would overwrite
input, leave the output folder, or the folder is in use by another run); 3 a bug in dedup (the
traceback is shown); 4 an output could not be written (full disk, read-only folder); 130
interrupted (Ctrl-C); 143 terminated (SIGTERM). After 3, 4, 130 and 143 every file already
written is complete, and running the command again finishes the job.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from dedup.commands import TERMS, Terminated, progress_bar, run_clean, run_index
from dedup.config import CleanConfig, Config, DedupConfig, StripConfig
from dedup.errors import DedupError, OutputWriteError, UsageError
from dedup.io.read import MAX_BYTES, Skip, printable
from dedup.io.sinks import jsonl_line
from dedup.io.write import write_stream
from dedup.near.clusters import find_duplicates, format_clusters
from dedup.pipeline import clean_items
from dedup.plan import existing_input, file_items, read_single, read_stdin
from dedup.records import CleanedDocument

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE, EXIT_BUG, EXIT_OUTPUT = 0, 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 128 + signal.SIGTERM


_Result = CleanedDocument | Skip


def _add_input(parser: argparse.ArgumentParser) -> None:
    """Options of every subcommand: what to read and how to clean it."""
    parser.add_argument("input", help="a folder, a text or .jsonl file, or - for standard input")
    parser.add_argument("--jsonl", action="store_true",
                        help="read (and write) JSONL records ({'id', 'text'} per line) instead of plain text")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (output does not change)")
    parser.add_argument("--max-bytes", type=int, default=MAX_BYTES, help="skip input files larger than this")
    parser.add_argument("--no-repair", action="store_true", help="do not run ftfy's Unicode repair")
    parser.add_argument("--uncurl-quotes", action="store_true", help="turn curly quotes into straight ones")
    parser.add_argument("--unwrap", choices=["auto", "never", "always"], default="auto",
                        help="join the lines of hard-wrapped paragraphs (default: auto-detect)")
    parser.add_argument("--site", choices=["parent", "none"], default="parent",
                        help="how a folder's files are grouped into sites for template detection: by their "
                        "folder (default) or not at all (JSONL records use their 'site' or 'url' field)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")


def _add_output(parser: argparse.ArgumentParser) -> None:
    """Options of the subcommands that write cleaned text."""
    parser.add_argument("-o", "--output", default=None,
                        help="output folder (for a folder input), file, or - for standard output (default)")
    parser.add_argument("--report", type=Path, default=None,
                        help="write the per-document report (JSONL) here (default: OUT_DIR/report.jsonl)")
    parser.add_argument("--force", action="store_true",
                        help="write into an output folder that already holds other files")
    parser.add_argument("--engine", choices=["stream", "memory", "spark"], default="stream",
                        help="stream (default): shards in a work folder, bounded memory, a rerun resumes; "
                        "memory: the whole corpus in memory; spark: as stream, the shards cleaned on Apache Spark "
                        "(needs dedup-text[spark] and a Java runtime); the same output from all three")
    parser.add_argument("--master", default=None, metavar="URL",
                        help="with --engine spark: the Spark master, such as local[4] or spark://host:7077 "
                        "(default: local[JOBS])")
    parser.add_argument("--memory", default=None, metavar="SIZE",
                        help="memory budget of the corpus steps' sorts, such as 512M or 2G (default: an eighth "
                        "of the memory available, at most 1G); beyond it they spill to the work folder")
    parser.add_argument("--work", default=None, metavar="DIR",
                        help="work folder of a streaming run (default: OUT_DIR/.dedup-work, or .NAME.dedup-work "
                        "beside an output file, or a temporary folder for standard output); removed when the run "
                        "ends, kept after an interruption so that the same command resumes")


def _add_matching(parser: argparse.ArgumentParser) -> None:
    """Options of the near-duplicate finder."""
    defaults = DedupConfig()
    parser.add_argument("--threshold", type=float, default=defaults.threshold,
                        help="Jaccard similarity of shingle sets that makes two paragraphs near-duplicates "
                        f"(default {defaults.threshold})")
    parser.add_argument("--containment", type=float, default=defaults.containment,
                        help="share of a paragraph's shingles inside a longer one that makes it contained "
                        f"(default {defaults.containment})")
    parser.add_argument("--within-documents", action="store_true",
                        help="remove repeats within each document only, keep copies across documents")
    parser.add_argument("--order", choices=["id", "input"], default=defaults.order,
                        help="which document's copy is kept across documents: the first by sorted id (default) "
                        "or by input order")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dedup`` command."""
    parser = argparse.ArgumentParser(
        prog="dedup", description="Clean scraped article text: canonical Unicode, chrome and repeats removed."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    clean = sub.add_parser(
        "clean", help="clean documents: repair, strip chrome, remove repeated paragraphs",
        description="Clean documents and report what was removed and why.",
        epilog="examples:\n  dedup clean fixtures/seeds -o out\n  dedup clean - < page.txt\n"
               "  dedup clean --jsonl pages.jsonl -o clean.jsonl --jobs 2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input(clean)
    _add_output(clean)
    _add_matching(clean)
    clean.add_argument("--no-strip", action="store_true", help="keep site chrome (no boilerplate stripper)")
    clean.add_argument("--no-dedup", action="store_true", help="keep repeated paragraphs")
    clean.add_argument("--against", metavar="INDEX", default=None,
                       help="also remove paragraphs that repeat those of an index of earlier crawls (dedup index)")
    strip = sub.add_parser(
        "strip", help="print text with site chrome removed (no de-duplication)",
        description="Remove site chrome from text and print the rest.",
        epilog="examples:\n  dedup strip page.txt\n  dedup strip - < page.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input(strip)
    _add_output(strip)
    find = sub.add_parser(
        "find", help="print clusters of repeated paragraphs within and across documents",
        description="Find exact, near and contained repeats of paragraphs (after cleaning and stripping chrome) "
        "and print each cluster: the paragraph kept and the ones that repeat it, with their similarity.",
        epilog="examples:\n  dedup find fixtures/seeds\n  dedup find pages.jsonl --json > clusters.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input(find)
    _add_matching(find)
    find.add_argument("--json", action="store_true", help="one JSON object per cluster instead of text")
    find.add_argument("--no-strip", action="store_true", help="match chrome lines too (no boilerplate stripper)")
    _add_index(sub)
    return parser


def _add_index(sub: Any) -> None:
    """The ``index`` subcommand: ``build``, ``add`` and ``info``."""
    index = sub.add_parser(
        "index", help="keep the paragraphs of earlier crawls to match new ones against (clean --against)",
        description="Build and grow a persistent index of crawls: later runs of `dedup clean NEW --against INDEX` "
        "remove the paragraphs of NEW that repeat indexed ones.",
        epilog="examples:\n  dedup index build week1.jsonl -o crawls.idx\n  dedup index add crawls.idx week2.jsonl\n"
               "  dedup clean week3.jsonl -o week3.clean.jsonl --against crawls.idx\n  dedup index info crawls.idx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    actions = index.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="a new index of a crawl (its settings are the index's for good)")
    _add_input(build)
    build.add_argument("-o", "--output", dest="index", required=True, help="the index folder to make")
    _add_matching(build)
    build.add_argument("--no-strip", action="store_true", help="keep site chrome (no boilerplate stripper)")
    add = actions.add_parser("add", help="add a crawl, cleaned with the index's settings")
    add.add_argument("index", help="the index folder")
    _add_input(add)
    info = actions.add_parser("info", help="print the index's settings and size as JSON")
    info.add_argument("index", help="the index folder")
    info.add_argument("--no-progress", action="store_true", help=argparse.SUPPRESS)  # as every command takes it
    for parser in (build, add):
        parser.add_argument("--memory", default=None, metavar="SIZE", help="memory budget, such as 512M or 2G")


def _config_from(args: argparse.Namespace) -> Config:
    """The pipeline configuration the options ask for.

    Raises:
        ArgumentValueError: an option's value is out of range (a ``DedupError``: exit 2, one line).
    """
    clean = CleanConfig(repair=not args.no_repair, uncurl_quotes=args.uncurl_quotes, unwrap=args.unwrap)
    strip_on = not getattr(args, "no_strip", False)
    if args.command == "strip":
        return Config(clean=clean, strip=StripConfig(enabled=strip_on), dedup=DedupConfig(enabled=False))
    dedup = DedupConfig(
        enabled=not getattr(args, "no_dedup", False), threshold=args.threshold, containment=args.containment,
        across_documents=not args.within_documents, order=args.order,
        lsh_threshold=min(DedupConfig().lsh_threshold, args.threshold),
    )
    return Config(clean=clean, strip=StripConfig(enabled=strip_on), dedup=dedup)


def _run_find(args: argparse.Namespace, err: IO[str]) -> int:
    """The ``find`` subcommand: clusters of repeated paragraphs, printed to stdout."""
    config = _config_from(args)
    if args.input == "-":
        items = read_stdin(args)
    else:
        in_path = existing_input(args)
        items = file_items(args, in_path, None)[0] if in_path.is_dir() else read_single(args, in_path)
    per_document = dataclasses.replace(config, dedup=dataclasses.replace(config.dedup, enabled=False))
    results = clean_items(items, per_document, jobs=args.jobs, max_bytes=args.max_bytes,
                          progress=progress_bar(args, len(items)))
    paragraphs = [p for r in results if isinstance(r, CleanedDocument) for p in r.kept]
    clusters = find_duplicates(paragraphs, config.dedup, config.minhash)
    if args.json:
        write_stream(sys.stdout.buffer, "".join(jsonl_line(c.to_dict()) for c in clusters))
    else:
        write_stream(sys.stdout.buffer, format_clusters(clusters) + "\n")
    skips = [r for r in results if isinstance(r, Skip)]
    if not args.quiet:
        err.writelines(s.describe() + "\n" for s in skips)
    return EXIT_INPUT_ERRORS if any(s.error for s in skips) else EXIT_OK


def _check_args(args: argparse.Namespace) -> None:
    """Refuse option values no run can use."""
    if getattr(args, "jobs", 1) < 1:
        raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
    if getattr(args, "max_bytes", 1) < 1:
        raise UsageError(f"--max-bytes must be at least 1, not {args.max_bytes}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dedup`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    return _main(argv, exiting=False)


def program() -> NoReturn:
    """The ``dedup`` console script and ``python -m dedup``: :func:`main`, then exit with its code.

    Once the run is over every output is complete, so SIGINT and SIGTERM are ignored and the process
    ends at once, with ``os._exit`` after flushing its standard streams, without the interpreter's
    shutdown: that takes about 0.4 s with numba loaded, resets Python's signal handlers to the default
    (a signal landing there killed the process without its exit code), and, after a run whose workers
    were ended, joins the worker pool's manager thread, which on Python 3.11 can print a traceback or
    wait for good on a result a killed worker left half-written.
    """
    code = _main(None, exiting=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # gone or closed: nothing more can be shown
            code = code or EXIT_OUTPUT
    os._exit(code)


def _main(argv: Sequence[str] | None, *, exiting: bool) -> int:
    args = build_parser().parse_args(argv)
    with _terminate_as_exception(ignore_after=exiting):
        try:
            return run_command(args)
        except KeyboardInterrupt:  # landed after run_command returned, before the signals were ignored
            return EXIT_INTERRUPTED
        except Terminated:
            return EXIT_TERMINATED


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command; turn every deliberate failure into one line and its exit code."""
    name = f"dedup {args.command}"
    try:
        _check_args(args)
        if args.command == "find":
            return _run_find(args, sys.stderr)
        if args.command == "index":
            return run_index(args, sys.stderr, _config_from(args) if args.action == "build" else Config())
        return run_clean(args, sys.stderr, _config_from(args))
    except OutputWriteError as exc:
        print(f"{name}: error: {printable(exc.strerror or str(exc))}; files already written are complete",
              file=sys.stderr)
        return EXIT_OUTPUT
    except DedupError as exc:
        print(f"{name}: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dedup: interrupted; outputs already written are complete, rerun to finish", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("dedup: terminated; outputs already written are complete, rerun to finish", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:
        with contextlib.suppress(OSError):  # the reader left: nothing more can be shown to it
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- keeps the exit flush from failing
        return EXIT_INPUT_ERRORS
    except Exception:
        traceback.print_exc()
        print(f"{name}: internal error (a bug in dedup, please report it with the traceback above)",
              file=sys.stderr)
        return EXIT_BUG


@contextlib.contextmanager
def _terminate_as_exception(*, ignore_after: bool = False) -> Iterator[None]:
    """While running, SIGTERM raises :class:`Terminated` in the main thread (and is restored after).

    ``ignore_after`` ignores SIGINT and SIGTERM instead, for a process that exits next.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        TERMS.append(signum)
        raise Terminated

    def unraisable(info: Any) -> None:  # raised in a finaliser or a hook: _check_terminated raises it again
        if not isinstance(info.exc_value, (Terminated, KeyboardInterrupt)):
            previous_hook(info)

    TERMS.clear()
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        if ignore_after:  # SIG_IGN, not a blocked mask: a mask is per thread, and BLAS and numba keep threads
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGTERM, previous)
