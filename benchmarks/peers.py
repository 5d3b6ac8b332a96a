"""The pipelines ``dedup clean`` is measured against, each a command over a folder of pages.

``python benchmarks/peers.py handwritten IN_DIR OUT_DIR``: what a user writes in an afternoon. Per
page, ``ftfy.fix_text``, then jusText 3 on the non-empty lines (one ``<p>`` per line, English
stoplist: :func:`dedup.evaluation.baselines.justext_lines`), then for each paragraph it keeps a
datasketch ``MinHash`` (128 permutations, word 3-gram shingles) queried against and inserted into
one ``MinHashLSH(threshold=0.8)``: a paragraph with a match is dropped. The kept paragraphs are
written out, one a line, under the same relative path.

``python benchmarks/peers.py datatrove IN_DIR OUT_DIR WORK_DIR``: datatrove's nearest equivalent,
through its public API: a reader of the pages, ``FTFYFormatter``, ``C4QualityFilter`` (its line
filter and document rules, default settings) and its four-stage MinHash deduplication (default
``MinhashConfig``: word 5-grams, 14 buckets of 8 hashes) with ``LocalPipelineExecutor``, one
worker. Its MinHash removes whole near-duplicate *documents*, not paragraphs: datatrove has no
paragraph-level near-duplicate step. ``WORK_DIR`` holds its intermediate files.
"""

from __future__ import annotations

import sys
from pathlib import Path


def pages(in_dir: Path) -> list[Path]:
    return sorted(p for p in in_dir.rglob("*.txt") if p.is_file())


def write(out_dir: Path, rel: str, lines: list[str]) -> None:
    path = out_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def shingles(paragraph: str) -> set[bytes]:
    words = paragraph.split()
    return {" ".join(words[i : i + 3]).encode("utf-8") for i in range(max(1, len(words) - 2))}


def handwritten(in_dir: Path, out_dir: Path) -> None:
    import ftfy
    from datasketch import MinHash, MinHashLSH

    from dedup.evaluation.baselines import justext_lines

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for path in pages(in_dir):
        rel = path.relative_to(in_dir).as_posix()
        text = ftfy.fix_text(path.read_text(encoding="utf-8", errors="replace"))
        lines = [s for s in (line.strip() for line in text.splitlines()) if s]
        kept = []
        for i, paragraph in enumerate(justext_lines(lines)):
            m = MinHash(num_perm=128)
            m.update_batch(list(shingles(paragraph)))
            if lsh.query(m):
                continue
            lsh.insert(f"{rel}#{i}", m)
            kept.append(paragraph)
        write(out_dir, rel, kept)


def datatrove(in_dir: Path, out_dir: Path, work: Path) -> None:
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.filters import C4QualityFilter
    from datatrove.pipeline.formatters import FTFYFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    def read_pages(data, rank: int = 0, world_size: int = 1):
        for path in pages(in_dir):
            yield Document(
                text=path.read_text(encoding="utf-8", errors="replace"), id=path.relative_to(in_dir).as_posix()
            )

    def write_pages(data, rank: int = 0, world_size: int = 1):
        for doc in data:
            write(out_dir, doc.id, doc.text.splitlines())
            yield doc

    config = MinhashConfig()
    logs = str(work / "logs")

    def run(name: str, pipeline: list, tasks: int = 1) -> None:
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{logs}/{name}").run()

    filtered = str(work / "filtered")
    run(
        "filter",
        [
            read_pages,
            FTFYFormatter(),
            C4QualityFilter(),
            JsonlWriter(filtered, compression=None),
            MinhashDedupSignature(str(work / "signatures"), config=config),
        ],
    )
    run(
        "buckets",
        [MinhashDedupBuckets(str(work / "signatures"), str(work / "buckets"), config=config)],
        tasks=config.num_buckets,
    )
    run("cluster", [MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config)])
    run("write", [JsonlReader(filtered), MinhashDedupFilter(str(work / "remove")), write_pages])


if __name__ == "__main__":
    name, *paths = sys.argv[1:]
    {"handwritten": handwritten, "datatrove": datatrove}[name](*map(Path, paths))
