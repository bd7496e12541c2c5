"""LibraryIndex answers exactly what a brute-force max over match_score answers, only faster."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from plexbooks_plugin import matching
from plexbooks_plugin.matching import (
    CATALOG_THRESHOLD,
    REQUEST_THRESHOLD,
    Candidate,
    LibraryIndex,
    Match,
    match_score,
)

from .matching_oracle import brute_force_match

# Words chosen to collide: plurals, compounds and their halves, one-typo neighbours, number words.
WORDS = (
    "night", "time", "nighttime", "day", "daylight", "light", "dark", "darkness", "shadow", "shadows", "king",
    "kings", "queen", "crown", "empire", "empires", "fire", "blood", "storm", "storms", "winter", "river",
    "stone", "stones", "glass", "iron", "ghost", "garden", "city", "kingdom", "hollow", "silent", "patient",
    "tenant", "war", "peace", "road", "house", "home", "star", "stars", "starlight", "sea", "ocean", "wind",
    "words", "radiance", "way", "foundation", "messiah", "legend", "legends", "spider", "man", "spiderman",
    "heart", "shaped", "heartshaped", "box", "dragon", "dragons", "reborn", "magic", "magician", "empress",
    "emperor", "salt", "sword", "swords", "witch", "witches", "watch", "secret", "secrets", "history", "story",
    "island", "islands", "mountain", "mountains",
)
COMPOUNDS = ("nighttime", "spiderman", "heartshaped", "starlight", "daylight")
EXTRAS = ("one", "two", "three", "ii", "iii", "1", "2", "3", "1984", "of", "and", "the", "a")
FIRST = ("Anna", "Brandon", "Joe", "John", "J. R. R.", "Christopher", "Mary", "Stephen", "Owen", "Ursula K.")
LAST = ("Sanderson", "Hill", "Abercrombie", "Tolkien", "King", "Le Guin", "Shelley", "Herbert", "Miller")


def _title(rng: random.Random) -> str:
    words = [rng.choice(WORDS) if rng.random() > 0.2 else rng.choice(EXTRAS) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.15:
        words[0] = rng.choice(COMPOUNDS)
    title = " ".join(words).title()
    roll = rng.random()
    if roll < 0.1:
        title += " (Unabridged)"
    elif roll < 0.2:
        title += f" ({rng.choice(WORDS).title()} Series, Book {rng.randint(1, 4)})"
    elif roll < 0.3:
        title += f": {rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
    elif roll < 0.37:
        title += f": A History of the {rng.choice(WORDS).title()}"
    elif roll < 0.42:
        title += f", Vol. {rng.randint(1, 3)}"
    elif roll < 0.45:
        title = f"{rng.choice(WORDS).title()} {rng.randint(1, 3):02d} - {title}"
    return title


def _author(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if roll < 0.3:
        return f"{last}, {first}"
    if roll < 0.4:
        return f"{first} {last} & {rng.choice(FIRST)} {rng.choice(LAST)}"
    return f"{first} {last}"


def _asin(rng: random.Random) -> str | None:
    return f"B0{rng.randrange(16**8):08X}" if rng.random() < 0.3 else None


def _library(rng: random.Random, size: int) -> list[Candidate]:
    return [
        Candidate(
            key=f"{i:05d}", title=_title(rng), author=_author(rng),
            narrator=_author(rng) if rng.random() < 0.3 else None, asin=_asin(rng),
        )
        for i in range(size)
    ]


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = w[:j] + w[j + 1:] if rng.random() < 0.5 else w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


SPLIT_COMPOUNDS = {"Nighttime": "Night Time", "Spiderman": "Spider Man", "Heartshaped": "Heart-Shaped",
                   "Starlight": "Star Light", "Daylight": "Day Light"}


def _compound(rng: random.Random, text: str) -> str:
    """Write a compound the other way: split a closed one, or close an open one."""
    for closed, open_ in SPLIT_COMPOUNDS.items():
        if closed in text and rng.random() < 0.8:
            return text.replace(closed, open_)
    return text.replace(" ", "", 1)


def _queries(rng: random.Random, library: Sequence[Candidate], count: int) -> list[tuple[str, str | None, str | None]]:
    """Queries derived from library items (variants, typos, other numbers/authors) and fresh ones."""
    queries: list[tuple[str, str | None, str | None]] = []
    for _ in range(count):
        item = rng.choice(library)
        roll = rng.random()
        asin = None
        if roll < 0.15:
            title, author = item.title, item.author
        elif roll < 0.3:
            title, author = f"{item.title} (Unabridged)", item.author
        elif roll < 0.42:
            title, author = _typo(rng, item.title), item.author
        elif roll < 0.5:
            title, author = _compound(rng, item.title), item.author
        elif roll < 0.54:
            title, author = item.title.split(":")[0].split("(")[0], item.narrator or item.author
        elif roll < 0.58:  # a franchise or series name in front: "Star Wars: Thrawn"
            title, author = f"{rng.choice(WORDS).title()}: {item.title.split(':')[0]}", item.author
        elif roll < 0.66:
            title, author = item.title, _author(rng)  # maybe another author
        elif roll < 0.74:
            title, author = item.title + " Two", item.author  # another number
        elif roll < 0.84:
            title, author, asin = _title(rng), _author(rng), item.asin  # ASIN lookup (or none)
            if asin and rng.random() < 0.5:
                asin = asin.lower() + "_us"
        else:
            title, author, asin = _title(rng), _author(rng), _asin(rng)
        queries.append((title, author, asin))
    return queries


@pytest.fixture(scope="module")
def library() -> list[Candidate]:
    return _library(random.Random(20240611), 1500)


@pytest.fixture(scope="module")
def index(library: list[Candidate]) -> LibraryIndex:
    return LibraryIndex(library)


@pytest.mark.parametrize(
    ("threshold", "count"),
    [
        pytest.param(REQUEST_THRESHOLD, 140, id="request-threshold"),
        pytest.param(CATALOG_THRESHOLD, 70, id="catalog-threshold"),
        pytest.param(0.5, 20, id="low-threshold-scans-all"),
    ],
)
def test_index_equals_brute_force(library: list[Candidate], index: LibraryIndex, threshold: float, count: int) -> None:
    rng = random.Random(int(threshold * 1000))
    queries = _queries(rng, library, count)
    found = 0
    for title, author, asin in queries:
        expected = brute_force_match(library, title, author, asin, threshold)
        got = index.best_match(title, author, asin=asin, threshold=threshold)
        assert got == expected, (title, author, asin)
        found += expected is not None
    # The generated queries exercise both outcomes.
    assert 0.2 * count < found < count


def test_index_prefilter_is_exact(
    library: list[Candidate], index: LibraryIndex, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The subset pre-filter for large candidate sets (normally above 16) never drops a match."""
    monkeypatch.setattr(matching.index, "_CLOSURE_FILTER_ABOVE", 0)
    rng = random.Random(4242)
    for title, author, asin in _queries(rng, library, 50):
        expected = brute_force_match(library, title, author, asin, REQUEST_THRESHOLD)
        assert index.best_match(title, author, asin=asin) == expected, (title, author, asin)


