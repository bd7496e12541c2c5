"""Malformed album items from Plex: each one is stored or skipped with a count, and no scan dies of one.

The emulator renders `FakeAlbum.fields` over the generated attributes, so a test can blank a title
(`fields["title"] = None`: JSON null, no XML attribute), repeat a rating key (`ratingKey=`) or send
numbers no database column holds.
"""

from __future__ import annotations

import math

import pytest

from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.plex.parsing import albums_from_container, parse_container
from plexbooks_plugin.scanning import run_scan
from tests.fakeplex_fixtures import FakePlexFactory

from .helpers import configure, library_keys, run_of, snapshot

ITEMS = 20
PAGE = 10
NEWER = 1_760_000_000  # newer than every generated book


def _start(factory: FakePlexFactory, core: PlexBooksCore, *, xml: bool = False) -> FakePlex:
    fake = factory(items=ITEMS, xml_only=xml)
    configure(core, fake)
    summary = run_scan(core, "full", page_size=PAGE)
    assert summary["total"] == ITEMS and summary["skipped"] == 0
    return fake


def _untitle(fake: FakePlex, key: str) -> None:
    """Make Plex list the album without a title attribute (JSON: null; XML: no attribute).

    Like any metadata change in Plex, it moves the album's updatedAt (so a rescan reads the record).
    """
    fake.update_album(key)
    fake.album(key).fields["title"] = None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_items_without_a_title_are_skipped_and_counted_and_old_rows_kept(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, fmt: str
) -> None:
    fake = _start(fake_plex_factory, fast_core, xml=fmt == "xml")
    before = snapshot(fast_core)
    known = str(fake.albums()[5].rating_key)
    _untitle(fake, known)  # a mirrored book loses its title in Plex
    fresh = fake.add_album("placeholder", "Nadia Untitled", added_at=NEWER)
    _untitle(fake, fresh)
    blank = fake.add_album("placeholder", "Blank Title", added_at=NEWER)
    fake.album(blank).fields["title"] = "   "
    numeric = fake.add_album("placeholder", "George Orwell", added_at=NEWER)
    fake.album(numeric).fields["title"] = 1984  # a number where a string belongs: still a title

    summary = run_scan(fast_core, "full", page_size=PAGE)
    assert summary["skipped"] == 3, summary
    assert summary["removed"] == 0 and "could not be read" in (summary["warning"] or "")
    after = snapshot(fast_core)
    assert after[known] == before[known]  # kept as it was, not blanked
    assert fresh not in after and blank not in after
    assert after[numeric]["title"] == "1984"
    assert run_of(fast_core, summary["run_id"]).status == "succeeded"


