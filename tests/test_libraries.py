"""Several audiobook libraries (`library_ids`) against the emulator: scans, polls, removal, validation, listings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin import hooks
from plexbooks_plugin import store as repo
from plexbooks_plugin.cli import main
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import Setting
from plexbooks_plugin.records import PlexSection
from plexbooks_plugin.scanning import confirm_pending_removal, pending_removal, run_scan
from plexbooks_plugin.services.libraries import audiobook_hint, long_tracks, save_library_ids

from .fakeplex_fixtures import (  # noqa: F401 (fixtures)
    FakePlexFactory,
    fake_plex_factory,
    module_fake_plex,
    reset_fake_plex_between_tests,
)
from .test_cli import runner  # noqa: F401 (the CLI tests' fixture)
from .viewkit import app_core, build_app

fake = module_fake_plex(items=30, seed=4, second_audiobooks=12)
_reset = reset_fake_plex_between_tests("fake")


@pytest.fixture
def two(core: PlexBooksCore, fake: FakePlex) -> PlexBooksCore:
    """The test core configured for both audiobook libraries of the emulator."""
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("library_ids", f"{fake.music_section_id},{fake.second_audiobook_section_id}")
    return core


def sections_of(core: PlexBooksCore) -> dict[str, str]:
    """Each mirrored rating key's section id."""
    with core.session() as session:
        return {row.rating_key: row.section_id for row in repo.iter_library(session)}


@pytest.fixture
def added(fake: FakePlex) -> Iterator[list[str]]:
    """Rating keys a test adds to the shared emulator, removed again afterwards."""
    keys: list[str] = []
    yield keys
    for key in keys:
        fake.remove_album(key)


def mirror_small_second_library(core: PlexBooksCore, factory: FakePlexFactory) -> FakePlex:
    """An emulator of its own (30 books in library 4, only 4 in library 5), both selected and mirrored."""
    own = factory(items=30, seed=4, second_audiobooks=4)
    core.set_setting("plex_url", own.url)
    core.set_setting("plex_token", own.token)
    core.set_setting("library_ids", "4,5")
    run_scan(core, "full")
    return own


# ------------------------------------------------------------------------------ scanning


def test_one_full_scan_mirrors_both_libraries_with_their_section_ids(two: PlexBooksCore, fake: FakePlex) -> None:
    summary = run_scan(two, "full")
    assert summary["total"] == 30 + 12 and summary["new"] == 42 and summary["warning"] is None
    expected = {str(a.rating_key): "4" for a in fake.albums()} | {str(a.rating_key): "5" for a in fake.albums(5)}
    assert sections_of(two) == expected
    run = run_scan(two, "full")  # nothing changed: nothing new, nothing removed
    assert (run["new"], run["updated"], run["removed"]) == (0, 0, 0)


def test_the_recent_poll_covers_every_selected_library(
    two: PlexBooksCore, fake: FakePlex, added: list[str]
) -> None:
    run_scan(two, "full")
    run_scan(two, "recent")  # sets each library's watermark
    added.append(fake.add_album("The Gruffalo", "Julia Donaldson", section_id=fake.second_audiobook_section_id))
    added.append(fake.add_album("Adult Book", "Some Author"))
    summary = run_scan(two, "recent")
    assert summary["new"] == 2
    assert {sections_of(two)[key] for key in added} == {"4", "5"}
    assert two.get_setting("recent_watermark").count(":") == 2  # one watermark per library


def test_a_downloaded_request_is_matched_by_a_book_of_the_second_library(
    two: PlexBooksCore, fake: FakePlex, added: list[str]
) -> None:
    two.set_setting("refresh_after_import", "false")
    run_scan(two, "full")
    run_scan(two, "recent")
    result = hooks.on_download_organized(
        request_id="kid-1", title="Room on the Broom", author="Julia Donaldson",
        path="/data/kids-audiobooks/Julia Donaldson/Room on the Broom", core=two,
    )
    assert result["status"] == "downloaded"
    added.append(fake.add_album("Room on the Broom", "Julia Donaldson", section_id=fake.second_audiobook_section_id))
    run_scan(two, "recent")
    with two.session() as session:
        request = repo.get_request(session, "kid-1")
        assert request is not None
        assert (request.status, request.plex_rating_key) == ("available", added[0])
        assert repo.get_library_item(session, added[0]).section_id == "5"  # type: ignore[union-attr]


