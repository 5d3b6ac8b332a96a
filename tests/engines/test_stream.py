"""The streaming engine gives the in-memory pipeline's documents and report, whatever the shards, jobs and budget."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget import examples
from dedup import Document, clean_documents
from dedup.config import Config, DedupConfig, StripConfig
from dedup.engines import shard, sources, stream
from dedup.engines.extract import MAX_SCREEN_GROUP
from dedup.engines.stream import clean_stream
from dedup.errors import InputError

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
WORDS = [f"w{i}" for i in range(50)] + ["día", "город", "東京"]
CHROME = ["Home", "Subscribe to our newsletter", "© 2024 Example News", "Share this article"]


def corpus(seed: int, count: int) -> list[Document]:
    """Documents whose paragraphs copy, edit, truncate and extend a few base paragraphs, on a few sites that
    repeat chrome lines; ids (some not ASCII) in an order other than the input's."""
    rng = random.Random(seed)
    bases = [[rng.choice(WORDS) for _ in range(rng.randint(4, 40))] for _ in range(rng.randint(2, 6))]
    docs = []
    for d in range(count):
        paragraphs = [rng.choice(CHROME)] if rng.random() < 0.7 else []
        for _ in range(rng.randint(0, 6)):
            words = list(rng.choice(bases))
            edit = rng.choice(["copy", "swap", "truncate", "extend", "new"])
            if edit == "swap":
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            elif edit == "truncate":
                words = words[: max(1, int(len(words) * rng.uniform(0.4, 1.0)))]
            elif edit == "extend":
                words += [rng.choice(WORDS) for _ in range(rng.randint(1, 8))]
            elif edit == "new":
                words = [rng.choice(WORDS) for _ in range(rng.randint(3, 30))]
            paragraphs.append(" ".join(words) + ".")
        if rng.random() < 0.3:
            paragraphs.append(rng.choice(CHROME))
        site = rng.choice(["a.org", "b.org", None])
        doc_id = f"{rng.randrange(10**6):06d}-{d}{rng.choice(['', 'é', '東京', '😀'])}"  # partners' ids as UTF-8 bytes
        docs.append(Document(doc_id, "\n\n".join(paragraphs) or "x", site=site))
    return docs


def same_results(expected: list, got: list) -> None:
    assert [d.id for d in got] == [d.id for d in expected]
    for want, have in zip(expected, got, strict=True):
        assert have.text == want.text, want.id
        assert have.report() == want.report(), want.id


CONFIGS = {
    "default": Config(),
    "no-strip": Config(strip=StripConfig(enabled=False)),
    "input-order": Config(dedup=DedupConfig(order="input", min_shingles=2, min_contained_shingles=3)),
    "within": Config(dedup=DedupConfig(across_documents=False, min_shingles=2)),
    "no-dedup": Config(dedup=DedupConfig(enabled=False)),
}


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "SHARD_BYTES", 300)  # a shard every few documents


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10**9), st.integers(1, 40), st.sampled_from(sorted(CONFIGS)),
       st.sampled_from([16384, 1 << 30]))
def test_stream_equals_memory_on_random_corpora(small_shards, seed: int, count: int, name: str, memory: int) -> None:
    """Small shards and a budget of a few KB (every sort spills many runs) or a large one: the same output."""
    docs = corpus(seed, count)
    config = CONFIGS[name]
    same_results(clean_documents(docs, config), list(clean_stream(docs, config, memory=memory)))


def test_stream_equals_memory_on_the_seeds_across_jobs(small_shards) -> None:
    docs = [Document(p.name, p.read_text(encoding="utf-8"), site="seeds") for p in sorted(SEEDS.glob("*.txt"))]
    docs += [dataclasses.replace(d, id=f"copy-{d.id}") for d in docs]  # syndicated copies
    expected = clean_documents(docs)
    for jobs in (1, 2):
        same_results(expected, list(clean_stream(docs, jobs=jobs, memory=1 << 16)))


