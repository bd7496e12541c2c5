"""The in-memory word search answers exactly what the SQL `LIKE` search answers (pages, order, totals)."""

from __future__ import annotations

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.library_search import LibrarySearch, search_text
from plexbooks_plugin.matching import normalize_author
from plexbooks_plugin.records import PlexAudiobook

TITLES = [
    ("The Hobbit", "J.R.R. Tolkien"),
    ("Hobbit Tales", "Tolkien, Christopher"),
    ("100% Pure_Joy", "Under_Score Writer"),
    ("Émile 📚", "Zoë Ørsted"),
    ("Dune (Unabridged)", "Frank Herbert"),
    ("Dune Messiah", "Frank Herbert"),
    ("Children of Dune", "Frank Herbert"),
    ("A Line\nBreak", None),
    ("Backslash \\ Book", "Anon"),
    ("Project Hail Mary", "Andy Weir"),
    ("The Martian", "Andy Weir"),
    ("Artemis", "Andy Weir"),
    ("Mistborn: The Final Empire, Book 1", "Brandon Sanderson"),
    ("The Well of Ascension", "Sanderson, Brandon"),
] + [(f"Book {n:03d}", "Author Name") for n in range(1, 41)]

QUERIES = [
    "hobbit", "HOBBIT", "the", "a", "dune", "Dune Messiah", "tolkien", "christopher tolkien", "100%", "%", "_",
    "pure_joy", "under_", "émile", "emile", "zoe", "ørsted", "\\", "line", "break", "weir", "andy", "mary hail",
    "book 007", "Book 7", "book 1", "brandon sanderson", "sanderson, brandon", "final empire", "zzzz", "o", " ",
    "unabridged", "📚", "hobbit jrr", "hobbit tolkien", "tales tolkien",
]


@pytest.fixture()
def library(core: PlexBooksCore) -> PlexBooksCore:
    books = [
        PlexAudiobook(rating_key=str(i), guid=f"local://{i}", title=title, author=author)
        for i, (title, author) in enumerate(TITLES, start=1)
    ]
    with core.session() as session:
        repo.upsert_library_page(session, "4", books, None)
    return core


def _page(core: PlexBooksCore, q: str, page: int, per_page: int, search: LibrarySearch | None) -> tuple[list[str], int]:
    with core.session() as session:
        rows, total = repo.library_page(session, q, page, per_page, search)
        return [row.rating_key for row in rows], total


@pytest.mark.parametrize("per_page", [5, 24])
def test_the_index_answers_every_query_like_sql(library: PlexBooksCore, per_page: int) -> None:
    search = library.library_search()
    assert len(search) == len(TITLES)
    for q in QUERIES:
        for page in (1, 2, 3):
            assert _page(library, q, page, per_page, search) == _page(library, q, page, per_page, None), (q, page)


def test_a_page_of_matches_is_the_slice_of_all_matches(library: PlexBooksCore) -> None:
    search = library.library_search()
    for q in QUERIES:
        everything = search.matching_ids(search_text(q), normalize_author(q))
        for offset, limit in ((0, 5), (5, 5), (len(everything) - 1, 5), (len(everything) + 3, 5), (0, 1000)):
            assert search.page_of_matches(search_text(q), normalize_author(q), max(offset, 0), limit) == (
                everything[max(offset, 0) : max(offset, 0) + limit], len(everything)), (q, offset)


def test_the_search_follows_library_changes(library: PlexBooksCore) -> None:
    before = library.library_search()
    assert _page(library, "zeppelin", 1, 10, before) == ([], 0)
    with library.session() as session:
        repo.upsert_library_page(session, "4", [PlexAudiobook("900", "local://900", "Zeppelin Rising", "A")], None)
        repo.bump_library_version(session)
    after = library.library_search()
    assert after is not before
    assert _page(library, "zeppelin", 1, 10, after) == (["900"], 1)
    assert library.library_search() is after  # unchanged library: the same index


def test_warm_up_builds_the_index_and_the_search(library: PlexBooksCore) -> None:
    library.warm_up_in_background().join(timeout=30)
    assert library.index_rebuilds == 1
    library.library_index()
    library.library_search()
    assert library.index_rebuilds == 1  # nothing was built again


def test_word_index_equals_substring_search_over_a_generated_library() -> None:
    """Every part (whole words, pieces of words, several words, spaces, misses) finds exactly the
    rows whose text contains it, in page order, over the emulator's generated library."""
    import random

    from plexbooks_plugin.fakeplex.store import AUDIOBOOK_SECTION, FakeLibrary
    from plexbooks_plugin.library_search import search_text
    from plexbooks_plugin.matching import normalize_author

    fake = FakeLibrary(3000, 5)
    rows = sorted(
        (search_text(a.title), a.rating_key, normalize_author(a.author))
        for a in fake.albums.values() if a.section_id == AUDIOBOOK_SECTION
    )
    search = LibrarySearch((key, title, author) for title, key, author in rows)
    rng = random.Random(9)
    parts = ["", " ", "  ", "a", "e", "of", "the", "zzzz", "\n", "sanderson; x", "; "]
    for _ in range(300):
        title, _, author = rng.choice(rows)
        text = rng.choice((title, author)) or "x"
        start = rng.randrange(len(text))
        parts.append(text[start:start + rng.randint(1, 14)])
        parts.append(rng.choice(text.split(" ") or ["x"]))
    for title_part in parts:
        for author_part in (title_part, rng.choice(parts), ""):
            expected = [
                key for title, key, author in rows
                if (title_part and title_part in title) or (author_part and author_part in author)
            ]
            if "\n" in title_part or "\x1f" in title_part:
                expected = [key for title, key, author in rows if author_part and author_part in author]
            if "\n" in author_part or "\x1f" in author_part:
                expected = [key for title, key, author in rows if title_part and title_part in title and (
                    "\n" not in title_part and "\x1f" not in title_part)]
            assert search.matching_ids(title_part, author_part) == expected, (title_part, author_part)
