"""What the stripper decides for one line: :class:`LineDecision`, shared by the stripper and its heuristics.

>>> LineDecision(False, "Share on Facebook", rule="chrome:share").keep
False
"""

from __future__ import annotations

from dataclasses import dataclass

from dedup.strip.rules import Cut


@dataclass(frozen=True, slots=True)
class LineDecision:
    """What the stripper decided for one line.

    Attributes:
        keep: whether the line stays.
        text: the line after trims (equal to the input when nothing was cut).
        cuts: the spans trimmed from a kept line, in order.
        rule: why a removed line goes (``"chrome:<name>"``, ``"classifier"``, ``"context"``), else ``""``.
        detail: a short explanation for the report.
        score: the classifier's probability that the line is article text, when it ran.
    """

    keep: bool
    text: str
    cuts: tuple[Cut, ...] = ()
    rule: str = ""
    detail: str = ""
    score: float | None = None
