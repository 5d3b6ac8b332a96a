"""Configuration: one frozen dataclass per pipeline step, nested in :class:`Config`.

Change a setting with :func:`dataclasses.replace`; every value is checked when the object is made.

>>> import dataclasses
>>> cfg = Config()
>>> cfg.clean.uncurl_quotes
False
>>> dataclasses.replace(cfg, clean=dataclasses.replace(cfg.clean, unwrap="never")).clean.unwrap
'never'
>>> CleanConfig(unwrap="sometimes")
Traceback (most recent call last):
...
dedup.errors.ArgumentValueError: CleanConfig.unwrap must be one of 'auto', 'never', 'always', not 'sometimes'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from dedup.errors import ArgumentTypeError, ArgumentValueError

Unwrap = Literal["auto", "never", "always"]
"""How lines of a block become paragraphs (see :func:`dedup.text.segment`)."""

HashFunc = Literal["fast", "sha1"]
"""The 64-bit shingle hash: dedup's own (fast), or SHA-1 as datasketch computes it."""

Unsegmented = Literal["chars", "runs"]
"""How to tokenise scripts written without spaces: one token per character, or runs like words."""

Order = Literal["id", "input"]
"""Which copy of a duplicate is kept: the one of the smallest document id, or the first in input order."""


def check_choice(where: str, value: object, allowed: tuple[str, ...]) -> None:
    """Raise ArgumentValueError naming ``where`` unless ``value`` is one of ``allowed``.

    A value that is not a str raises ArgumentTypeError (``in`` would compare an array element-wise).

    >>> check_choice("CleanConfig.unwrap", ["auto"], ("auto", "never"))
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: CleanConfig.unwrap must be one of 'auto', 'never', not ['auto']
    """
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        error = ArgumentValueError if isinstance(value, str) else ArgumentTypeError
        raise error(f"{where} must be one of {choices}, not {value!r}")