def test_index_size(library: list[Candidate], index: LibraryIndex) -> None:
    assert len(index) == len(library)


def test_add_remove_replace() -> None:
    index = LibraryIndex()
    assert len(index) == 0
    assert index.best_match("Dune", "Frank Herbert") is None
    index.add(Candidate("1", "Dune (Unabridged)", "Frank Herbert"))
    index.add(Candidate("2", "Dune Messiah", "Frank Herbert"))
    assert len(index) == 2
    assert index.best_match("Dune", "Frank Herbert") == Match("1", 1.0, "fuzzy")
    assert index.best_match("Dune Messiah", "Herbert, Frank") == Match("2", 1.0, "fuzzy")
    # Replacing key "1" with another book drops the old title from the postings.
    index.add(Candidate("1", "Children of Dune", "Frank Herbert"))
    assert len(index) == 2
    assert index.best_match("Dune", "Frank Herbert") is None
    assert index.best_match("Children of Dune", "Frank Herbert") == Match("1", 1.0, "fuzzy")
    index.remove("2")
    index.remove("2")  # absent: no-op
    assert len(index) == 1
    assert index.best_match("Dune Messiah", "Frank Herbert") is None
    index.remove("1")
    assert len(index) == 0
    assert index.best_match("Children of Dune", "Frank Herbert") is None


