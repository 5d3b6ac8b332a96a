"""Where ``dedup clean`` spends its time: the pipeline's steps run one after another, each timed.

The steps are :mod:`dedup.pipeline`'s own (it times each inside the ``timer`` it is given), in one
process (``--jobs 1``): read the files of a folder (ids and sites as ``dedup clean`` gives them),
segment, normalize (ftfy's repair and the canonical cleaner), strip (rules and line classifier),
site templates, exact repeats, near-duplicates, then render and write the texts and reports. Each
step's CPU seconds (``time.process_time``: all threads of this process) and wall seconds are
recorded. The texts are those of :func:`dedup.clean_documents` (checked by the tests).

``python -m dedup.evaluation.profile IN_DIR [--markdown]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dedup.config import Config
from dedup.io import Skip, iter_files, printable, read_file, write_atomic
from dedup.pipeline import corpus_steps, prepare_document
from dedup.records import CleanedDocument, Document

STAGES = ("read", "segment", "normalize", "strip", "templates", "exact", "near", "write")


@dataclasses.dataclass(slots=True)
class Profile:
    """CPU and wall seconds per stage, and the input's size."""

    nbytes: int = 0
    documents: int = 0
    cpu: dict[str, float] = dataclasses.field(default_factory=dict)
    wall: dict[str, float] = dataclasses.field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as stage ``name``."""
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall

    def table(self, markdown: bool = False) -> list[str]:
        """One row per stage: CPU s, share of the total, CPU s per MB, wall s; then the total."""
        total = sum(self.cpu.values()) or 1e-9
        mb = self.nbytes / 1e6 or 1e-9
        rows = [(name, self.cpu[name], self.wall[name]) for name in STAGES if name in self.cpu]
        rows.append(("total", sum(self.cpu.values()), sum(self.wall.values())))
        if markdown:
            out = ["| stage | CPU s | share | CPU s/MB | wall s |", "|---|---:|---:|---:|---:|"]
            return out + [f"| {n} | {c:.2f} | {c / total:.0%} | {c / mb:.2f} | {w:.2f} |" for n, c, w in rows]
        out = [f"{'stage':<10} {'CPU s':>8} {'share':>6} {'CPU s/MB':>9} {'wall s':>8}"]
        return out + [f"{n:<10} {c:>8.2f} {c / total:>6.0%} {c / mb:>9.2f} {w:>8.2f}" for n, c, w in rows]


def read_folder(folder: Path) -> list[Document]:
    """The documents of a folder as ``dedup clean`` reads them: id the relative path, site its folder."""
    root = folder.resolve()
    docs = []
    for path in iter_files(root):
        if isinstance(path, Skip):
            continue
        rel = path.relative_to(root)
        doc = read_file(path, printable(rel.as_posix()), follow_links=False)
        if isinstance(doc, Document):
            docs.append(dataclasses.replace(doc, site=printable(rel.parent.as_posix())))
    return docs


def staged_clean(docs: Sequence[Document], config: Config, profile: Profile) -> list[CleanedDocument]:
    """The pipeline's own steps over ``docs`` (:func:`dedup.pipeline.prepare_document`, then
    :func:`dedup.pipeline.corpus_steps`), each step timed into ``profile``."""
    prepared = [prepare_document(d, config, profile.stage) for d in docs]
    return corpus_steps(prepared, config, profile.stage)


def profile_folder(folder: Path, out_dir: Path, config: Config | None = None) -> tuple[Profile, list[CleanedDocument]]:
    """Read, clean and write a folder stage by stage; the profile and the cleaned documents."""
    config = config or Config()
    profile = Profile()
    with profile.stage("read"):
        docs = read_folder(folder)
    profile.documents = len(docs)
    profile.nbytes = sum(len(d.text.encode("utf-8")) for d in docs)
    cleaned = staged_clean(docs, config, profile)
    with profile.stage("write"):
        for d in cleaned:
            write_atomic(out_dir / d.id, d.text)
        write_atomic(out_dir / "report.jsonl", "".join(json.dumps(d.report()) + "\n" for d in cleaned))
    return profile, cleaned


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dedup.evaluation.profile IN_DIR [--markdown]``: print the per-stage table."""
    parser = argparse.ArgumentParser(prog="python -m dedup.evaluation.profile", description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="a folder of pages, one sub-folder per site")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as warm, tempfile.TemporaryDirectory() as out:
        first = next(p for p in sorted(args.folder.rglob("*.txt")))  # compile or load the numba kernels first
        (Path(warm) / "site").mkdir()
        (Path(warm) / "site" / first.name).write_bytes(first.read_bytes())
        profile_folder(Path(warm), Path(out) / "warm")
        profile, _ = profile_folder(args.folder, Path(out) / "run")
    print(f"{profile.documents} documents, {profile.nbytes / 1e6:.1f} MB, one process")
    print("\n".join(profile.table(args.markdown)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
