"""Plan a ``clean`` or ``strip`` run: what to read, where to write, and why that is safe.

A plan is made before anything is read or written. It refuses every output that could touch an
input or another output: an output or report that is an input file or lies inside the input
folder, a report that is the output file or the output of one of the documents, an output folder
that holds the input. The documents of a folder get unique ids (their relative paths, with bytes
that are not UTF-8 shown as ``\\xNN``); hidden entries, links and duplicate ids become reported
skips.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dedup.engines.shard import ShardTask
from dedup.engines.sources import item_tasks, jsonl_tasks
from dedup.errors import BinaryInputError, OutputError, UsageError
from dedup.io.jsonl import read_jsonl
from dedup.io.read import Skip, decode, is_hidden, iter_files, printable, read_file
from dedup.io.write import MARKER, check_output_dir, is_within
from dedup.pipeline import FileItem
from dedup.records import Document

Item = Document | Skip | FileItem


@dataclass(frozen=True, slots=True)
class JsonlInput:
    """A JSONL stream read as the run goes: a file, or standard input when ``path`` is ``None``."""

    path: Path | None
    origin: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What one ``clean`` or ``strip`` run reads and writes.

    ``mode`` is ``"tree"`` (a folder mirrored into a folder), ``"jsonl"`` (records to one stream)
    or ``"text"`` (one document to one stream). The input is ``items``, or the JSONL stream
    ``jsonl`` (read as the run goes). ``paths`` maps each document id of a tree run to its output
    path relative to ``out`` (the file's own relative path, bytes and all). ``work`` is the work
    folder of a streaming run (``None``: a temporary one).
    """

    mode: str
    items: list[Item]
    out: Path | None
    report: Path | None
    notes: tuple[str, ...] = ()
    paths: dict[str, str] = field(default_factory=dict)
    jsonl: JsonlInput | None = None
    work: Path | None = None

    def all_items(self, max_bytes: int) -> list[Item]:
        """Every input item, a JSONL stream read whole (for the in-memory engine)."""
        return self.items if self.jsonl is None else read_jsonl_input(self.jsonl, max_bytes)

    def report_in_tree(self) -> str | None:
        """The report's path relative to the output folder of a tree run, when it lies inside it."""
        if self.mode != "tree" or self.out is None or self.report is None or not is_within(self.report, self.out):
            return None
        return self.report.resolve().relative_to(self.out.resolve()).as_posix()


def make_plan(args: argparse.Namespace) -> Plan:
    """Decide what to read and where to write, refusing anything that would put input at risk.

    Raises:
        UsageError: the input does not exist, or the options do not fit it.
        OutputError: an output would overwrite input or another output.
    """
    if args.input == "-":
        plan = _plan_stream(args, JsonlInput(None, "-") if args.jsonl else read_stdin(args), None)
    else:
        in_path = existing_input(args)
        if in_path.is_dir():
            plan = _plan_tree(args, in_path)
        else:
            plan = _plan_stream(args, single_input(args, in_path), in_path)
    given = None if args.input == "-" else Path(args.input)
    _check_report(plan, given)
    return _with_work(args, plan, given)


WORK_NAME = ".dedup-work"
"""The work folder of a run into an output folder, inside it (hidden, so never read as input or output)."""


def default_work(plan: Plan) -> Path | None:
    """Where a streaming run keeps its work by default: inside its output folder, beside its output file
    (``.NAME.dedup-work``), or nowhere lasting (a temporary folder) when it writes to standard output."""
    if plan.out is None:
        return None
    if plan.mode == "tree":
        return plan.out / WORK_NAME
    return plan.out.parent / f".{plan.out.name}{WORK_NAME}"


def _with_work(args: argparse.Namespace, plan: Plan, in_path: Path | None) -> Plan:
    """The plan with its work folder, refused where clearing or reading it could touch input or output.

    Raises:
        OutputError: the work folder would be read as input, or holds the input or an output.
    """
    if getattr(args, "engine", "stream") == "memory":
        return plan
    work = Path(args.work) if getattr(args, "work", None) else default_work(plan)
    if work is None:
        return plan
    shown = printable(str(work))
    in_tree = plan.mode == "tree" and plan.out is not None and is_within(work, plan.out)
    if in_path is not None and in_path.is_dir() and is_within(work, in_path) and not in_tree:
        raise OutputError(f"work folder {shown} is inside the input folder {in_path}: it would be read as input")
    if in_path is not None and is_within(in_path, work):
        raise OutputError(f"work folder {shown} holds the input {printable(str(in_path))}")
    if plan.mode == "tree" and plan.out is not None and work.resolve() == plan.out.resolve():
        raise OutputError(f"work folder {shown} is the output folder; leave --work out or choose another folder")
    for output in (plan.out, plan.report):
        if output is not None and (is_within(output, work) or (plan.mode != "tree" and is_within(work, output))):
            raise OutputError(f"work folder {shown} and output {printable(str(output))} would overlap")
    return dataclasses.replace(plan, work=work)