def test_deselecting_a_library_removes_nothing_until_an_admin_confirms(two: PlexBooksCore, fake: FakePlex) -> None:
    run_scan(two, "full")
    two.set_setting("library_ids", fake.music_section_id)
    summary = run_scan(two, "full")
    assert summary["removed"] == 0 and "12 albums belong to libraries no longer selected (5)" in summary["warning"]
    assert sorted(set(sections_of(two).values())) == ["4", "5"]
    pending = pending_removal(two)
    assert pending is not None and pending["count"] == 12 and pending["sections"]["5"]["deselected"]
    assert run_scan(two, "full")["removed"] == 0  # another scan still asks
    assert confirm_pending_removal(two) == 12
    assert set(sections_of(two).values()) == {"4"} and len(sections_of(two)) == 30
    assert pending_removal(two) is None


def test_reselecting_before_the_confirmation_keeps_the_library(two: PlexBooksCore, fake: FakePlex) -> None:
    run_scan(two, "full")
    two.set_setting("library_ids", fake.music_section_id)
    run_scan(two, "full")
    two.set_setting("library_ids", f"{fake.music_section_id},{fake.second_audiobook_section_id}")
    assert confirm_pending_removal(two) == 0
    assert len(sections_of(two)) == 42


def test_removal_safety_is_judged_per_library(
    core: PlexBooksCore, fake_plex_factory: FakePlexFactory  # noqa: F811
) -> None:
    own = mirror_small_second_library(core, fake_plex_factory)
    kids = [str(a.rating_key) for a in own.albums(5)]
    own.remove_album(kids[0])
    summary = run_scan(core, "full")
    # One of 4 in library 5 is gone: removed at once (library 4's 30 books do not dilute the judgement).
    assert summary["removed"] == 1 and summary["warning"] is None
    for key in kids[1:3]:
        own.remove_album(key)
    summary = run_scan(core, "full")
    # Two of the 3 left in library 5: more than half of that library, held back although 2 of 33 overall.
    assert summary["removed"] == 0 and summary["warning"].startswith("library 5: 2 of 3 albums are gone")
    assert pending_removal(core)["sections"]["5"]["count"] == 2  # type: ignore[index]
    assert sum(1 for s in sections_of(core).values() if s == "4") == 30  # library 4 untouched
    assert confirm_pending_removal(core) == 2
    assert [k for k, s in sections_of(core).items() if s == "5"] == [kids[3]]


def test_a_held_back_removal_keeps_the_keys_of_its_own_library(
    core: PlexBooksCore, fake_plex_factory: FakePlexFactory  # noqa: F811
) -> None:
    own = mirror_small_second_library(core, fake_plex_factory)
    kids = [str(a.rating_key) for a in own.albums(5)]
    for key in kids[:3]:
        own.remove_album(key)
    run_scan(core, "full")
    with core.session() as session:
        held = repo.get_json_setting(session, "pending_removal_keys")
    assert isinstance(held, dict) and set(held) == {"5"} and sorted(held["5"]) == sorted(kids[:3])
    # Another scan still holds it back; the confirmation removes exactly the held keys of library 5.
    assert run_scan(core, "full")["removed"] == 0
    assert confirm_pending_removal(core) == 3
    assert [k for k, s in sections_of(core).items() if s == "5"] == [kids[3]]
    assert sum(1 for s in sections_of(core).values() if s == "4") == 30
    with core.session() as session:
        assert repo.get_json_setting(session, "pending_removal_keys") is None


def test_a_missing_album_of_the_second_library_goes_only_after_plex_answers_404(
    core: PlexBooksCore, fake_plex_factory: FakePlexFactory  # noqa: F811
) -> None:
    own = mirror_small_second_library(core, fake_plex_factory)
    key = str(own.albums(5)[0].rating_key)
    own.remove_album(key)
    own.set_fault(500, on_path=f"/library/metadata/{key}")
    summary = run_scan(core, "full")
    assert summary["removed"] == 0 and sections_of(core)[key] == "5"
    assert (summary["warning"] or "").startswith("library 5:") and "kept" in summary["warning"]
    own.clear_faults()
    summary = run_scan(core, "full")
    assert summary["removed"] == 1 and key not in sections_of(core)


