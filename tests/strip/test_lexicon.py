"""The line lexicon: tokens, scores, the file format and what the shipped weights learned."""

from __future__ import annotations

import pytest

from dedup.strip.features import FEATURE_NAMES, line_features
from dedup.strip.lexicon import (
    Lexicon,
    LexiconFormatError,
    from_coefficients,
    lexicon_from_json,
    line_tokens,
    load_lexicon,
)


def test_tokens_fold_case_and_digits_and_mark_the_ends():
    assert line_tokens("Posted on 12 May") == {"posted", "on", "00", "may", "^posted", "may$", "posted on", "on 00",
                                               "00 may"}  # fmt: skip
    assert line_tokens("Page 3 of 9") == line_tokens("page 7 of 1")
    assert line_tokens("— | —") == set()


def test_a_line_scores_the_bias_plus_each_token_once():
    lexicon = Lexicon({"home": -1.0, "^home": -0.5, "news": 2.0}, bias=0.25)
    assert lexicon.score("Home home HOME") == pytest.approx(0.25 - 1.0 - 0.5)
    assert lexicon.score("Unseen words only") == pytest.approx(0.25)
    assert lexicon.scores(["News", ""]).tolist() == pytest.approx([2.25, 0.25])


def test_json_round_trip_and_bad_files():
    lexicon = from_coefficients(["a", "b", "c"], [0.5, -0.004, -2.0], 0.3, {"pages": 2})
    assert dict(lexicon.weights) == {"a": 0.5, "c": -2.0}
    data = lexicon.to_json()
    assert list(data["weights"]) == ["c", "a"]  # heaviest first, for a reader of the file
    again = lexicon_from_json(data)
    assert dict(again.weights) == dict(lexicon.weights)
    assert again.bias == lexicon.bias
    assert again.meta["kept"] == 2
    with pytest.raises(LexiconFormatError, match="bias"):
        lexicon_from_json({"weights": {}})
    with pytest.raises(LexiconFormatError, match="weights"):
        lexicon_from_json({"bias": 0.0, "weights": {"a": "heavy"}})


def test_the_shipped_lexicon_tells_menu_words_from_article_sentences():
    lexicon = load_lexicon()
    assert len(lexicon.weights) > 1000
    chrome = ["Home", "Contact us", "Privacy policy", "Log in", "Sitemap"]
    article = [
        "The minister said on Monday that the talks would continue next week.",
        "Prices rose by 3 percent in the year to March, the statistics office said.",
    ]
    assert max(lexicon.scores(chrome)) < min(lexicon.scores(article))


def test_features_carry_the_lexicon_and_its_neighbours():
    lexicon = Lexicon({"home": -3.0}, bias=1.0)
    x = line_features(["Home", "Some article text here.", "More text"], lexicon=lexicon)
    col = {name: x[:, i] for i, name in enumerate(FEATURE_NAMES)}
    assert col["lexicon"].tolist() == [-2.0, 1.0, 1.0]
    assert col["prev_lexicon"].tolist() == [0.0, -2.0, 1.0]
    assert col["next_lexicon"].tolist() == [1.0, 1.0, 0.0]


@pytest.mark.slow  # four interpreters that import dedup
def test_scores_do_not_depend_on_the_string_hash_seed() -> None:
    """Tokens are a set, iterated in an order the hash seed picks; the sum must not care."""
    import os
    import subprocess
    import sys

    script = (
        "from dedup.strip.lexicon import load_lexicon\n"
        "lex = load_lexicon()\n"
        "lines = ['Firstly, the visit is of great significance for both countries and their people.',\n"
        "         'Home | News | Contact us | Subscribe to our newsletter today', 'Posted by admin at 3:45 PM',\n"
        "         'Thủ tướng Phạm Minh Chính tiếp Đại sứ Nhật Bản tại Hà Nội về hợp tác kinh tế']\n"
        "print([lex.score(t).hex() for t in lines])\n"
    )
    outs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3", "4")}
    assert len(outs) == 1, outs