def index_plan(args: argparse.Namespace, index: Path) -> Plan:
    """The input of ``dedup index build`` or ``add``: a folder, a file or standard input, never the index.

    Raises:
        UsageError: the input does not exist.
        OutputError: the index would be read as input, or holds the input.
    """
    if args.input == "-":
        if args.jsonl:
            return Plan("jsonl", [], None, None, jsonl=JsonlInput(None, "-"))
        return Plan("text", read_stdin(args), None, None)
    in_path = existing_input(args)
    shown, shown_in = printable(str(index)), printable(str(in_path))
    if is_within(index, in_path) if in_path.is_dir() else index.resolve() == in_path.resolve():
        raise OutputError(f"index {shown} is inside the input {shown_in}: it would be read as input")
    if is_within(in_path, index):
        raise OutputError(f"input {shown_in} is inside the index {shown}")
    if in_path.is_dir():
        return Plan("tree", file_items(args, in_path, None)[0], None, None)
    source = single_input(args, in_path)
    if isinstance(source, JsonlInput):
        return Plan("jsonl", [], None, None, jsonl=source)
    return Plan("text", source, None, None)


def read_jsonl_input(source: JsonlInput, max_bytes: int) -> list[Item]:
    """A JSONL stream's records, read whole; a file that cannot be opened is an error skip."""
    if source.path is None:
        return list(read_jsonl(sys.stdin.buffer, source.origin, max_bytes=max_bytes))
    try:
        with source.path.open("rb") as stream:
            return list(read_jsonl(stream, source.origin, max_bytes=max_bytes))
    except OSError as exc:
        return [Skip(source.origin, f"unreadable: {exc.strerror or exc}", error=True)]


def read_stdin(args: argparse.Namespace) -> list[Item]:
    """Standard input as one document, or as JSONL records (read whole)."""
    if args.jsonl:
        return read_jsonl_input(JsonlInput(None, "-"), args.max_bytes)
    data = sys.stdin.buffer.read(args.max_bytes + 1)
    if len(data) > args.max_bytes:
        return [Skip("-", f"too large: over {args.max_bytes} bytes (see --max-bytes)")]
    if not data.strip():
        return [Skip("-", "empty")]
    try:
        text, notes = decode(data)
    except BinaryInputError as exc:
        return [Skip("-", f"binary: {exc}")]
    return [Document(id="-", text=text, source="-", notes=notes)]


def existing_input(args: argparse.Namespace) -> Path:
    """The input path, which must exist."""
    in_path = Path(args.input)
    if not in_path.exists():
        raise UsageError(f"input {printable(str(in_path))} does not exist")
    return in_path


def read_single(args: argparse.Namespace, in_path: Path) -> list[Item]:
    """A file input: JSONL records (``--jsonl`` or a ``.jsonl`` name, which sets ``--jsonl``) or one document,
    read whole."""
    source = single_input(args, in_path)
    return read_jsonl_input(source, args.max_bytes) if isinstance(source, JsonlInput) else source


def single_input(args: argparse.Namespace, in_path: Path) -> list[Item] | JsonlInput:
    """A file input: one document read now, or a JSONL stream (``--jsonl`` or a ``.jsonl`` name, which sets
    ``--jsonl``) to read as the run goes."""
    if not (args.jsonl or in_path.suffix == ".jsonl"):
        return [read_file(in_path, printable(in_path.name), max_bytes=args.max_bytes)]
    args.jsonl = True
    return JsonlInput(in_path, printable(str(in_path)))


def _plan_stream(args: argparse.Namespace, source: list[Item] | JsonlInput, in_path: Path | None) -> Plan:
    """Plan a run whose input is one file or standard input."""
    out = None if args.output in (None, "-") else Path(args.output)
    if out is not None and in_path is not None and out.exists() and out.resolve() == in_path.resolve():
        raise OutputError(f"output {out} is the input file: refusing to overwrite input")
    if out is not None and out.is_dir():
        raise UsageError(f"output {out} is a folder; give a file name or - for a single input")
    if isinstance(source, JsonlInput):
        return Plan("jsonl", [], out, args.report, jsonl=source)
    return Plan("jsonl" if args.jsonl else "text", source, out, args.report)


def _plan_tree(args: argparse.Namespace, in_dir: Path) -> Plan:
    """Plan a run over a folder: into a mirrored folder, or into one JSONL stream."""
    if args.output is None:
        raise UsageError(f"input {in_dir} is a folder: give an output with -o (a folder, a .jsonl file or -)")
    if args.output == "-" or args.jsonl or args.output.endswith(".jsonl"):
        out = None if args.output == "-" else Path(args.output)
        if out is not None and is_within(out, in_dir):
            raise OutputError(f"output {out} is inside the input folder {in_dir}: it would be read as input")
        if out is not None and out.is_dir():
            raise UsageError(f"output {out} is a folder; a folder input to JSONL needs a file name or -")
        items, _ = file_items(args, in_dir, None)
        return Plan("jsonl", items, out, args.report)
    out_dir = Path(args.output)
    check_output_dir(in_dir, out_dir, force=args.force)
    notes: tuple[str, ...] = ()
    exclude = None
    if is_within(out_dir, in_dir):
        exclude = out_dir.resolve()
        notes = (f"output folder {out_dir} is inside the input folder: it is not read as input",)
    items, paths = file_items(args, in_dir, exclude)
    _check_tree_links(out_dir, paths.values())
    return Plan("tree", items, out_dir, args.report or out_dir / "report.jsonl", notes, paths)


