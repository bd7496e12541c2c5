"""Matching never raises, whatever Unicode a title, author, narrator or ASIN holds (issue 12, item 9)."""

from __future__ import annotations

import random

import pytest

from plexbooks_plugin.matching import (
    REQUEST_THRESHOLD,
    Candidate,
    LibraryIndex,
    match_score,
    normalize_asin,
    normalize_author,
    normalize_title,
)

# Characters str.isdigit() accepts but int() rejects: numerals that are not positional decimal digits.
ETHIOPIC_ONE = "\u1369"
KHAROSHTHI_ONE = "\U00010a40"


def _everything(text: str) -> float:
    """Run every public matching entry point on `text`; return the self-match score."""
    normalize_title(text)
    normalize_author(text)
    normalize_asin(text)
    score = match_score(text, text, "Dune", "Frank Herbert", narrator_b=text, asin_a=text, asin_b=text, narrator_a=text)
    assert 0.0 <= score <= 1.0
    index = LibraryIndex([Candidate("1", text, text, text, text), Candidate("2", "Dune", "Frank Herbert")])
    for threshold in (REQUEST_THRESHOLD, 0.5):
        index.best_match(text, text, asin=text, narrator=text, threshold=threshold)
    index.remove("1")
    return match_score(text, "Frank Herbert", text, "Frank Herbert")


@pytest.mark.parametrize("digit", [ETHIOPIC_ONE, KHAROSHTHI_ONE], ids=["ethiopic", "kharoshthi"])
@pytest.mark.parametrize(
    "template",
    ["{d}", "Dune {d}", "Dune, Book {d}", "Dune Part {d}", "Dune Vol. {d}", "Dune (Saga {d})", "Dune (Book {d})",
     "{d} - Dune", "Book {d}: Dune", "Dune: {d}{d}"],
)
def test_digits_of_other_scripts_do_not_crash(digit: str, template: str) -> None:
    title = template.format(d=digit)
    # The same title still finds itself: the numeral is compared as a word.
    assert _everything(title) >= REQUEST_THRESHOLD


def test_decimal_digits_of_other_scripts_are_numbers() -> None:
    arabic_indic_22 = "\u0662\u0662"
    assert match_score(f"Catch-{arabic_indic_22}", "Joseph Heller", "Catch-22", "Joseph Heller") == 1.0
    assert match_score(f"Catch-{arabic_indic_22}", "Joseph Heller", "Catch-23", "Joseph Heller") < REQUEST_THRESHOLD


def test_a_huge_number_is_a_word_not_a_crash() -> None:
    huge = "9" * 5000  # int() refuses strings of more than 4,300 digits
    for title in (huge, f"Book {huge}", f"Dune ({huge})", f"Part {huge}"):
        assert _everything(title) >= REQUEST_THRESHOLD
    assert match_score(huge, None, "9" * 4999, None) < REQUEST_THRESHOLD


@pytest.mark.parametrize(
    "text",
    ["a\x00b", "\x00", "\ud800", "Dune \udfff (Book \ud800)", "\ufeff\u200b", "\U0010ffff", "((((", "[Book #]",
     ": - ; , or", "\u0301\u0301", "Book \u00b2", "\u2460 \u2155 \u216b"],
    ids=["nul-inside", "nul", "lone-surrogate", "surrogates-in-brackets", "zero-width", "last-code-point",
         "open-brackets", "empty-marker", "separators-only", "combining-only", "superscript", "circled-fraction-roman"],
)
def test_hostile_text_does_not_crash(text: str) -> None:
    _everything(text)


def test_random_unicode_never_raises_and_index_agrees() -> None:
    rng = random.Random(912)
    alphabet = [ETHIOPIC_ONE, KHAROSHTHI_ONE, "\x00", "\ud800", "\udfff", " ", ":", "-", "(", ")", "#", "1", "book ",
                "part ", "vol ", "one", "ii", ",", ".", "&", "'"]

    def text() -> str:
        parts = []
        for _ in range(rng.randint(0, 8)):
            parts.append(rng.choice(alphabet) if rng.random() < 0.6 else chr(rng.randrange(0x110000)))
        return "".join(parts)

    library = [Candidate(str(i), text(), text() or None, text() or None, text() or None) for i in range(150)]
    index = LibraryIndex(library)
    for _ in range(150):
        title, author = text(), text() or None
        _everything(title)
        scores = [(-match_score(title, author, c.title, c.author, narrator_b=c.narrator), c.key) for c in library]
        best = min((pair for pair in scores if -pair[0] >= REQUEST_THRESHOLD), default=None)  # ties: lowest key
        found = index.best_match(title, author)
        assert (found.key if found else None) == (best[1] if best else None), (title, author)
