"""Library upserts store exactly what Plex sent, on every backend (COPY on PostgreSQL, executemany elsewhere)."""

from __future__ import annotations

from datetime import timedelta

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.models import utcnow
from plexbooks_plugin.records import PlexAudiobook

BOOKS = [
    PlexAudiobook(
        rating_key="1",
        guid="local://1",
        title="Dune",
        author="Frank Herbert",
        duration=2**40,
        year=1965,
        summary="x" * 10_000,
        thumb="/library/metadata/1/thumb/9",
        added_at=1_700_000_000,
        asin="B002V1OF70",
    ),
    PlexAudiobook(rating_key="2", guid="plex://album/ab", title='Tab\there, quote " and back\\slash', author=None),
    PlexAudiobook(
        rating_key="3",
        guid="plex://album/cd",
        title="Émile 📚",
        author="Zoë Ørsted",
        narrator="N. Arrator",
        file_path="/audiobooks/Zoë/Émile",
    ),
]


def test_new_rows_round_trip_every_field(core: PlexBooksCore) -> None:
    before = utcnow() - timedelta(seconds=1)
    with core.session() as session:
        result = repo.upsert_library_page(session, "4", BOOKS, scan_id=7)
    assert (result.new, result.updated) == (3, 0)
    with core.session() as session:
        rows = repo.get_library_items(session, "4", ["1", "2", "3"])
        for book in BOOKS:
            row = rows[book.rating_key]
            for field in (
                "guid",
                "title",
                "author",
                "narrator",
                "duration",
                "year",
                "summary",
                "thumb",
                "added_at",
                "asin",
                "file_path",
            ):
                assert getattr(row, field) == getattr(book, field), field
            assert row.last_seen_scan == 7 and row.section_id == "4"
            assert before <= row.first_seen_at <= utcnow() + timedelta(seconds=1)
            assert row.row_updated_at == row.first_seen_at
        assert rows["3"].norm_title == "emile" and rows["2"].norm_author == ""


def test_unchanged_rows_are_not_rewritten_and_changed_ones_are(core: PlexBooksCore) -> None:
    with core.session() as session:
        repo.upsert_library_page(session, "4", BOOKS, scan_id=1)
    with core.session() as session:
        stamps = {k: r.row_updated_at for k, r in repo.get_library_items(session, "4", ["1", "2", "3"]).items()}
    changed = PlexAudiobook(rating_key="2", guid="plex://album/ab", title="A New Title", author="Someone")
    with core.session() as session:
        result = repo.upsert_library_page(session, "4", [BOOKS[0], changed, BOOKS[2]], scan_id=2)
    assert (result.new, result.updated, result.changed_keys) == (0, 1, ("2",))
    with core.session() as session:
        rows = repo.get_library_items(session, "4", ["1", "2", "3"])
    assert rows["1"].row_updated_at == stamps["1"] and rows["3"].row_updated_at == stamps["3"]
    assert rows["2"].title == "A New Title" and rows["2"].row_updated_at >= stamps["2"]
    assert {r.last_seen_scan for r in rows.values()} == {2}
