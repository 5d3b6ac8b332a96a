"""The short-record generator: deterministic, the sizes it promises, the repeats it plants.

Shares are checked on 10,000 records (about 35,000 body paragraphs), where one standard deviation
of a 5% share is 0.12 points: the tolerance of +-0.6 points is five of them, so a failure means the
generator changed, not bad luck (the seed is fixed anyway).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from dedup.evaluation import records
from dedup.evaluation.corpus import exact_jaccard, python_shingles
from dedup.evaluation.records import Record, Vocabulary, generate, main, record_ids

VOCABULARY = Vocabulary.make(0)
DOCS = 10_000
CRAWL0 = list(generate(DOCS, vocabulary=VOCABULARY))
CRAWL1 = list(generate(3_000, crawl=1, base_docs=DOCS, vocabulary=VOCABULARY))


def digest(recs: list[Record]) -> str:
    return hashlib.sha256("".join(r.json() for r in recs).encode()).hexdigest()


def share(recs: list[Record], kind: str) -> float:
    kinds = [k for r in recs for k in r.kinds]
    return kinds.count(kind) / len(kinds)


class Earlier:
    """The paragraphs seen so far, indexed to find what a near copy was made from."""

    def __init__(self) -> None:
        self.texts: set[str] = set()
        self.thirds: dict[tuple[int, int, tuple[str, ...]], list[str]] = {}

    def add(self, text: str) -> None:
        self.texts.add(text)
        tokens = text.split(" ")
        for part, key in enumerate(self._thirds(tokens)):
            self.thirds.setdefault((len(tokens), part, key), []).append(text)

    @staticmethod
    def _thirds(tokens: list[str]) -> list[tuple[str, ...]]:
        n = len(tokens)
        return [tuple(tokens[n * i // 3 : n * (i + 1) // 3]) for i in range(3)]

    def near_source(self, text: str) -> str | None:
        """An earlier paragraph that ``text`` is a near copy of, by dedup's default thresholds."""
        for end in (i for i, c in enumerate(text) if c == "." and text[i + 1 : i + 2] == " "):
            if text[: end + 1] in self.texts:  # a sentence appended: the original is contained
                return text[: end + 1]
        tokens = text.split(" ")  # words changed: at least one third of the paragraph is as it was
        mine = python_shingles(text)
        for part, key in enumerate(self._thirds(tokens)):
            for other in self.thirds.get((len(tokens), part, key), []):
                if other != text and exact_jaccard(mine, python_shingles(other)) >= 0.8:
                    return other
        return None


def test_same_seed_same_records_other_seed_other_records() -> None:
    assert digest(list(generate(2_000, vocabulary=VOCABULARY))) == digest(CRAWL0[:2_000])
    small = [Vocabulary.make(seed, size=2_000) for seed in (1, 2)]
    one = list(generate(500, seed=1, vocabulary=small[0]))
    assert digest(one) == digest(list(generate(500, seed=1, vocabulary=Vocabulary.make(1, size=2_000))))
    assert digest(one) != digest(list(generate(500, seed=2, vocabulary=small[1])))
    with pytest.raises(ValueError, match="seed 1"):
        next(generate(5, seed=2, vocabulary=small[0]))


def test_sizes_paragraphs_and_mean_bytes() -> None:
    assert len(CRAWL0) == DOCS
    sizes = [len(r.text.encode("utf-8")) for r in CRAWL0]
    assert 475 <= sum(sizes) / DOCS <= 525  # about 500 bytes: 1 M records are about 0.5 GB
    assert all(2 <= len(r.body) <= 5 for r in CRAWL0)
    assert all(r.text == "\n\n".join((*r.head, *r.body, *r.tail)) for r in CRAWL0)
    assert all(p and "\n" not in p for r in CRAWL0[:500] for p in r.body)


def test_records_are_json_with_unique_ids_out_of_sorted_order() -> None:
    lines = [json.loads(r.json()) for r in CRAWL0]
    assert all(set(d) == {"id", "text", "site"} for d in lines)
    assert [d["text"] for d in lines[:300]] == [r.text for r in CRAWL0[:300]]
    ids = [d["id"] for d in lines]
    assert len(set(ids)) == DOCS
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    assert ids != sorted(ids)