def check_range(owner: str, name: str, value: float, low: float, high: float) -> None:
    """Raise ArgumentValueError naming ``owner.name`` unless ``low <= value <= high`` (a number, not a bool).

    >>> check_range("StripConfig", "bias", "high", -20.0, 20.0)
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: StripConfig.bias must be a number, not 'high'
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentTypeError(f"{owner}.{name} must be a number, not {value!r}")
    if not low <= value <= high:
        raise ArgumentValueError(f"{owner}.{name} must be between {low} and {high}, not {value!r}")


@dataclass(frozen=True, slots=True)
class CleanConfig:
    """The canonical cleaner.

    Attributes:
        repair: run ftfy (mojibake, HTML entities, control characters) where the text may need it.
        uncurl_quotes: turn curly quotes into straight ones (ftfy's option; off keeps typography).
        punctuation_spacing: remove spaces before ``, . ; : ! ?`` ("Firstly , the" -> "Firstly, the").
        unwrap: join hard-wrapped lines of one paragraph: ``"auto"`` when a block looks wrapped.
    """

    repair: bool = True
    uncurl_quotes: bool = False
    punctuation_spacing: bool = True
    unwrap: Unwrap = "auto"

    def __post_init__(self) -> None:
        check_choice("CleanConfig.unwrap", self.unwrap, get_args(Unwrap))


@dataclass(frozen=True, slots=True)
class StripConfig:
    """The boilerplate stripper (rules, line classifier, site templates).

    Attributes:
        enabled: run the stripper at all.
        rules: apply the chrome patterns (``dedup/data/chrome.txt``): whole-line rules, the tail
            after a comment counter or "Same tag", and trimmed spans (photo credits, metadata prefixes).
        classifier: apply the learned line classifier and its context pass.
        switch_cost: the context pass's price, in nats, for changing between article and chrome
            from one line to the next; higher values keep short lines between article lines.
        bias: added to every line's log-odds before the context pass; positive keeps more.
        page_cut: how far each page's own cut moves its bias: the probability above which keeping
            the page's lines maximises its expected precision plus recall (``classify.page_cut``)
            adds ``page_cut * -logit(cut)``. A page whose lines the classifier is unsure about
            keeps more; 0 gives every page the same bias.
        repeated_alt: remove a short line repeated ``repeated_alt`` or more times in one
            document right before captions or in another language than the body (image alt
            text); 0 turns the rule off.
        template_min_docs: a site needs at least this many documents before its repeated lines
            count as a template.
        template_share: a line is a template when it appears in at least this share of its
            site's documents (and in at least ``template_min_docs`` of them).
        template_max_words: only lines of at most this many words can be templates.
    """

    enabled: bool = True
    rules: bool = True
    classifier: bool = True
    switch_cost: float = 1.0
    bias: float = -0.25
    page_cut: float = 1.0
    repeated_alt: int = 3
    template_min_docs: int = 3
    template_share: float = 0.5
    template_max_words: int = 25

    def __post_init__(self) -> None:
        check_range("StripConfig", "switch_cost", self.switch_cost, 0.0, 50.0)
        check_range("StripConfig", "bias", self.bias, -20.0, 20.0)
        check_range("StripConfig", "page_cut", self.page_cut, 0.0, 2.0)
        check_range("StripConfig", "repeated_alt", self.repeated_alt, 0, 1000)
        check_range("StripConfig", "template_min_docs", self.template_min_docs, 2, 1_000_000)
        check_range("StripConfig", "template_share", self.template_share, 0.0, 1.0)
        check_range("StripConfig", "template_max_words", self.template_max_words, 1, 10_000)


@dataclass(frozen=True, slots=True)
class MinHashConfig:
    """The hashing core: shingling and MinHash signatures (see :mod:`dedup.hashing.minhash`).

    Attributes:
        num_perm: signature length, the number of hash permutations (1 to 65536).
        ngram: words per shingle (1 to 100); a text with fewer words is one shingle.
        seed: seed of the permutations, as ``datasketch.MinHash(seed=...)`` (0 to 2**32 - 1).
        hashfunc: how a shingle is hashed: ``"fast"`` (64-bit FNV-1a and MurmurHash3 mixing) or ``"sha1"``
            (datasketch's ``sha1_hash32``, for signatures bit-identical to ``datasketch.MinHash``).
        unsegmented: scripts written without spaces (Han, kana, Thai...): ``"chars"`` makes each
            character a token (character n-grams), ``"runs"`` treats a run like a word.

    >>> MinHashConfig(ngram=0)
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentValueError: MinHashConfig.ngram must be between 1 and 100, not 0
    """

    num_perm: int = 128
    ngram: int = 3
    seed: int = 1
    hashfunc: HashFunc = "fast"
    unsegmented: Unsegmented = "chars"

    def __post_init__(self) -> None:
        for name, high in (("num_perm", 65536), ("ngram", 100), ("seed", 2**32 - 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ArgumentTypeError(f"MinHashConfig.{name} must be an int, not {value!r}")
            check_range("MinHashConfig", name, value, 0 if name == "seed" else 1, high)
        check_choice("MinHashConfig.hashfunc", self.hashfunc, ("fast", "sha1"))
        check_choice("MinHashConfig.unsegmented", self.unsegmented, ("chars", "runs"))


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """The duplicate steps (exact repeats, near-duplicates, containment) and their keep rule.

    See :mod:`dedup.near.match` for the method and the keep rule.

    Attributes:
        enabled: run the duplicate steps at all.
        threshold: Jaccard similarity of two paragraphs' shingle sets at or above which they are
            near-duplicates (0 < threshold <= 1).
        containment: share of a paragraph's shingles found in another at or above which it is
            contained in it (0 < containment <= 1).
        across_documents: also remove copies whose kept partner is in another document; ``False``
            removes repeats within each document only.
        order: the document order of the keep rule across documents: ``"id"`` (document ids
            sorted, so the result does not depend on input order) or ``"input"``.
        min_shingles: paragraphs with fewer shingles are never matched (short repeated lines are
            the exact-repeat step's and the stripper's templates' business).
        min_contained_shingles: a paragraph needs at least this many shingles to be removed as
            contained in a longer one (a caption naming a person often reappears inside the text).
        lsh_threshold: the Jaccard similarity the LSH banding is tuned for; below ``threshold`` so
            that near-duplicates are found almost surely and contained paragraphs (whose Jaccard
            similarity is lower) often; lower values verify more candidate pairs.

    >>> DedupConfig(threshold=1.5)
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentValueError: DedupConfig.threshold must be between 0.0 and 1.0, not 1.5
    >>> DedupConfig(lsh_threshold=0.9)
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentValueError: DedupConfig.lsh_threshold must be at most threshold (0.8), not 0.9
    """

    enabled: bool = True
    threshold: float = 0.8
    containment: float = 0.9
    across_documents: bool = True
    order: Order = "id"
    min_shingles: int = 5
    min_contained_shingles: int = 10
    lsh_threshold: float = 0.4

    def __post_init__(self) -> None:
        for name in ("threshold", "containment", "lsh_threshold"):
            value = getattr(self, name)
            check_range("DedupConfig", name, value, 0.0, 1.0)
            if value == 0.0 or (name == "lsh_threshold" and value == 1.0):
                raise ArgumentValueError(f"DedupConfig.{name} must be above 0 and below 1, not {value!r}")
        if self.lsh_threshold > self.threshold:
            raise ArgumentValueError(
                f"DedupConfig.lsh_threshold must be at most threshold ({self.threshold}), not {self.lsh_threshold!r}"
            )
        check_choice("DedupConfig.order", self.order, ("id", "input"))
        for name in ("min_shingles", "min_contained_shingles"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ArgumentTypeError(f"DedupConfig.{name} must be an int, not {value!r}")
            check_range("DedupConfig", name, value, 1, 1_000_000)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole pipeline's configuration: one field per step.

    >>> Config(strip=CleanConfig())
    Traceback (most recent call last):
    ...
    dedup.errors.ArgumentTypeError: Config.strip must be a StripConfig, not CleanConfig
    """

    clean: CleanConfig = field(default_factory=CleanConfig)
    strip: StripConfig = field(default_factory=StripConfig)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)

    def __post_init__(self) -> None:
        steps = (("clean", CleanConfig), ("strip", StripConfig), ("minhash", MinHashConfig), ("dedup", DedupConfig))
        for name, cls in steps:
            value = getattr(self, name)
            if not isinstance(value, cls):
                raise ArgumentTypeError(f"Config.{name} must be a {cls.__name__}, not {type(value).__name__}")
