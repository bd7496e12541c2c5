"""`path_map`: the download hook maps host paths to Plex paths, and falls back to a section refresh with a warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.errors import ConfigError
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.hooks import on_download_organized
from plexbooks_plugin.services.paths import map_path, only_ignored_files, plan_refresh, suggest_mapping
from plexbooks_plugin.settings import parse_path_map

from .fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from .viewkit import app_core, build_app, sign_in_as

fake = module_fake_plex(items=10, seed=4, second_audiobooks=3)
_reset = reset_fake_plex_between_tests("fake")

HOST_BOOK = "/downloads/books/Ursula K. Le Guin/The Dispossessed"


def configure(core: PlexBooksCore, fake: FakePlex, libraries: str = "4,5") -> PlexBooksCore:
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("library_ids", libraries)
    return core


def organize(core: PlexBooksCore, path: str) -> dict[str, object]:
    return on_download_organized(request_id="r1", title="The Dispossessed", author="Le Guin", path=path, core=core)


def test_a_mapped_path_refreshes_exactly_the_mapped_folder(core: PlexBooksCore, fake: FakePlex) -> None:
    configure(core, fake)
    core.set_setting("path_map", "/downloads/books=/data/audiobooks; /downloads/kids=/data/kids-audiobooks")
    result = organize(core, HOST_BOOK + "/01.m4b")
    mapped = "/data/audiobooks/Ursula K. Le Guin/The Dispossessed"
    assert fake.refresh_calls == [("4", mapped)]
    assert (result["refresh"], result["refresh_scope"], result["refresh_path"]) == ("requested", "folder", mapped)
    assert "path_warning" not in result
    organize(core, "/downloads/kids/Julia Donaldson/The Gruffalo")
    assert fake.refresh_calls[-1] == ("5", "/data/kids-audiobooks/Julia Donaldson/The Gruffalo")


def test_an_unmappable_path_refreshes_its_section_and_warns(
    core: PlexBooksCore, fake: FakePlex, caplog: pytest.LogCaptureFixture
) -> None:
    configure(core, fake)
    with caplog.at_level(logging.WARNING, logger="plexbooks_plugin.hooks"):
        result = organize(core, "/downloads/kids-audiobooks/Julia Donaldson/The Gruffalo")
    # The folder name it shares with library 5's folder says which library to scan.
    assert fake.refresh_calls == [("5", None)]
    assert (result["refresh_scope"], result["refresh_sections"]) == ("section", ["5"])
    assert "whole library 5" in str(result["path_warning"])
    assert result["suggested_path_map"] == "/downloads/kids-audiobooks=/data/kids-audiobooks"
    assert "suggested path_map: /downloads/kids-audiobooks=/data/kids-audiobooks" in caplog.text
    fake.clear_log()
    fake.refresh_calls.clear()
    result = organize(core, HOST_BOOK)  # nothing says which library: both are scanned
    assert sorted(fake.refresh_calls) == [("4", None), ("5", None)]
    assert result["refresh_sections"] == ["4", "5"]


def test_one_library_unmapped_refreshes_that_library(core: PlexBooksCore, fake: FakePlex) -> None:
    configure(core, fake, libraries="4")
    result = organize(core, HOST_BOOK)
    assert fake.refresh_calls == [("4", None)] and result["refresh_scope"] == "section"
    assert result["suggested_path_map"] == "/downloads/books=/data/audiobooks"


def test_the_settings_page_warns_with_the_suggested_mapping(
    database_url: str, tmp_path: Path, fake: FakePlex
) -> None:
    app: Flask = build_app(database_url, tmp_path / "instance")
    core = configure(app_core(app), fake, libraries="4")
    organize(core, HOST_BOOK)
    admin: FlaskClient = app.test_client()
    sign_in_as(admin, app, "admin", "olivia")
    page = admin.get("/plexbooks/settings").get_data(as_text=True)
    assert "Plex does not see the last imported folder." in page
    assert '<code data-pb-suggested-map>/downloads/books=/data/audiobooks</code>' in page
    form = {"plex_url": fake.url, "library_ids": "4", "full_scan_hours": "6", "recent_scan_minutes": "5",
            "path_map": "/downloads/books=/data/audiobooks", "refresh_after_import": "on", "action": "save"}
    assert admin.post("/plexbooks/settings", data=form).status_code == 302
    assert organize(core, HOST_BOOK)["refresh_scope"] == "folder"  # mapped now: the warning goes away
    assert "Plex does not see" not in admin.get("/plexbooks/settings").get_data(as_text=True)
    refused = admin.post("/plexbooks/settings", data={**form, "path_map": "downloads=/data"})
    assert refused.status_code == 400 and "absolute paths" in refused.get_data(as_text=True)


def test_a_folder_of_only_files_plex_ignores_is_reported(
    core: PlexBooksCore, fake: FakePlex, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    configure(core, fake)
    book = tmp_path / "Author" / "Video Book"
    book.mkdir(parents=True)
    (book / "part1.mp4").write_bytes(b"x")
    (book / "cover.jpg").write_bytes(b"x")
    with caplog.at_level(logging.WARNING, logger="plexbooks_plugin.hooks"):
        result = organize(core, str(book))
    assert result["ignored_files"] == ["part1.mp4"]
    assert "Plex music libraries ignore these files (part1.mp4)" in str(result["files_warning"])
    assert "only files Plex music libraries ignore" in caplog.text
    (book / "part1.m4b").write_bytes(b"x")
    assert "ignored_files" not in organize(core, str(book))


# ------------------------------------------------------------------------------ the pure parts


def test_path_map_parsing() -> None:
    assert parse_path_map("/a=/b; /a/c=/d ;") == [("/a/c", "/d"), ("/a", "/b")]
    assert parse_path_map("/downloads/=/data/") == [("/downloads", "/data")]
    assert parse_path_map(r"D:\Books=/data/audiobooks") == [(r"D:\Books", "/data/audiobooks")]
    for bad in ("/a", "/a=", "=/b", "a=/b", "/a=/b=/c", "/a=/b;/a=/c"):
        with pytest.raises(ConfigError):
            parse_path_map(bad)


def test_config_refuses_a_malformed_path_map(core: PlexBooksCore) -> None:
    with pytest.raises(ConfigError, match="HOST_PREFIX=PLEX_PREFIX"):
        core.set_setting("path_map", "/downloads/books")
    core.set_setting("path_map", " /downloads/books=/data/audiobooks ;")


def test_map_path() -> None:
    pairs = parse_path_map("/downloads=/data;/downloads/books=/data/audiobooks")
    assert map_path("/downloads/books/A/B", pairs) == "/data/audiobooks/A/B"  # the longest prefix wins
    assert map_path("/downloads/other", pairs) == "/data/other"
    assert map_path("/downloadsX/a", pairs) == "/downloadsX/a"  # whole folder names only
    assert map_path("/downloads", pairs) == "/data"
    assert map_path(r"D:\Books\A\B", parse_path_map(r"D:\Books=/data/audiobooks")) == "/data/audiobooks/A/B"
    assert map_path("/srv/a/b", parse_path_map(r"/srv=C:\Audio")) == r"C:\Audio\a\b"


def test_plan_and_suggestion() -> None:
    locations = {"4": ["/data/audiobooks"], "5": ["/data/kids", "/mnt/disk2/kids"]}
    assert plan_refresh("/mnt/disk2/kids/A/B", locations, ["4", "5"]).sections == ("5",)
    assert plan_refresh("/elsewhere/A/B", {"4": []}, ["4"]).scope == "folder"  # no folders listed: trust it
    suggested = suggest_mapping("/downloads/Audio Books/A/B", ["/data/audio books"])
    assert suggested == "/downloads/Audio Books=/data/audio books"
    assert suggest_mapping("/x/A/B", ["/data/audiobooks"]) == "/x=/data/audiobooks"
    assert suggest_mapping("/A/B", ["/data"]) is None
    assert only_ignored_files(["a.mp4", "b.M4V", "c.jpg"]) == ["a.mp4", "b.M4V"]
    assert only_ignored_files(["a.mp4", "b.mp3"]) == [] and only_ignored_files(["c.jpg"]) == []


def test_a_hook_survives_a_failing_path_warning_record(
    core: PlexBooksCore, fake: FakePlex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hooks arriving together race to insert the warning row (PostgreSQL: a unique violation).
    configure(core, fake, libraries="4")
    from plexbooks_plugin.services import libraries

    def collide(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("duplicate key value violates unique constraint")

    monkeypatch.setattr(libraries.repo, "set_json_setting", collide)
    result = organize(core, HOST_BOOK)
    assert result["status"] == "downloaded" and result["refresh_scope"] == "section" and "error" not in result
