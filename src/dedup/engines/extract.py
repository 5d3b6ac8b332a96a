"""What the corpus steps need of a shard's documents, as arrays: made once, in the worker that cleaned them.

For every document: its id, site and JSONL line. For every paragraph: whether the stripper kept it,
which earlier paragraph of its document has the same text (exact repeats), and its site-template key.
For every paragraph the stripper kept (a *set*): its shingle hashes, its LSH band hashes, a hash of its
text, and the containment screen's pairs within its document. The corpus steps then work on these
arrays only; the texts stay on disk until the output is written.

Keys and hashes are digests (BLAKE2b): a template key is 128 bits of the site and the case-folded line,
a text hash 64 bits of the text, so equal texts give equal values and different ones collide with
probability about ``2 ** -128`` (keys) or ``2 ** -64`` per compared pair (text hashes, which only tell an
exact copy from a near one among verified pairs, as Python's ``hash`` of the text does in memory).

>>> from dedup.config import Config
>>> from dedup.records import CleanedDocument, Paragraph
>>> doc = CleanedDocument("a", tuple(Paragraph("a", i, i + 1, t) for i, t in enumerate(["Home", "One two.", "Home"])),
...                       site="x.org")
>>> arrays = shard_arrays([doc], Config())
>>> arrays["par_same"].tolist(), arrays["par_tfirst"].tolist(), arrays["set_off"].tolist()
([0, 1, 0], [True, True, False], [0, 1, 2, 3])
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from dedup.config import Config
from dedup.hashing import permutations, shingle_hashes
from dedup.io.read import Skip
from dedup.near.banding import band_hashes, choose_banding
from dedup.near.screen import screen_pairs
from dedup.records import CleanedDocument
from dedup.strip.templates import template_key

__all__ = ["MAX_SCREEN_GROUP", "shard_arrays", "site_digest", "text_digest"]

MAX_SCREEN_GROUP = 4096
"""A document with more paragraphs to screen is screened in the corpus steps, on the paragraphs left then
(the screen itself skips larger groups: see :mod:`dedup.near.screen`)."""

Arrays = dict[str, NDArray[np.generic]]


def text_digest(text: str) -> int:
    """A 64-bit digest of a text, as a signed int (equal texts, equal digests).

    >>> text_digest("a") == text_digest("a") != text_digest("b")
    True
    """
    data = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(data, "little", signed=True)


def site_digest(text: str) -> tuple[int, int]:
    """A 128-bit digest of a text as two unsigned 64-bit ints.

    >>> site_digest("x.org") == site_digest("x.org")
    True
    """
    data = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return int.from_bytes(data[:8], "little"), int.from_bytes(data[8:], "little")


def shard_arrays(results: Sequence[CleanedDocument | Skip], config: Config) -> Arrays:
    """The arrays of one shard's results (documents and skips, in input order); see the module docstring."""
    docs = [r for r in results if isinstance(r, CleanedDocument)]
    arrays: Arrays = {"is_doc": np.array([isinstance(r, CleanedDocument) for r in results], dtype=np.bool_)}
    arrays.update(_document_arrays(docs))
    arrays.update(_paragraph_arrays(docs, config))
    texts = [p.text for d in docs for p in d.paragraphs if p.kept]
    arrays.update(_set_arrays(texts, arrays["set_doc"], len(docs), config))
    return arrays


def _document_arrays(docs: Sequence[CleanedDocument]) -> Arrays:
    """Per document: paragraph offsets, id (UTF-8 blob and offsets), site digest, JSONL line (-1: none)."""
    ids = [d.id.encode("utf-8", "surrogatepass") for d in docs]
    sites = np.array([site_digest(d.site) if d.site is not None else (0, 0) for d in docs], dtype=np.uint64)
    return {
        "doc_par": _offsets([len(d.paragraphs) for d in docs]),
        "doc_ids": np.frombuffer(b"".join(ids), dtype=np.uint8).copy(),
        "doc_id_off": _offsets([len(i) for i in ids]),
        "doc_site": sites.reshape(len(docs), 2),
        "doc_has_site": np.array([d.site is not None for d in docs], dtype=np.bool_),
        "doc_line": np.array([_line_of(d.source) for d in docs], dtype=np.int64),
    }