def test_removal_keeps_typo_lookup_consistent() -> None:
    index = LibraryIndex([Candidate("a", "Neverwhere", "Neil Gaiman"), Candidate("b", "Neverwhere", "Neil Gaiman")])
    assert index.best_match("Neverwhera", "Neil Gaiman") == Match("a", pytest.approx(0.93), "fuzzy")
    index.remove("a")
    assert index.best_match("Neverwhera", "Neil Gaiman") == Match("b", pytest.approx(0.93), "fuzzy")
    index.remove("b")
    assert index.best_match("Neverwhera", "Neil Gaiman") is None


def test_asin_lookup() -> None:
    index = LibraryIndex([
        Candidate("10", "Stormlight 1", "Michael Kramer", asin="B003P2WO5E"),
        Candidate("11", "The Way of Kings", "Brandon Sanderson", asin="B0BHYBMHPN"),
    ])
    # Equal ASIN (region suffix, case) wins whatever the text says.
    assert index.best_match("The Way of Kings", "Brandon Sanderson", asin="b003p2wo5e_us") == Match(
        "10", 1.0, "asin")
    # Unknown ASIN: fuzzy matching, with the different-ASIN penalty against key 11.
    match = index.best_match("The Way of Kings", "Brandon Sanderson", asin="B000000001")
    assert match is not None and match.key == "11" and match.matched_by == "fuzzy"
    assert match.score == pytest.approx(0.75)
    # The same ASIN on two items: lowest key.
    index.add(Candidate("09", "Whatever", None, asin="B003P2WO5E"))
    assert index.best_match("x", None, asin="B003P2WO5E") == Match("09", 1.0, "asin")
    index.remove("09")
    index.remove("10")
    assert index.best_match("x", None, asin="B003P2WO5E") is None


def test_asin_match_wins_a_tie_with_a_perfect_fuzzy_match() -> None:
    index = LibraryIndex([
        Candidate("1", "Dune", "Frank Herbert"),
        Candidate("2", "Dune", "Frank Herbert", asin="B002V1OF70"),
    ])
    assert index.best_match("Dune", "Frank Herbert", asin="B002V1OF70") == Match("2", 1.0, "asin")
    assert index.best_match("Dune", "Frank Herbert") == Match("1", 1.0, "fuzzy")  # lowest key


def test_threshold_respected() -> None:
    index = LibraryIndex([
        Candidate("1", "Circe", None),
        Candidate("2", "Sapiens: A Brief History of Humankind", "Harari"),
    ])
    # Title-only evidence scores 0.73: enough for requests, not for the catalog.
    assert index.best_match("Circe", "Madeline Miller") == Match("1", pytest.approx(0.73), "fuzzy")
    assert index.best_match("Circe", "Madeline Miller", threshold=CATALOG_THRESHOLD) is None
    match = index.best_match("Sapiens", "Yuval Noah Harari", threshold=CATALOG_THRESHOLD)
    assert match is not None and match.key == "2" and match.score >= CATALOG_THRESHOLD
    assert index.best_match("Sapiens", "Yuval Noah Harari", threshold=0.99) is None
    # Below the pruning floor the index scans everything and still honours the threshold.
    low = index.best_match("Circe Stories", None, threshold=0.25)
    assert low is not None and low.key == "1" and 0.25 <= low.score < REQUEST_THRESHOLD


def test_best_of_several_and_narrator_query() -> None:
    index = LibraryIndex([
        Candidate("1", "Sapiens: A Brief History of Humankind", "Yuval Noah Harari"),
        Candidate("2", "Sapiens", "Yuval Noah Harari"),
        Candidate("3", "Sapiens: A Graphic History", "Yuval Noah Harari"),
        Candidate("4", "The Martian", "R.C. Bray"),
    ])
    assert index.best_match("Sapiens", "Harari, Yuval Noah") == Match("2", 1.0, "fuzzy")
    assert index.best_match("The Martian", "Andy Weir") is None
    match = index.best_match("The Martian", "Andy Weir", narrator="R. C. Bray")
    assert match is not None and match.key == "4"
    assert match.score == match_score("The Martian", "Andy Weir", "The Martian", "R.C. Bray", narrator_a="R. C. Bray")
