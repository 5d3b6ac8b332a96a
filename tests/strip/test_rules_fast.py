"""The page-level rule matching (``match_lines``, ``trim_lines``) decides exactly as the sequential
reference (``match_line``, ``trim``): on the fixtures, on the case files, on strings built from pieces
of the rule data (so that rules match), and on every line of the evaluation sets when they are there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from conftest import SEEDS
from dedup._resources import read_text
from dedup.strip.rules import (
    MAX_RULE_CHARS,
    ChromeRule,
    load_rules,
    match_line,
    match_lines,
    parse_rules,
    rule_set,
    trim,
    trim_lines,
)

CASES = Path(__file__).resolve().parents[1] / "cases" / "strip"
EVAL = Path("/work/shared/eval")
FLAGS = regex.IGNORECASE | regex.VERSION0


def same_as_reference(texts: list[str], rules: tuple[ChromeRule, ...] | None = None) -> None:
    rules = load_rules() if rules is None else rules
    assert match_lines(texts, rules) == [match_line(t, rules) for t in texts]
    assert trim_lines(texts, rules) == [trim(t, rules) for t in texts]


def case_texts() -> list[str]:
    texts = []
    for name in ("chrome_lines.tsv", "trims.tsv"):
        for line in (CASES / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                texts.append(line.split("\t")[1])
    return texts


def rule_pieces() -> list[str]:
    """Literal runs, words and separators of data/chrome.txt, and characters that fold oddly."""
    patterns = [line for line in read_text("chrome.txt").splitlines() if line and line[0] not in "#["]
    pieces = set()
    for p in patterns:
        plain = regex.sub(r"\\[pP]\{\w+\}|\\[dswSbDW]|\{\d*,?\d*\}|[?*+]", "", p)
        pieces.update(regex.findall(r"[\p{L}\p{N}'’ .,:/-]{1,40}|[^\p{L}\p{N}\s()|?:\[\]]", plain))
        pieces.update(regex.findall(r"[\p{L}\p{N}']+", plain))
    extra = ["|", " | ", "•", "·", "»", "(", ")", "[", "]", ":", " ", "  ", "\n", "29/09/2025", "02:00", "2025-09-30",
             "https://example.com/a", "www.example.vn", "404", "©", "...", "."]  # fmt: skip
    extra += ["İ", "ı", "ſ", "K", "ß", "ẞ", "COOKİE"]  # characters whose casefold is not regex's case-insensitive match
    return sorted(pieces | set(extra))


PIECES = rule_pieces()


CASE_TEXTS = case_texts()
CASINGS = ["=", "=", "upper", "title", "lower"]


@st.composite
def joined_pieces(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(CASINGS)), max_size=8))
    glue = draw(st.sampled_from(["", "", " ", " | ", " • "]))
    text = glue.join(p if how == "=" else getattr(p, how)() for p, how in parts)
    return text + draw(st.text(max_size=2))


@st.composite
def edited_case(draw: st.DrawFn) -> str:
    """A case-file line with a piece put in, a span cut out, or its case changed."""
    text = draw(st.sampled_from(CASE_TEXTS))
    i = draw(st.integers(0, len(text)))
    j = draw(st.integers(i, min(len(text), i + 6)))
    how = draw(st.sampled_from(["insert", "cut", "case", "keep"]))
    if how == "insert":
        return text[:i] + draw(st.sampled_from(PIECES)) + text[i:]
    if how == "cut":
        return text[:i] + text[j:]
    if how == "case":
        return text[:i] + text[i:j].swapcase() + text[j:]
    return text


def chrome_like() -> st.SearchStrategy[str]:
    return st.one_of(joined_pieces(), edited_case())


def test_the_fixture_pages():
    for path in sorted(SEEDS.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        same_as_reference(lines)
        same_as_reference([t.strip() for t in lines if t.strip()])


def test_the_case_files_on_one_page_and_one_by_one():
    texts = case_texts()
    same_as_reference(texts)
    for t in texts:
        same_as_reference([t])
        same_as_reference([t, t + "\n", "İ " + t])


@settings(max_examples=examples(600), deadline=None)
@given(st.lists(chrome_like(), min_size=1, max_size=8))
def test_pages_built_from_rule_pieces(texts):
    same_as_reference(texts)


@settings(max_examples=examples(600), deadline=None)
@given(chrome_like())
def test_every_match_has_its_shape(text):
    """Each rule's shape holds for every text the rule matches (or finds a span in), wide rule or not."""
    if any(c in text for c in rule_set(load_rules()).unfolded):
        return
    folded = text.casefold()
    for rule, shape in [*rule_set(load_rules()).lines, *rule_set(load_rules()).trims]:
        hit = rule.pattern.match(text) if rule.kind not in ("trim_start", "trim_end") else rule.pattern.search(text)
        if hit is not None:
            assert shape.admits(text, folded), (rule.name, text)


