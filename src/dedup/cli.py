"""The ``dedup`` command: a thin layer of argparse subcommands over the library.

Exit codes: 0 every input was cleaned or deliberately skipped (empty, binary, too large: see the
report); 1 some input could not be read (unreadable path, bad JSONL line); 2 bad usage or a
refused output (it would overwrite input); 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dedup.config import CleanConfig, Config, DedupConfig, StripConfig
from dedup.duplicates import find_duplicates, format_clusters
from dedup.errors import BinaryInputError, OutputError, UsageError
from dedup.model import CleanedDocument, Document
from dedup.pipeline import FileItem, clean_items
from dedup.read import MAX_BYTES, Skip, decode, iter_files, read_file, read_jsonl
from dedup.write import check_output_dir, is_within, prepare_output_dir, write_atomic

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

Result = CleanedDocument | Skip


@dataclass(frozen=True, slots=True)
class Plan:
    """What one ``clean`` or ``strip`` run reads and writes.

    ``mode`` is ``"tree"`` (a folder mirrored into a folder), ``"jsonl"`` (records to one stream)
    or ``"text"`` (one document to one stream).
    """

    mode: str
    items: list[Document | Skip] | list[FileItem]
    out: Path | None
    report: Path | None
    notes: tuple[str, ...] = ()


def add_input(parser: argparse.ArgumentParser) -> None:
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


def add_output(parser: argparse.ArgumentParser) -> None:
    """Options of the subcommands that write cleaned text."""
    parser.add_argument("-o", "--output", default=None,
                        help="output folder (for a folder input), file, or - for standard output (default)")
    parser.add_argument("--report", type=Path, default=None,
                        help="write the per-document report (JSONL) here (default: OUT_DIR/report.jsonl)")
    parser.add_argument("--force", action="store_true",
                        help="write into an output folder that already holds other files")


def add_matching(parser: argparse.ArgumentParser) -> None:
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
    add_input(clean)
    add_output(clean)
    add_matching(clean)
    clean.add_argument("--no-strip", action="store_true", help="keep site chrome (no boilerplate stripper)")
    clean.add_argument("--no-dedup", action="store_true", help="keep repeated paragraphs")
    strip = sub.add_parser(
        "strip", help="print text with site chrome removed (no de-duplication)",
        description="Remove site chrome from text and print the rest.",
        epilog="examples:\n  dedup strip page.txt\n  dedup strip - < page.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input(strip)
    add_output(strip)
    find = sub.add_parser(
        "find", help="print clusters of repeated paragraphs within and across documents",
        description="Find exact, near and contained repeats of paragraphs (after cleaning and stripping chrome) "
        "and print each cluster: the paragraph kept and the ones that repeat it, with their similarity.",
        epilog="examples:\n  dedup find fixtures/seeds\n  dedup find pages.jsonl --json > clusters.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input(find)
    add_matching(find)
    find.add_argument("--json", action="store_true", help="one JSON object per cluster instead of text")
    find.add_argument("--no-strip", action="store_true", help="match chrome lines too (no boilerplate stripper)")
    return parser


def config_from(args: argparse.Namespace) -> Config:
    """The pipeline configuration the options ask for."""
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


def read_stdin(args: argparse.Namespace) -> list[Document | Skip]:
    """Standard input as one document, or as JSONL records."""
    if args.jsonl:
        return list(read_jsonl(sys.stdin.buffer, "-"))
    data = sys.stdin.buffer.read()
    if not data.strip():
        return [Skip("-", "empty")]
    try:
        text, notes = decode(data)
    except BinaryInputError as exc:
        return [Skip("-", f"binary: {exc}")]
    return [Document(id="-", text=text, source="-", notes=notes)]


def plan_stream(args: argparse.Namespace, items: list[Document | Skip], in_path: Path | None) -> Plan:
    """Plan a run whose input is one file or standard input."""
    out = None if args.output in (None, "-") else Path(args.output)
    if out is not None and in_path is not None and out.exists() and out.resolve() == in_path.resolve():
        raise OutputError(f"output {out} is the input file: refusing to overwrite input")
    if out is not None and out.is_dir():
        raise UsageError(f"output {out} is a folder; give a file name or - for a single input")
    return Plan("jsonl" if args.jsonl else "text", items, out, args.report)


def file_items(args: argparse.Namespace, in_dir: Path, exclude: Path | None) -> list[FileItem]:
    """The files below ``in_dir`` with their document ids (relative paths) and sites.

    With ``--site parent`` (the default) a file's site is its folder relative to ``in_dir``
    (``"."`` for files directly in it): a corpus laid out one folder per site.
    """
    root = in_dir.resolve()
    items: list[FileItem] = []
    for path in iter_files(root, exclude=exclude):
        rel = path.relative_to(root)
        items.append((path, rel.as_posix(), rel.parent.as_posix() if args.site == "parent" else None))
    return items


def plan_tree(args: argparse.Namespace, in_dir: Path) -> Plan:
    """Plan a run over a folder: into a mirrored folder, or into one JSONL stream."""
    if args.output is None:
        raise UsageError(f"input {in_dir} is a folder: give an output with -o (a folder, a .jsonl file or -)")
    if args.output == "-" or args.jsonl or args.output.endswith(".jsonl"):
        out = None if args.output == "-" else Path(args.output)
        if out is not None and is_within(out, in_dir):
            raise OutputError(f"output {out} is inside the input folder {in_dir}: it would be read as input")
        return Plan("jsonl", file_items(args, in_dir, None), out, args.report)
    out_dir = Path(args.output)
    check_output_dir(in_dir, out_dir, force=args.force)
    notes: tuple[str, ...] = ()
    exclude = None
    if is_within(out_dir, in_dir):
        exclude = out_dir.resolve()
        notes = (f"output folder {out_dir} is inside the input folder: it is not read as input",)
    return Plan("tree", file_items(args, in_dir, exclude), out_dir, args.report or out_dir / "report.jsonl", notes)


def make_plan(args: argparse.Namespace) -> Plan:
    """Decide what to read and where to write, refusing anything that would put input at risk."""
    if args.input == "-":
        return plan_stream(args, read_stdin(args), None)
    in_path = existing_input(args)
    if in_path.is_dir():
        return plan_tree(args, in_path)
    return plan_stream(args, read_single(args, in_path), in_path)


def existing_input(args: argparse.Namespace) -> Path:
    """The input path, which must exist."""
    in_path = Path(args.input)
    if not in_path.exists():
        raise UsageError(f"input {in_path} does not exist")
    return in_path


def read_single(args: argparse.Namespace, in_path: Path) -> list[Document | Skip]:
    """A file input: JSONL records (``--jsonl`` or a ``.jsonl`` name, which sets ``--jsonl``) or one document."""
    if not (args.jsonl or in_path.suffix == ".jsonl"):
        return [read_file(in_path, in_path.name, max_bytes=args.max_bytes)]
    args.jsonl = True
    try:
        with in_path.open("rb") as stream:
            return list(read_jsonl(stream, str(in_path)))
    except OSError as exc:
        return [Skip(str(in_path), f"unreadable: {exc.strerror or exc}", error=True)]


def progress_bar(args: argparse.Namespace, total: int) -> Any:
    """A wrapper that shows a progress bar on stderr when it is a terminal (tqdm decides)."""
    if args.no_progress:
        return None
    from tqdm import tqdm

    def wrap(stream: Iterator[Result]) -> Iterator[Result]:
        yield from tqdm(stream, total=total, unit="doc", file=sys.stderr, disable=None, leave=False)

    return wrap


def jsonl_line(record: dict[str, Any]) -> str:
    """One JSON object on one line, UTF-8 text kept readable."""
    return json.dumps(record, ensure_ascii=False) + "\n"


def render_stream(plan: Plan, results: list[Result]) -> str:
    """The whole output of a stream run (text or JSONL records)."""
    docs = [r for r in results if isinstance(r, CleanedDocument)]
    if plan.mode == "text":
        return "".join(d.text for d in docs)
    return "".join(jsonl_line({"id": d.id, "text": d.text, **({"site": d.site} if d.site else {})}) for d in docs)


def write_outputs(plan: Plan, results: list[Result]) -> None:
    """Write cleaned documents and the report where the plan says."""
    if plan.mode == "tree":
        assert plan.out is not None
        prepare_output_dir(plan.out)
        for r in results:
            if isinstance(r, CleanedDocument):
                write_atomic(plan.out / r.id, r.text)
    else:
        text = render_stream(plan, results)
        if plan.out is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_atomic(plan.out, text)
    if plan.report is not None:
        write_atomic(plan.report, "".join(jsonl_line(r.report()) for r in results))


def summary(plan: Plan, results: list[Result]) -> str:
    """One paragraph for stderr: what was read, kept, removed (by stage) and skipped."""
    docs = [r for r in results if isinstance(r, CleanedDocument)]
    skips = [r for r in results if isinstance(r, Skip)]
    stages = Counter(p.removed.stage for d in docs for p in d.paragraphs if p.removed is not None)
    total = sum(len(d.paragraphs) for d in docs)
    kept = sum(len(d.kept) for d in docs)
    lines = [*plan.notes, f"dedup: {len(docs)} document(s) cleaned, {len(skips)} skipped; "
             f"{total} paragraphs in, {kept} kept"]
    if stages:
        lines.append("removed: " + ", ".join(f"{stage} {n}" for stage, n in sorted(stages.items())))
    lines.extend(s.describe() for s in skips)
    written = [str(p) for p in (plan.out, plan.report) if p is not None]
    if written:
        lines.append("wrote " + " and ".join(written))
    return "\n".join(lines) + "\n"


def run_clean(args: argparse.Namespace, err: IO[str]) -> int:
    """The ``clean`` and ``strip`` subcommands."""
    config = config_from(args)
    plan = make_plan(args)
    results = clean_items(plan.items, config, jobs=args.jobs, max_bytes=args.max_bytes,
                          progress=progress_bar(args, len(plan.items)))
    write_outputs(plan, results)
    if not args.quiet:
        err.write(summary(plan, results))
    return EXIT_INPUT_ERRORS if any(isinstance(r, Skip) and r.error for r in results) else EXIT_OK


def run_find(args: argparse.Namespace, err: IO[str]) -> int:
    """The ``find`` subcommand: clusters of repeated paragraphs, printed to stdout."""
    config = config_from(args)
    if args.input == "-":
        items: list[Document | Skip] | list[FileItem] = read_stdin(args)
    else:
        in_path = existing_input(args)
        items = file_items(args, in_path, None) if in_path.is_dir() else read_single(args, in_path)
    per_document = dataclasses.replace(config, dedup=dataclasses.replace(config.dedup, enabled=False))
    results = clean_items(items, per_document, jobs=args.jobs, max_bytes=args.max_bytes,
                          progress=progress_bar(args, len(items)))
    paragraphs = [p for r in results if isinstance(r, CleanedDocument) for p in r.kept]
    clusters = find_duplicates(paragraphs, config.dedup, config.minhash)
    if args.json:
        sys.stdout.write("".join(jsonl_line(c.to_dict()) for c in clusters))
    else:
        sys.stdout.write(format_clusters(clusters) + "\n")
    skips = [r for r in results if isinstance(r, Skip)]
    if not args.quiet:
        err.writelines(s.describe() + "\n" for s in skips)
    return EXIT_INPUT_ERRORS if any(s.error for s in skips) else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dedup`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.jobs < 1:
            raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
        return run_find(args, sys.stderr) if args.command == "find" else run_clean(args, sys.stderr)
    except (UsageError, OutputError, ValueError) as exc:
        print(f"dedup {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dedup: interrupted; outputs already written are complete, rerun to finish", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_INPUT_ERRORS