def test_items_without_an_author_are_stored_without_one(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    fake = _start(fake_plex_factory, fast_core)
    orphan = fake.add_album("The Book Nobody Signed", None, added_at=NEWER)
    blank = fake.add_album("An Empty Author Tag", "placeholder", added_at=NEWER)
    fake.album(blank).fields["parentTitle"] = ""
    summary = run_scan(fast_core, "full", page_size=PAGE)
    assert (summary["new"], summary["skipped"], summary["warning"]) == (2, 0, None)
    rows = snapshot(fast_core)
    assert rows[orphan]["title"] == "The Book Nobody Signed" and rows[orphan]["author"] is None
    assert rows[blank]["author"] is None and rows[blank]["norm_author"] == ""


def test_duplicate_rating_keys_make_one_row_and_remove_nothing(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    fake = _start(fake_plex_factory, fast_core)
    albums = fake.albums()
    target = str(albums[0].rating_key)
    # Two more items claim the same key; sorted by title they land on other pages than the original.
    fake.add_album("Aaaa First Impostor", "Ivy Copy", added_at=NEWER, ratingKey=target)
    fake.add_album("Zzzz Last Impostor", "Ivy Copy", added_at=NEWER, ratingKey=target)
    fake.remove_album(albums[1].rating_key)  # a real removal, which must wait: the listing is inconsistent

    summary = run_scan(fast_core, "full", page_size=PAGE)
    keys = library_keys(fast_core)
    assert len(keys) == len(set(keys)) == ITEMS
    assert keys.count(target) == 1
    assert summary["removed"] == 0 and summary["warning"], summary
    assert run_of(fast_core, summary["run_id"]).status == "succeeded"

    # The poll sees both impostors in one page (with whatever else its watermark lets in: the rescan
    # stored the album Plex returns for that key, not an impostor's, so the watermark is older).
    recent = run_scan(fast_core, "recent")
    assert recent["skipped"] == 0 and run_of(fast_core, recent["run_id"]).status == "succeeded"
    assert recent["total"] >= 1
    keys = library_keys(fast_core)
    assert keys.count(target) == 1 and len(keys) == len(set(keys))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_durations_beyond_32_and_64_bits_and_non_numbers_never_crash_a_scan(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, fmt: str
) -> None:
    fake = _start(fake_plex_factory, fast_core, xml=fmt == "xml")
    big = fake.add_album("A Very Long Listen", "Ilse Marathon", added_at=NEWER, duration=2**31 + 7)
    bigger = fake.add_album("An Even Longer Listen", "Ilse Marathon", added_at=NEWER, duration=2**40)
    huge = fake.add_album("Longer Than Any Column", "Ilse Marathon", added_at=NEWER, duration=2**64 + 1)
    infinite = fake.add_album("Infinite Jest", "David Foster Wallace", added_at=NEWER, duration=math.inf)
    nan = fake.add_album("Not A Number", "Nan Author", added_at=NEWER, duration=math.nan)
    words = fake.add_album("Worded Duration", "Wendy Words", added_at=NEWER, year=2001)
    fake.album(words).fields.update(duration="eleven hours", year="MMI", addedAt="yesterday")
    big_year = fake.add_album("A Book From The Far Future", "Fay Future", added_at=NEWER, year=3_000_000_000)

    summary = run_scan(fast_core, "full", page_size=PAGE)
    assert run_of(fast_core, summary["run_id"]).status == "succeeded"
    rows = snapshot(fast_core)
    assert rows[big]["duration"] == 2**31 + 7
    assert rows[bigger]["duration"] == 2**40
    for key in (infinite, nan):
        assert rows[key]["duration"] is None
    assert rows[words]["duration"] is None and rows[words]["year"] is None
    # Values no column can hold: stored without them, or the album is skipped and counted.
    odd = [k for k in (huge, big_year) if k not in rows]
    assert summary["skipped"] == len(odd), (summary, odd)
    if huge in rows:
        assert rows[huge]["duration"] in (None, 2**64 + 1)
    if big_year in rows:
        assert rows[big_year]["year"] in (None, 3_000_000_000)
    assert len(rows) == ITEMS + 7 - len(odd)


UNICODE_TITLES = [
    "Die Verwandlung \u2013 Kafka 🐞📚",  # an en dash
    "数学ガール\uff0fフェルマーの最終定理",  # a full-width solidus
    "كتاب الرمل",
    "Ca\u0301mara Lu\u0301cida",  # combining accents
    "Family 👨\u200d👩\u200d👧 Trip",  # zero-width joiners
    "Zalgo T̸̡͓̓h̷̛̝e̶̦͐ ̴̱͝B̵̻̿o̷͍͂o̵̰̕k̴̢̈",
    "\U0001d4d7\U0001d4ee\U0001d4f5\U0001d4f5\U0001d4f8 (Mathematical Script)",
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unicode_emoji_and_huge_fields_are_stored_verbatim(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, fmt: str
) -> None:
    fake = _start(fake_plex_factory, fast_core, xml=fmt == "xml")
    keys = {title: fake.add_album(title, "Ünïcødé Äuthor 🦉", added_at=NEWER) for title in UNICODE_TITLES}
    summary_text = ("Ein sehr langer Klappentext. 🚀 " * 400)[:10_000]
    long_summary = fake.add_album("A Book With A Long Blurb", "Bea Blurb", added_at=NEWER, summary=summary_text)
    long_title = fake.add_album("T" * 3000, "Tom Title", added_at=NEWER)

    summary = run_scan(fast_core, "full", page_size=PAGE)
    assert run_of(fast_core, summary["run_id"]).status == "succeeded"
    rows = snapshot(fast_core)
    for title, key in keys.items():
        assert rows[key]["title"] == title and rows[key]["author"] == "Ünïcødé Äuthor 🦉"
    assert rows[long_summary]["summary"] == summary_text and len(summary_text) == 10_000
    # A 3,000-character title is wider than the column: stored whole, or skipped and counted.
    if long_title in rows:
        assert rows[long_title]["title"] == "T" * 3000
        assert summary["skipped"] == 0
    else:
        assert summary["skipped"] == 1
        assert summary["removed"] == 0


def test_a_nul_character_in_a_json_title_is_stored_or_skipped_with_a_count(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    # JSON may carry \u0000; PostgreSQL text cannot. XML cannot carry it at all.
    fake = _start(fake_plex_factory, fast_core)
    nul = fake.add_album("Before\x00After", "Nils Null", added_at=NEWER)
    fine = fake.add_album("A Perfectly Ordinary Book", "Olga Ordinary", added_at=NEWER)
    summary = run_scan(fast_core, "full", page_size=PAGE)
    assert run_of(fast_core, summary["run_id"]).status == "succeeded"
    rows = snapshot(fast_core)
    assert fine in rows
    if nul in rows:
        assert rows[nul]["title"] == "Before\x00After" and summary["skipped"] == 0
    else:
        assert summary["skipped"] == 1 and summary["removed"] == 0


def test_odd_guid_children_and_non_object_items_are_tolerated() -> None:
    container = parse_container(
        b'{"MediaContainer":{"size":6,"Metadata":['
        b'"junk",5,null,[],'
        b'{"ratingKey":"1","title":"Fine","Guid":"not-a-list"},'
        b'{"ratingKey":"2","title":"Odd Guids","Guid":[{"id":null},"audible://B0ABCDEFGH",7,{"id":{"x":1}}]}'
        b"]}}",
        "application/json",
    )
    albums, skipped = albums_from_container(container)
    assert [a.title for a in albums] == ["Fine", "Odd Guids"]
    assert skipped == 4
    assert albums[1].asin == "B0ABCDEFGH"


def test_the_recently_added_poll_survives_bad_items(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    fake = _start(fake_plex_factory, fast_core)
    good = [fake.add_album(f"Good Arrival {n}", "Gita Good", added_at=NEWER + n) for n in range(3)]
    untitled = fake.add_album("placeholder", "Ursula Untitled", added_at=NEWER + 10)
    _untitle(fake, untitled)
    nan = fake.add_album("Another NaN", "Nan Author", added_at=NEWER + 11, duration=math.nan)
    huge = fake.add_album("Another Huge One", "Hugo Huge", added_at=NEWER + 12, duration=2**64 + 1)
    dup = fake.add_album("Duplicate Arrival", "Dora Dup", added_at=NEWER + 13, ratingKey=good[0])

    summary = run_scan(fast_core, "recent")
    assert run_of(fast_core, summary["run_id"]).status == "succeeded"
    rows = snapshot(fast_core)
    assert all(key in rows for key in good[1:]) and nan in rows
    assert rows[nan]["duration"] is None
    assert untitled not in rows and dup not in rows
    assert summary["skipped"] == 1 + (huge not in rows), summary
    keys = library_keys(fast_core)
    assert len(keys) == len(set(keys))
    # The next poll still works and finds what arrives later.
    later = fake.add_album("Later Arrival", "Lars Later", added_at=NEWER + 100)
    assert run_scan(fast_core, "recent")["new"] == 1 and later in snapshot(fast_core)