def test_the_poll_sees_a_correction_in_either_library_from_its_own_watermarks(
    two: PlexBooksCore, fake: FakePlex
) -> None:
    run_scan(two, "full")
    run_scan(two, "recent")  # sets each library's watermarks
    kid = str(fake.albums(5)[0].rating_key)
    adult = str(fake.albums()[0].rating_key)
    fake.update_album(kid, title="A Corrected Kids Title")
    fake.update_album(adult, title="A Corrected Adult Title")
    summary = run_scan(two, "recent")
    assert summary["updated"] == 2 and summary["new"] == 0
    with two.session() as session:
        titles = {key: repo.get_library_item(session, key).title for key in (kid, adult)}  # type: ignore[union-attr]
        marks = repo.get_setting(session, "recent_updated_watermark") or ""
    assert titles == {kid: "A Corrected Kids Title", adult: "A Corrected Adult Title"}
    assert sorted(entry.split(":")[0] for entry in marks.split(",")) == ["4", "5"]  # one per library


# ------------------------------------------------------------------------------ the setting


def test_library_id_is_an_alias_of_library_ids(core: PlexBooksCore) -> None:
    core.set_setting("library_id", "5")
    assert core.get_setting("library_ids") == "5"
    core.set_setting("library_ids", "5, 7,5")
    assert core.get_setting("library_ids") == "5,7"
    assert core.get_setting("library_id") == "5"


def test_a_library_id_stored_by_an_older_version_still_counts(core: PlexBooksCore) -> None:
    with core.session() as session:
        session.add(Setting(key="library_id", value="4", is_secret=False))
    assert core.get_setting("library_ids") == "4" and core.library_sections() == ["4"]
    core.set_setting("library_ids", "4,5")
    with core.session() as session:
        assert session.get(Setting, "library_id") is None  # the old row does not linger
    assert core.get_setting("library_id") == "4"


@pytest.mark.parametrize("value", ["abc", "5,x", ",", "-1"])
def test_a_malformed_id_is_refused(core: PlexBooksCore, value: str) -> None:
    with pytest.raises(Exception, match="library"):
        core.set_setting("library_ids", value)


def test_an_id_that_is_not_a_music_library_is_refused(two: PlexBooksCore, fake: FakePlex) -> None:
    for value, words in (("1", "'Movies' is a movie library"), ("4,9", "no library section 9")):
        with pytest.raises(Exception, match=words):
            save_library_ids(two, "library_ids", value)
    assert two.get_setting("library_ids") == "4,5"  # unchanged
    assert save_library_ids(two, "library_id", fake.songs_section_id) is None  # music is music to Plex


def test_an_unreachable_plex_saves_with_a_warning(core: PlexBooksCore) -> None:
    core.set_setting("plex_url", "http://127.0.0.1:9")
    core.set_setting("plex_token", "t")
    warning = save_library_ids(core, "library_ids", "3,8")
    assert warning is not None and "not checked" in warning
    assert core.get_setting("library_ids") == "3,8"


# ------------------------------------------------------------------------------ CLI


def test_cli_refuses_a_movie_library_in_one_line(
    runner: CliRunner, database_url: str, fake: FakePlex  # noqa: F811
) -> None:
    for key, value in (("plex_url", fake.url), ("plex_token", fake.token)):
        assert runner.invoke(main, ["config", "set", key, value, "--database-url", database_url]).exit_code == 0
    refused = runner.invoke(main, ["config", "set", "library_id", "1", "--database-url", database_url])
    assert refused.exit_code == 2
    assert refused.output.strip() == (
        "plexbooks: error: library 1: 'Movies' is a movie library; audiobooks live in Music-type libraries"
    )
    ok = runner.invoke(main, ["config", "set", "library_ids", "4,5", "--database-url", database_url])
    assert ok.exit_code == 0 and ok.output.strip() == "library_ids = 4,5"
    first = runner.invoke(main, ["config", "get", "library_id", "--database-url", database_url])
    assert first.output.strip() == "4"