def file_items(args: argparse.Namespace, in_dir: Path, exclude: Path | None) -> tuple[list[Item], dict[str, str]]:
    """The entries below ``in_dir`` as items to read (or skips to report), and each id's relative path.

    A document's id is its relative path, shown printable; with ``--site parent`` (the default)
    its site is its folder relative to ``in_dir`` (``"."`` for files directly in it). Hidden
    entries are reported, not read: they are not articles (``.git``, editor files), and dedup
    keeps its own marker and temporary files under hidden names.
    """
    root = in_dir.resolve()
    items: list[Item] = []
    paths: dict[str, str] = {}
    for path in iter_files(root, exclude=exclude):
        if isinstance(path, Skip):
            items.append(path)
            continue
        rel = path.relative_to(root)
        doc_id = printable(rel.as_posix())
        if any(is_hidden(part) for part in rel.parts):
            kind = "folder" if path.is_dir() and not path.is_symlink() else "file"
            items.append(Skip(printable(str(path)), f"hidden {kind}: not read", doc_id=doc_id))
        elif doc_id in paths:
            items.append(Skip(printable(str(path)), f'duplicate id "{doc_id}" (a file name that is not UTF-8 shown '
                              "like another)", error=True, doc_id=doc_id))
        else:
            paths[doc_id] = rel.as_posix()
            items.append((path, doc_id, printable(rel.parent.as_posix()) if args.site == "parent" else None))
    return items, paths


def _check_tree_links(out_dir: Path, rels: Iterable[str]) -> None:
    """Refuse an output folder in which a folder that outputs go into is a symbolic link.

    Writes never follow links (:class:`~dedup.io.write.OutputTree`); this says so before the run
    instead of failing half-way.
    """
    folders = {PurePosixPath(rel).parent for rel in rels}
    seen: set[PurePosixPath] = set()
    for folder in sorted(folders):
        for depth in range(1, len(folder.parts) + 1):
            part = PurePosixPath(*folder.parts[:depth])
            if part in seen:
                continue
            seen.add(part)
            if os.path.islink(out_dir / part):
                raise OutputError(f"{out_dir / part} is a symbolic link inside the output folder: "
                                  "refusing to write through it")


def _check_report(plan: Plan, in_path: Path | None) -> None:
    """Refuse a report path that is an input, lies inside the input folder, or is another output.

    Raises:
        OutputError: the report would overwrite or be read as input, or collide with an output.
    """
    report = plan.report
    if report is None:
        return
    shown = printable(str(report))
    if report.is_dir():
        raise OutputError(f"report {shown} is a folder; give a file name")
    if in_path is not None and in_path.is_file() and report.resolve() == in_path.resolve():
        raise OutputError(f"report {shown} is the input file: refusing to overwrite input")
    in_tree = plan.report_in_tree()
    if in_path is not None and in_path.is_dir() and is_within(report, in_path) and in_tree is None:
        raise OutputError(f"report {shown} is inside the input folder {in_path}: it would be read as input")
    if plan.mode != "tree" and plan.out is not None and report.resolve() == plan.out.resolve():
        raise OutputError(f"report {shown} is the output file: one would overwrite the other")
    if plan.mode != "tree" and plan.out is not None and (is_within(report, plan.out) or is_within(plan.out, report)):
        raise OutputError(f"report {shown} and output {printable(str(plan.out))} are inside one another")
    if in_tree is not None:
        _check_report_in_tree(plan, report, in_tree)


def _check_report_in_tree(plan: Plan, report: Path, rel: str) -> None:
    """Refuse a report at ``rel`` inside the output folder: the output path of a document (or its folder)."""
    if rel in (".", MARKER):
        raise OutputError(f"report {printable(str(report))} would overwrite the output folder's own files")
    taken = set(plan.paths.values())
    taken.update(str(parent) for path in plan.paths.values() for parent in PurePosixPath(path).parents)
    if rel in taken:
        raise OutputError(
            f"report {printable(str(report))} is where the cleaned input {printable(rel)} goes: "
            "pass --report with another path (outside the input folder)"
        )


def input_tasks(plan: Plan, max_bytes: int) -> Generator[ShardTask, None, None]:
    """The plan's input as shard tasks (a JSONL stream read as the run goes)."""
    if plan.jsonl is None:
        yield from item_tasks(plan.items)
        return
    if plan.jsonl.path is None:
        yield from jsonl_tasks(sys.stdin.buffer, plan.jsonl.origin, max_bytes)
        return
    try:
        stream = plan.jsonl.path.open("rb")
    except OSError as exc:
        skip = Skip(plan.jsonl.origin, f"unreadable: {exc.strerror or exc}", error=True)
        yield from item_tasks([skip])
        return
    with stream:
        yield from jsonl_tasks(stream, plan.jsonl.origin, max_bytes)
