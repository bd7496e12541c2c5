"""The index's shortcuts (bitmap intersections, best titles first) give exactly the straightforward answers.

The library is the emulator's generated audiobook library (the one the benchmarks scan): a small
vocabulary, so most words are common and the bitmap path is taken, which the hand-made library of
`test_matching_index.py` rarely needs. Every answer is compared with the plain max of `match_score`
over every candidate, with the bitmaps forced on, forced off and at their defaults, and after the
index was patched (removals, replacements, additions) the way a library sync patches it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import pytest

from plexbooks_plugin.fakeplex.store import AUDIOBOOK_SECTION, FakeLibrary
from plexbooks_plugin.matching import (
    CATALOG_THRESHOLD,
    REQUEST_THRESHOLD,
    Candidate,
    LibraryIndex,
    Match,
    normalize_asin,
)
from plexbooks_plugin.matching import index as index_module

from .matching_oracle import brute_force_match

Query = tuple[str, str | None, str | None]


def _generated(items: int, seed: int) -> list[Candidate]:
    """The emulator's audiobooks as candidates (ASIN from the Audnexus guid, as a scan stores it)."""
    fake = FakeLibrary(items, seed)
    out: list[Candidate] = []
    for album in fake.albums.values():
        if album.section_id != AUDIOBOOK_SECTION:
            continue
        asin = None
        if album.guid.startswith("com.plexapp.agents.audnexus://"):
            asin = normalize_asin(album.guid.split("://", 1)[1].split("?", 1)[0])
        out.append(Candidate(str(album.rating_key), album.title, album.author, album.narrator, asin))
    return out


def _last_first(author: str | None) -> str | None:
    if not author or " " not in author.strip():
        return author
    first, _, last = author.strip().rpartition(" ")
    return f"{last}, {first}"


def _typo(rng: random.Random, text: str) -> str:
    """One letter dropped from a word of 6+ letters (the one typo the matcher forgives)."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    cut = rng.randrange(1, len(words[i]) - 1)
    words[i] = words[i][:cut] + words[i][cut + 1:]
    return " ".join(words)


def _plural(text: str) -> str:
    """Every word of 4+ letters in the other number ("Storms" <-> "Storm")."""
    return " ".join(w[:-1] if w.endswith("s") else w + "s" if len(w) >= 4 and w.isalpha() else w for w in text.split())


def _queries(rng: random.Random, library: Sequence[Candidate], count: int) -> list[Query]:
    """Present books as hosts and rippers write them, and absent look-alikes sharing their words."""
    queries: list[Query] = []
    for i in range(count):
        row, other = rng.sample(list(library), 2)
        kind = i % 11
        if kind == 0:
            queries.append((row.title, row.author, None))
        elif kind == 1:
            queries.append((f"{row.title} (Unabridged)", _last_first(row.author), None))
        elif kind == 2:
            queries.append((row.title.lower(), row.author, row.asin))
        elif kind == 3:
            queries.append((f"{row.author} - {row.title}" if row.author else row.title, None, None))
        elif kind == 4:
            queries.append((row.title, other.author, None))  # same title, another author
        elif kind == 5:
            head, tail = row.title.split(), other.title.split()
            queries.append((" ".join(head[: max(1, len(head) // 2)] + tail[len(tail) // 2:]), row.author, None))
        elif kind == 6:
            queries.append((row.title.split(":")[0], row.narrator or row.author, None))
        elif kind == 7:
            queries.append((f"{row.title} [B0{rng.randrange(10**8):08d}]", row.author, f"B0{rng.randrange(10**8):08d}"))
        elif kind == 8:
            words = row.title.split()
            queries.append((" ".join(rng.sample(words, len(words))), row.author, None))  # words reordered
        elif kind == 9:
            queries.append((_typo(rng, row.title), row.author, None))
        else:
            queries.append((_plural(row.title), row.author, None))
    return queries


@pytest.fixture(scope="module")
def library() -> list[Candidate]:
    return _generated(2000, 11)


@pytest.fixture(scope="module")
def expected(library: list[Candidate]) -> dict[tuple[Query, float], Match | None]:
    """The straightforward answer of every query at both thresholds (computed once for the module)."""
    queries = _queries(random.Random(7), library, 90)
    return {(q, t): brute_force_match(library, *q, t) for q in queries for t in (REQUEST_THRESHOLD, CATALOG_THRESHOLD)}


@pytest.fixture(params=["default", "always", "never"])
def bitmaps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The bitmap intersection at its default use, forced on every view of two words, or never used."""
    if request.param == "always":
        monkeypatch.setattr(index_module, "_BITMAP_MIN", 1)
        monkeypatch.setattr(index_module, "_BITMAP_DENSITY_SHIFT", 60)
    elif request.param == "never":
        monkeypatch.setattr(index_module, "_BITMAP_MIN", 10**9)
    yield request.param


def test_generated_library_answers_equal_brute_force(
    library: list[Candidate], expected: dict[tuple[Query, float], Match | None], bitmaps: str,
) -> None:
    index = LibraryIndex(library)
    found = 0
    for (query, threshold), answer in expected.items():
        got = index.best_match(query[0], query[1], asin=query[2], threshold=threshold)
        assert got == answer, (bitmaps, query, threshold)
        found += answer is not None
    # Both outcomes are exercised, and so are the common words the bitmaps serve.
    assert 0.2 * len(expected) < found < 0.9 * len(expected)
    if bitmaps != "never":
        assert index._bitmaps


def _patched(library: list[Candidate], index: LibraryIndex | None) -> list[Candidate]:
    """Remove, replace and add candidates as a library sync does (to `index` too); the rows left."""
    rng = random.Random(3)
    current = {c.key: c for c in library[:1500]}
    for key in rng.sample(sorted(current), 150):
        if index is not None:
            index.remove(key)
        del current[key]
    for c in rng.sample(list(current.values()), 150):  # the same key now holds another book
        other = rng.choice(library)
        current[c.key] = Candidate(c.key, other.title, other.author, other.narrator, None)
        if index is not None:
            index.add(current[c.key])
    for c in library[1500:]:
        current[c.key] = c
        if index is not None:
            index.add(c)
    return sorted(current.values(), key=lambda c: c.key)


@pytest.fixture(scope="module")
def patched_expected(library: list[Candidate]) -> dict[Query, Match | None]:
    rows = _patched(library, None)
    return {q: brute_force_match(rows, *q, REQUEST_THRESHOLD) for q in _queries(random.Random(5), rows, 45)}


def test_patched_index_answers_equal_brute_force(
    library: list[Candidate], patched_expected: dict[Query, Match | None], bitmaps: str,
) -> None:
    """Bitmaps kept up to date through removals, replacements and additions (a library sync)."""
    index = LibraryIndex(library[:1500])
    index.best_match("City of Storms", "Anyone")  # bitmaps made on demand before the patches, too
    rows = _patched(library, index)
    assert len(index) == len(rows)
    for query, answer in patched_expected.items():
        assert index.best_match(query[0], query[1], asin=query[2]) == answer, (bitmaps, query)