def test_cli_saves_unchecked_with_one_warning_line(runner: CliRunner, database_url: str) -> None:  # noqa: F811
    result = runner.invoke(main, ["config", "set", "library_id", "5", "--database-url", database_url])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("plexbooks: warning: no Plex server is configured yet") and lines[1:] == [
        "library_id = 5"
    ]


def test_library_list_filters_by_library(
    runner: CliRunner, database_url: str, two: PlexBooksCore  # noqa: F811
) -> None:
    run_scan(two, "full")
    result = runner.invoke(main, ["library", "list", "--json", "--library", "5", "--database-url", database_url])
    items = json.loads(result.output)
    assert len(items) == 12 and {i["section_id"] for i in items} == {"5"}
    bad = runner.invoke(main, ["library", "list", "--library", "kids", "--database-url", database_url])
    assert bad.exit_code == 2


# ------------------------------------------------------------------------------ web


@pytest.fixture
def app(database_url: str, tmp_path: Path, fake: FakePlex) -> Flask:
    flask_app = build_app(database_url, tmp_path / "instance")
    core = app_core(flask_app)
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("library_ids", "4,5")
    return flask_app


def test_api_libraries_says_which_are_selected_and_which_look_like_audiobooks(admin: FlaskClient) -> None:
    libraries = {lib["id"]: lib for lib in admin.get("/plexbooks/api/libraries").get_json()}
    assert set(libraries) == {"2", "4", "5"}
    assert {k: v["selected"] for k, v in libraries.items()} == {"2": False, "4": True, "5": True}
    assert {k: v["looks_like"] for k, v in libraries.items()} == {"2": "music", "4": "audiobooks", "5": "audiobooks"}
    assert libraries["5"]["locations"] == ["/data/kids-audiobooks", "/mnt/disk2/kids-audiobooks"]
    assert libraries["5"]["item_count"] == 12


def test_the_settings_form_saves_checked_libraries_and_refuses_a_movie_library(
    app: Flask, admin: FlaskClient, fake: FakePlex
) -> None:
    form = {"plex_url": fake.url, "full_scan_hours": "6", "recent_scan_minutes": "5", "action": "save"}
    refused = admin.post("/plexbooks/settings", data={**form, "library_ids": ["4", "1"]})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Nothing was saved." in page and "&#39;Movies&#39; is a movie library" in page
    assert admin.post("/plexbooks/settings", data={**form, "library_ids": ["5"]}).status_code == 302
    assert app_core(app).get_setting("library_ids") == "5"


def test_library_items_carry_their_section_and_the_page_names_the_library(
    app: Flask, admin: FlaskClient
) -> None:
    core = app_core(app)
    run_scan(core, "full")
    body = admin.get("/plexbooks/api/library?library=5&per_page=200").get_json()
    assert body["total"] == 12 and {i["section_id"] for i in body["items"]} == {"5"}
    assert admin.get("/plexbooks/api/library?library=kids").status_code == 400
    page = admin.get("/plexbooks/library?library=5").get_data(as_text=True)
    assert 'data-pb-book-library="5">Kids Audiobooks<' in page and 'data-pb-book-library="4"' not in page
    assert '<option value="5" selected>Kids Audiobooks</option>' in page


# ------------------------------------------------------------------------------ pure decisions


def test_the_audiobook_hint() -> None:
    section = PlexSection("9", "Stuff", "artist", agent="tv.plex.agents.music")
    assert audiobook_hint(PlexSection("9", "B", "artist", agent="com.plexapp.agents.audnexus")) == "audiobooks"
    assert audiobook_hint(section, long_tracks([40 * 60_000, 50 * 60_000, 3 * 60_000])) == "audiobooks"
    assert audiobook_hint(section, long_tracks([200_000] * 10)) == "music"
    assert audiobook_hint(section, long_tracks([])) == "music"
    assert audiobook_hint(PlexSection("9", "S", "artist", agent="com.plexapp.agents.none")) == "unknown"


def test_the_scan_page_says_a_held_removal_is_of_an_unchecked_library(app: Flask, admin: FlaskClient) -> None:
    core = app_core(app)
    run_scan(core, "full")
    core.set_setting("library_ids", "4")
    run_scan(core, "full")
    page = admin.get("/plexbooks/scan").get_data(as_text=True)
    assert "12 books belong to libraries that are no longer selected in Settings" in page
    assert "Remove 12 books" in page
