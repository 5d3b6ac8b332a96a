"""The benchmark page generator: deterministic, the sizes asked for, and the traits it promises."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import ftfy

from dedup.evaluation.pages import make_pages, source_paths, write_pages

PAGES = make_pages(400_000, seed=7)


def digest(pages: list[tuple[str, str]]) -> str:
    return hashlib.sha256("\0".join(f"{rel}\0{text}" for rel, text in pages).encode()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    assert digest(make_pages(400_000, seed=7)) == digest(PAGES)
    assert digest(make_pages(400_000, seed=8)) != digest(PAGES)


def test_size_reaches_the_target_by_less_than_a_page() -> None:
    sizes = [len(text.encode("utf-8")) for _, text in PAGES]
    assert sum(sizes) - sizes[-1] < 400_000 <= sum(sizes)


def test_sites_share_chrome_and_pages_share_paragraphs() -> None:
    by_site: dict[str, list[list[str]]] = {}
    for rel, text in PAGES:
        by_site.setdefault(rel.split("/")[0], []).append(text.splitlines())
    assert len(by_site) >= 3
    for pages in by_site.values():
        if len(pages) > 1:  # the site's name and copyright line open and close every page
            assert len({p[0] for p in pages}) == 1
            assert len({ftfy.fix_text(p[-1]) for p in pages}) == 1  # mojibake pages too, once repaired
    long_lines = Counter(line for _, text in PAGES for line in set(text.splitlines()) if len(line) >= 60)
    assert sum(n > 1 for n in long_lines.values()) > 20  # exact copies and syndicated bodies


def test_some_pages_are_broken_and_ftfy_repairs_them() -> None:
    broken = [text for _, text in PAGES if "â€" in text or "Ã" in text or "&#8217;" in text or "&amp;" in text]
    assert 0 < len(broken) < len(PAGES) // 4
    assert any(ftfy.fix_text(text) != text for text in broken)


def test_written_as_one_folder_per_site(tmp_path: Path) -> None:
    pages = PAGES[:5]
    assert write_pages(tmp_path, pages) == sum(len(t.encode("utf-8")) for _, t in pages)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.txt")) == sorted(r for r, _ in pages)


def test_a_folder_of_sources(tmp_path: Path) -> None:
    for i, path in enumerate(source_paths()[:2]):
        (tmp_path / f"{i}.input.txt").write_text(path.read_text())
    pages = make_pages(30_000, seed=0, sources=[tmp_path])
    assert sum(len(t.encode("utf-8")) for _, t in pages) >= 30_000