def test_lines_over_the_limit_match_nothing():
    line = "Comment (0)" + " " * MAX_RULE_CHARS
    assert match_lines([line, "Comment (0)"], load_rules())[0] is None
    same_as_reference([line, "Comment (0)"])


def test_no_rules_and_no_lines():
    assert match_lines([], load_rules()) == []
    assert trim_lines([], load_rules()) == []
    assert match_lines(["Comment (0)"], ()) == [None]
    assert trim_lines(["x (Photo: VNA)"], ()) == [()]


def test_rule_sets_with_groups_backreferences_and_syntax_the_reader_does_not_know():
    rules = parse_rules(
        "[twice line]\n(\\w{2,9})\\s*\\1.{0,50}\n"
        "[named line]\n(?P<w>ab)c.{0,30}(?P=w)\n"
        "[flags line]\n(?-i:ABC).{0,40}xyz\n"
        "[tail_x tail]\n.{0,20}\\bend\\b\n"
        "[cut_end trim_end]\n\\s*\\((?:pic|img)\\)\n"
    )
    texts = ["hello hello world", "abc and ab", "ABC then XYZ", "abc then xyz", "the end", "the END!",
             "three more words (PIC)", "İn the end", "no match at all"]  # fmt: skip
    same_as_reference(texts, rules)
    for t in texts:
        same_as_reference([t], rules)


def test_fold_exceptions_cover_every_character_that_matches_a_needed_one():
    """Exhaustive over code points: a character the engine matches to a needed one casefolds alike, or is listed."""
    ready = rule_set(load_rules())
    code_points = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    chars = {c for _, shape in [*ready.lines, *ready.trims] for c in shape.chars}
    assert "İ" in ready.unfolded
    for c in chars:
        for m in regex.findall(regex.escape(c), code_points, FLAGS):
            assert m.casefold() == c.casefold() or m in ready.unfolded, (c, m)


def eval_pages() -> list[Path]:
    return sorted(EVAL.glob("*/*.input.txt")) if EVAL.is_dir() else []


@pytest.mark.slow
@pytest.mark.skipif(not eval_pages(), reason="the evaluation sets are not here (CI lacks them)")
def test_every_line_of_the_evaluation_sets():
    for path in eval_pages():
        lines = [t for t in path.read_text(encoding="utf-8", errors="replace").splitlines() if t.strip()]
        same_as_reference(lines)


def test_a_final_newline_is_allowed_by_the_end_anchor():
    """``$`` matches before a final newline: a line one character over a rule's longest match may still match."""
    texts = ["-" * 20 + "\n", "-" * 21, "No data\n", "Advertisement\n\n"]
    assert [r and r.name for r in match_lines(texts, load_rules())] == ["separator", None, "no_data", None]
    same_as_reference(texts)


def test_a_joined_run_names_the_first_rule_that_matches():
    rules = parse_rules("[a line]\nfoo|bar\n[b line]\nfoo.*\n[c tail]\n(?:ba)+r?\n[d line]\n[^x]{0,3}\n")
    assert [len(step.rules) for step in rule_set(rules).steps] == [4]
    texts = ["foo", "foobar", "baba", "bar", "Bar", "xyz", "ab", ""]
    assert [r and r.name for r in match_lines(texts, rules)] == ["a", "b", "c", "a", "a", None, "d", "d"]
    same_as_reference(texts, rules)