def _line_of(source: str | None) -> int:
    """The line number at the end of a JSONL record's source (``"in.jsonl:12"``), or -1.

    >>> _line_of("a/in.jsonl:12"), _line_of("page.txt"), _line_of(None)
    (12, -1, -1)
    """
    if source is None:
        return -1
    _, _, tail = source.rpartition(":")
    return int(tail) if tail.isascii() and tail.isdigit() else -1


def _paragraph_arrays(docs: Sequence[CleanedDocument], config: Config) -> Arrays:
    """Per paragraph: kept by the stripper, first paragraph of its document with the same text, template key
    (and whether it is the key's first paragraph in its document), and its set number (-1: not kept)."""
    kept, same, first, valid, keys = [], [], [], [], []
    for doc in docs:
        texts: dict[str, int] = {}
        seen: set[tuple[int, int]] = set()
        for i, p in enumerate(doc.paragraphs):
            kept.append(p.kept)
            same.append(texts.setdefault(p.text, i))
            key = template_key(p.text, config.strip.template_max_words) if doc.site is not None else None
            digest = site_digest(f"{len(doc.site or '')}:{doc.site}:{key}") if key is not None else (0, 0)
            valid.append(key is not None)
            first.append(key is not None and digest not in seen)
            seen.add(digest)
            keys.append(digest)
    kept_arr = np.array(kept, dtype=np.bool_)
    sets = np.full(kept_arr.size, -1, dtype=np.int64)
    sets[kept_arr] = np.arange(int(kept_arr.sum()))
    return {
        "par_kept": kept_arr,
        "par_same": np.array(same, dtype=np.int64),
        "par_tvalid": np.array(valid, dtype=np.bool_),
        "par_tfirst": np.array(first, dtype=np.bool_),
        "par_tkey": np.array(keys, dtype=np.uint64).reshape(len(keys), 2),
        "par_set": sets,
        "set_doc": np.repeat(np.arange(len(docs)), [sum(p.kept for p in d.paragraphs) for d in docs]),
        "set_par": np.array([i for d in docs for i, p in enumerate(d.paragraphs) if p.kept], dtype=np.int64),
    }


def _set_arrays(texts: list[str], set_doc: NDArray[np.generic], docs: int, config: Config) -> Arrays:
    """Per kept paragraph: shingle sets (CSR), band hashes, text digest; the screen's pairs within documents,
    and which documents have too many paragraphs to screen here."""
    minhash, dedup = config.minhash, config.dedup
    sets = shingle_hashes(texts, ngram=minhash.ngram, hashfunc=minhash.hashfunc, unsegmented=minhash.unsegmented)
    sigs = sets.signatures(permutations(minhash.num_perm, minhash.seed))
    banding = choose_banding(dedup.lsh_threshold, minhash.num_perm)
    sizes = sets.sizes()
    bands = band_hashes(sigs, banding, np.arange(len(texts), dtype=np.int64))
    doc = np.asarray(set_doc, dtype=np.int64)
    eligible = np.flatnonzero(sizes >= dedup.min_shingles)
    counts = np.bincount(doc[eligible], minlength=docs)
    later = counts > MAX_SCREEN_GROUP
    rows = eligible[~later[doc[eligible]]]
    starts = np.searchsorted(doc[rows], np.arange(docs + 1)).astype(np.int64)
    screened = screen_pairs(sigs, rows, starts, sizes, threshold=dedup.threshold, containment=dedup.containment,
                            min_contained=dedup.min_contained_shingles)  # fmt: skip
    return {
        "set_off": sets.offsets,
        "set_hashes": sets.hashes,
        "set_bands": bands,
        "set_text": np.array([text_digest(t) for t in texts], dtype=np.int64),
        "screen": np.stack([screened.left, screened.right], axis=1).reshape(-1, 2),
        "screen_later": later,
    }


def _offsets(counts: Sequence[int]) -> NDArray[np.int64]:
    """``[0, c0, c0 + c1, ...]``."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out
