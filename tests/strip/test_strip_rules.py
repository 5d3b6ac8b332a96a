"""Chrome rules and trims, driven by the case files in tests/cases/strip/."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.strip.rules import ChromeRulesError, load_rules, match_line, parse_rules, trim

CASES = Path(__file__).resolve().parents[1] / "cases" / "strip"


def rows(name: str) -> list[list[str]]:
    lines = (CASES / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize(("rule", "text"), rows("chrome_lines.tsv"), ids=lambda v: v[:40])
def test_line_rule(rule, text):
    found = match_line(text, load_rules())
    assert (found.name if found else "-") == rule


@pytest.mark.parametrize(("rule", "text", "kept"), rows("trims.tsv"), ids=lambda v: v[:40])
def test_trim(rule, text, kept):
    cuts = trim(text, load_rules())
    if rule == "-":
        assert cuts == ()
        return
    assert [c.rule for c in cuts] == [rule]
    assert cuts[-1].text == kept
    assert cuts[0].removed
    assert cuts[0].removed in text


def test_every_rule_has_a_case():
    covered = {r for r, *_ in rows("chrome_lines.tsv")} | {r for r, *_ in rows("trims.tsv")}
    names = {rule.name for rule in load_rules()} - {"agency_credit"}
    assert names <= covered


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[a maybe]\nx\n", "line 1: unknown rule kind 'maybe'"),
        ("x\n", "line 1: pattern 'x' outside a [name kind] section"),
        ("[a line]\n(\n", "rule 'a': bad pattern"),
    ],
)
def test_malformed_rules_are_reported_with_their_line(text, message):
    with pytest.raises(ChromeRulesError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_rules(text)