def test_each_site_shows_its_own_chrome_on_most_pages() -> None:
    pages: dict[str, list[Record]] = {}
    for r in CRAWL0:
        pages.setdefault(r.site, []).append(r)
    assert len(pages) == 20  # one site per 500 records, at least 20
    lines_of_site: dict[str, set[str]] = {}
    for site, recs in pages.items():
        counts = Counter(line for r in recs for line in (*r.head, *r.tail))
        assert 2 <= len(counts) <= 3
        assert all(n >= 0.85 * len(recs) for n in counts.values()), (site, counts, len(recs))  # 90% planted
        lines_of_site[site] = set(counts)
    all_lines = [line for lines in lines_of_site.values() for line in lines]
    assert len(all_lines) == len(set(all_lines))  # no two sites share a chrome line


def test_planted_repeats_have_the_shares_and_forms_promised() -> None:
    assert share(CRAWL0, "exact") == pytest.approx(0.05, abs=0.006)
    assert share(CRAWL0, "near") == pytest.approx(0.05, abs=0.006)
    syndicated = [r for r in CRAWL0 if r.kinds[0] == "syndicated"]
    assert len(syndicated) / DOCS == pytest.approx(0.01, abs=0.003)
    earlier, sites_of = Earlier(), {}
    fresh_seen = 0
    for r in CRAWL0:
        for text, kind in zip(r.body, r.kinds, strict=True):
            if kind in ("exact", "syndicated"):
                assert text in earlier.texts
            elif kind == "near":
                assert text not in earlier.texts
                assert earlier.near_source(text) is not None, text
            else:
                fresh_seen += text in earlier.texts
            earlier.add(text)
        if r.kinds[0] == "syndicated":
            assert sites_of[r.body] - {r.site}  # an earlier body, under another site
        sites_of.setdefault(r.body, set()).add(r.site)
    assert fresh_seen / sum(len(r.body) for r in CRAWL0) < 0.005  # new text rarely equals old by chance


def test_copies_come_from_all_of_the_history_in_bounded_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "POOL", 64)
    small = Vocabulary.make(3, size=2_000)
    recs = list(generate(3_000, seed=3, vocabulary=small))
    first: dict[str, int] = {}
    ages = []
    for i, r in enumerate(recs):
        for text, kind in zip(r.body, r.kinds, strict=True):
            if kind == "exact" and i > 2_000:
                ages.append(first[text])
            first.setdefault(text, i)
    assert share(recs, "exact") == pytest.approx(0.05, abs=0.015)
    assert min(ages) < 500 < 1_500 < max(ages)  # a 64-paragraph sample of all earlier ones, not the latest 64


def test_a_later_crawl_repeats_crawl_0_paragraphs_under_new_ids() -> None:
    assert not {r.id for r in CRAWL1} & {r.id for r in CRAWL0}
    assert not {r.id for r in CRAWL1} & set(record_ids(0, 0, 0, 100_000))
    assert {r.site for r in CRAWL1} <= {r.site for r in CRAWL0}
    base = Earlier()
    for r in CRAWL0:
        for text in r.body:
            base.add(text)
    kinds = Counter(k for r in CRAWL1 for k in r.kinds)
    total = sum(kinds.values())
    assert kinds["base_exact"] / total == pytest.approx(0.08, abs=0.012)
    assert kinds["base_near"] / total == pytest.approx(0.04, abs=0.01)
    for r in CRAWL1:
        for text, kind in zip(r.body, r.kinds, strict=True):
            if kind == "base_exact":
                assert text in base.texts
            elif kind == "base_near":
                assert base.near_source(text) is not None, text
    shared = sum(text in base.texts for r in CRAWL1 for text in r.body)
    assert 0.07 < shared / total < 0.12  # crawl 0's text: the planted copies, and a few short paragraphs by chance


def test_the_command_writes_the_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Vocabulary, "make", lambda seed=0: VOCABULARY)  # the same words, not invented again
    out = tmp_path / "r.jsonl"
    assert main([str(out), "--docs", "300"]) == 0
    assert out.read_text(encoding="utf-8") == "".join(r.json() for r in CRAWL0[:300])  # 20 sites either way
    assert not list(tmp_path.glob("*.tmp"))