def test_a_document_too_long_to_screen_in_a_worker_is_screened_over_the_corpus(monkeypatch) -> None:
    """A document with more paragraphs to screen than a worker screens is screened in the corpus steps, on the
    paragraphs left after exact repeats: contained repeats inside it are still found."""
    monkeypatch.setattr("dedup.engines.extract.MAX_SCREEN_GROUP", 6)
    rng = random.Random(5)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30))) + "." for _ in range(5)]
    body = [*lines, lines[0] + " " + lines[1], *lines[:3]]  # exact repeats, and one that contains two others
    docs = [Document("big", "\n\n".join(body)), Document("other", lines[2])]
    config = Config(strip=StripConfig(enabled=False))
    got = list(clean_stream(docs, config))
    same_results(clean_documents(docs, config), got)
    assert any(r["rule"] == "contained_in" for r in got[0].report()["removed"])
    assert MAX_SCREEN_GROUP > 6


def test_repeated_ids_are_refused_before_anything_is_yielded() -> None:
    docs = clean_stream([("a", "One."), ("b", "Two."), ("a", "Three.")])
    with pytest.raises(InputError, match="documents 0 and 2 have the same id 'a'"):
        next(docs)


def test_a_generator_of_documents_is_read_once_and_lazily(small_shards) -> None:
    docs = corpus(3, 30)
    taken: list[int] = []

    def produce():
        for i, d in enumerate(docs):
            taken.append(i)
            yield d

    same_results(clean_documents(docs), list(clean_stream(produce())))
    assert taken == list(range(30))


def test_an_interrupted_run_resumes_with_the_shards_it_finished(small_shards, tmp_path, monkeypatch) -> None:
    """Interrupted after some shards, the same call with the same work folder redoes only the others, and gives
    the output of an uninterrupted run."""
    docs = corpus(11, 40)
    expected = clean_documents(docs)
    work = tmp_path / "work"
    real = shard.run_shard
    done: list[int] = []

    def failing(task, *args, **kwargs):
        if len(done) == 4:
            raise KeyboardInterrupt
        done.append(task.number)
        return real(task, *args, **kwargs)

    monkeypatch.setattr(stream, "run_shard", failing)
    with pytest.raises(KeyboardInterrupt):
        list(clean_stream(docs, work=work))
    assert sorted(p.name for p in (work / "shards").iterdir()) == [f"{n:06d}" for n in range(4)]
    done.clear()
    monkeypatch.setattr(stream, "run_shard", lambda task, *a, **k: (done.append(task.number), real(task, *a, **k))[1])
    same_results(expected, list(clean_stream(docs, work=work)))
    assert done
    assert min(done) == 4
    assert not work.exists()  # a finished run removes its work


def test_a_shard_whose_input_changed_is_redone(small_shards, tmp_path, monkeypatch) -> None:
    docs = corpus(12, 20)
    work = tmp_path / "work"
    real = shard.run_shard

    def stop_after_all(task, *args, **kwargs):
        return real(task, *args, **kwargs)

    monkeypatch.setattr(stream, "run_shard", stop_after_all)
    stream_docs = iter(clean_stream(docs, work=work))
    next(stream_docs)  # every shard is finished once the first document comes out
    stream_docs.close()  # interrupted: the work folder stays
    changed = [dataclasses.replace(docs[0], text=docs[0].text + "\n\nA new closing line here."), *docs[1:]]
    redone: list[int] = []
    monkeypatch.setattr(stream, "run_shard", lambda t, *a, **k: (redone.append(t.number), real(t, *a, **k))[1])
    same_results(clean_documents(changed), list(clean_stream(changed, work=work)))
    assert redone == [0]


def test_a_work_folder_with_other_files_is_refused(tmp_path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(Exception, match="already holds files dedup did not make"):
        list(clean_stream([("a", "One.")], work=tmp_path))
    assert (tmp_path / "mine.txt").read_text() == "keep me"
