"""The decisions in services/, as pure functions: no database, no HTTP."""

from __future__ import annotations

from plexbooks_plugin.matching import Candidate, LibraryIndex
from plexbooks_plugin.models import BookRequest
from plexbooks_plugin.records import PlexAudiobook
from plexbooks_plugin.services.reconcile import catalog_entry, catalog_matches, request_matches
from plexbooks_plugin.services.removal import held_back_warning, incomplete_listing, suspicious_removal
from plexbooks_plugin.services.requests import availability, open_duplicate
from plexbooks_plugin.services.watermark import (
    at_watermark,
    format_watermark,
    next_watermark,
    parse_watermark,
    walk_page,
)


def book(key: str, added_at: int | None) -> PlexAudiobook:
    return PlexAudiobook(rating_key=key, guid=f"plex://album/{key}", title=f"Book {key}", added_at=added_at)


def index_of(*candidates: Candidate) -> LibraryIndex:
    index = LibraryIndex()
    for candidate in candidates:
        index.add(candidate)
    return index


DUNE = Candidate(key="1", title="Dune", author="Frank Herbert", narrator=None, asin="B002V1OF70")

# ------------------------------------------------------------------ removal safety


def test_removing_a_few_unseen_albums_is_safe() -> None:
    assert suspicious_removal(previous=100, seen=97, unseen=3) is None
    assert suspicious_removal(previous=100, seen=100, unseen=0) is None


def test_an_empty_listing_or_more_than_half_gone_is_held_back() -> None:
    assert suspicious_removal(previous=10, seen=0, unseen=10) == "Plex listed no albums"
    assert suspicious_removal(previous=10, seen=4, unseen=6) == "6 of 10 albums are gone from Plex"
    assert suspicious_removal(previous=10, seen=5, unseen=5) is None  # exactly half: still allowed
    assert "confirm the removal" in held_back_warning("Plex listed no albums")


def test_an_incomplete_listing_removes_nothing() -> None:
    assert incomplete_listing(unreadable=0, reported_total=10, seen=10) is None
    assert incomplete_listing(unreadable=0, reported_total=0, seen=3) is None  # no total reported
    unreadable = incomplete_listing(unreadable=2, reported_total=10, seen=10)
    assert unreadable is not None and unreadable.startswith("2 albums could not be read")
    skipped = incomplete_listing(unreadable=0, reported_total=10, seen=9)
    assert skipped is not None and "Plex reported 10 albums but the scan saw 9" in skipped


# ------------------------------------------------------------------ recent-poll watermark


def test_watermark_belongs_to_its_section() -> None:
    assert parse_watermark(format_watermark("3", 1700), "3") == 1700
    assert parse_watermark("3:1700", "4") is None  # the library was switched
    assert parse_watermark("3:soon", "3") is None
    assert parse_watermark(None, "3") is None


def test_a_page_is_read_down_to_the_watermark() -> None:
    page = [book("a", 30), book("b", 20), book("c", 10)]
    walk = walk_page(page, 20, ())
    assert [i.rating_key for i in walk.fresh] == ["a", "b"] and walk.reached  # equal second kept, older stops
    assert walk_page(page, None, ()).reached is False  # first poll: no watermark


def test_a_mirrored_book_of_the_watermark_second_ends_the_poll_after_its_page() -> None:
    page = [book("a", 20), book("b", 20), book("c", 20)]
    assert at_watermark(page, 20) == ["a", "b", "c"] and at_watermark(page, None) == []
    walk = walk_page(page, 20, {"b"})
    assert walk.reached and [i.rating_key for i in walk.fresh] == ["a", "b", "c"]


def test_the_watermark_never_moves_backwards() -> None:
    assert next_watermark([book("a", 50), book("b", 40)], 30) == 50
    assert next_watermark([book("a", 10)], 30) == 30
    assert next_watermark([], 30) == 30
    assert next_watermark([book("a", None)], None) is None


# ------------------------------------------------------------------ request creation policy


def test_availability_answers_from_the_index() -> None:
    index = index_of(DUNE)
    found = availability(index, {"title": "Dune", "author": "Frank Herbert"})
    assert found["available"] and found["rating_key"] == "1" and found["score"] >= 0.7
    assert availability(index, {"title": "Emma", "author": "Jane Austen"}) == {
        "available": False, "rating_key": None, "score": None, "matched_by": None,
    }


def test_an_open_request_for_the_same_book_is_a_duplicate() -> None:
    dune = BookRequest(host_request_id="r1", title="Dune", author="Frank Herbert", asin=None, status="pending")
    emma = BookRequest(host_request_id="r2", title="Emma", author="Jane Austen", asin="B002V1OF70", status="pending")
    assert open_duplicate([emma, dune], "Dune", "Frank Herbert", None) is dune
    assert open_duplicate([emma], "Emma", "Jane Austen", "b002v1of70") is emma  # same ASIN, any case
    assert open_duplicate([emma], "Emma", "Jane Austen", "B00B7NPRY8") is None  # ASINs differ: another edition
    assert open_duplicate([], "Dune", None, None) is None


# ------------------------------------------------------------------ reconciliation


def test_catalog_entries_need_a_title_and_an_id() -> None:
    assert catalog_entry({"id": 7, "title": " Dune "}) == {
        "external_id": "7", "title": "Dune", "author": None, "narrator": None, "asin": None,
    }
    assert catalog_entry({"asin": "B1", "title": "Dune"})["external_id"] == "B1"  # type: ignore[index]
    assert catalog_entry({"title": "No id"}) is None
    assert catalog_entry({"id": 1, "title": "  "}) is None
    assert catalog_entry("not a dict") is None


def test_catalog_and_requests_are_matched_at_their_thresholds() -> None:
    index = index_of(DUNE)
    matches = catalog_matches(index, [(1, "Dune", "Frank Herbert", None, None), (2, "Emma", "Jane Austen", None, None)])
    assert [(m.catalog_id, m.rating_key) for m in matches] == [(1, "1"), (2, None)]
    waiting = [
        BookRequest(id=1, host_request_id="r1", title="Dune", author="Frank Herbert", status="downloaded"),
        BookRequest(id=2, host_request_id="r2", title="Emma", author="Jane Austen", status="downloaded"),
    ]
    found = request_matches(index, waiting)
    assert [(r.host_request_id, m.key) for r, m in found] == [("r1", "1")]
