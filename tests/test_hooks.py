"""The host-facing hooks: thin, idempotent, and they never raise into the host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plexbooks_plugin import hooks
from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.hooks import on_catalog_refreshed, on_download_organized, on_request_status, refresh_folder
from plexbooks_plugin.models import BookRequest
from plexbooks_plugin.scanning import run_scan

from .conftest import make_app

pytest_plugins = ["tests.fakeplex_fixtures"]

FOLDER = "/data/audiobooks/Ottoline Marsh/The Lantern Keeper's Daughter"


@pytest.fixture(autouse=True)
def no_default_core() -> Iterator[None]:
    """Each test starts without a remembered core and leaves none behind."""
    hooks.set_default_core(None)
    yield
    hooks.set_default_core(None)


def organize(core: PlexBooksCore | None, path: str = FOLDER, request_id: str = "host-1") -> dict[str, object]:
    return on_download_organized(
        request_id=request_id, title="The Lantern Keeper's Daughter", author="Ottoline Marsh", path=path,
        asin="B00TESTASN", core=core,
    )


def tracked(core: PlexBooksCore, request_id: str = "host-1") -> BookRequest | None:
    with core.session() as session:
        return repo.get_request(session, request_id)


def test_download_organized_marks_downloaded_and_refreshes_that_folder(
    plex_core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    result = organize(plex_core, path=FOLDER + "/01 - Opening.m4b")
    assert result == {
        "request_id": "host-1", "status": "downloaded", "created": True, "refresh": "requested",
        "refresh_path": FOLDER, "refresh_scope": "folder", "refresh_sections": [str(fake_plex.music_section_id)],
    }
    request = tracked(plex_core)
    assert request is not None and request.status == "downloaded" and request.asin == "B00TESTASN"
    assert request.downloaded_path == FOLDER + "/01 - Opening.m4b"
    assert fake_plex.refresh_calls == [(str(fake_plex.music_section_id), FOLDER)]


def test_download_organized_is_idempotent(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    first = organize(plex_core)
    second = organize(plex_core)
    assert first["created"] is True and second["created"] is False
    assert second["status"] == "downloaded"
    with plex_core.session() as session:
        assert len(repo.list_requests(session)) == 1
    assert [path for _section, path in fake_plex.refresh_calls] == [FOLDER, FOLDER]


def test_download_organized_never_matches_immediately(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    fake_plex.add_album("The Lantern Keeper's Daughter", "Ottoline Marsh", added_at=1_760_000_000)
    run_scan(plex_core, "full")  # the book is even mirrored already
    assert organize(plex_core)["status"] == "downloaded"
    request = tracked(plex_core)
    assert request is not None and request.status == "downloaded"  # the next scan flips it, not the hook


def test_refresh_setting_off_skips_the_refresh(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    plex_core.set_setting("refresh_after_import", "false")
    result = organize(plex_core)
    assert result["status"] == "downloaded" and result["refresh"] == "skipped"
    assert fake_plex.refresh_calls == []


def test_plex_down_still_marks_downloaded_and_reports_the_error(
    plex_core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    fake_plex.stop()
    result = organize(plex_core)
    assert result["status"] == "downloaded" and "error" not in result
    assert str(result["refresh"]).startswith("failed: ") and result["refresh_error"]
    assert fake_plex.token not in str(result)
    request = tracked(plex_core)
    assert request is not None and request.status == "downloaded"


def test_unconfigured_plex_skips_the_refresh(core: PlexBooksCore) -> None:
    result = organize(core)
    assert result["status"] == "downloaded" and result["refresh"] == "skipped"


def test_hooks_never_raise_without_a_core() -> None:
    result = organize(None)
    assert result["request_id"] == "host-1" and "not initialised" in str(result["error"])
    assert "error" in on_request_status(request_id="x", status="pending")
    assert "error" in on_catalog_refreshed(items=[])


def test_core_found_from_the_flask_app_and_the_default(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path)
    with app.app_context():
        assert organize(None)["status"] == "downloaded"
    # Outside any app context the core the extension initialised last is used.
    assert organize(None, request_id="host-2")["status"] == "downloaded"
    core = app.extensions["plexbooks"].core
    assert tracked(core, "host-1") is not None and tracked(core, "host-2") is not None


def test_request_status_updates_and_available_stays(core: PlexBooksCore) -> None:
    with core.session() as session:
        repo.create_request(session, title="T", author="A", host_request_id="h-9")
    assert on_request_status(request_id="h-9", status="downloading", core=core) == {
        "request_id": "h-9", "status": "downloading"
    }
    assert "unknown request status" in str(on_request_status(request_id="h-9", status="bogus", core=core)["error"])
    with core.session() as session:
        request = repo.get_request(session, "h-9")
        assert request is not None
        request.status = "available"
    assert on_request_status(request_id="h-9", status="searching", core=core)["status"] == "available"
    assert "not tracked" in str(on_request_status(request_id="nope", status="pending", core=core)["error"])


@pytest.mark.parametrize(
    ("path", "folder"),
    [
        ("/books/A/Title/track 01.mp3", "/books/A/Title"),
        ("/books/A/Title.m4b", "/books/A"),
        ("/books/A/Title/", "/books/A/Title"),
        ("/books/A/Vol. 1.5", "/books/A/Vol. 1.5"),  # a dotted folder name is still a folder
        ("D:\\Books\\A\\Title\\book.m4b", "D:\\Books\\A\\Title"),
        ("", None),
        (None, None),
    ],
)
def test_refresh_folder(path: str | None, folder: str | None) -> None:
    assert refresh_folder(path) == folder


def test_refresh_folder_uses_the_filesystem_when_it_can(tmp_path: Path) -> None:
    book = tmp_path / "Some.Book"
    book.mkdir()
    assert refresh_folder(str(book)) == str(book)
    (book / "part").write_text("x")
    assert refresh_folder(str(book / "part")) == str(book)


def test_missing_fields_are_answered_not_raised(core: PlexBooksCore) -> None:
    assert on_download_organized(request_id=None, title="T", author=None, path=None, core=core) == {
        "request_id": None, "error": "request_id is required"
    }
    result = on_download_organized(request_id="h-new", title=None, author=None, path=None, core=core)
    assert "title is required" in str(result["error"])
    # A request plexbooks already tracks needs no title.
    organize(core, request_id="h-known")
    result = on_download_organized(request_id="h-known", title=None, author=None, path=None, core=core)
    assert result["status"] == "downloaded" and result["created"] is False
