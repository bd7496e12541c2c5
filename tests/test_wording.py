"""The words people read: capitals, full stops, no key names, advice that fits where the reader is."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin.cli import main
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.web.wording import sentence

from .fakeplex_fixtures import fake_plex_factory  # noqa: F401
from .test_pages import app, html_of, plex  # noqa: F401 - the same fixtures as the page tests


def test_sentence_keeps_capitals_and_adds_a_full_stop() -> None:
    assert sentence("the Plex server URL must start with http://") == "The Plex server URL must start with http://."
    assert sentence("Done.") == "Done."
    assert sentence("") == ""


def test_a_bad_url_on_the_settings_form_says_plex_and_url(admin: FlaskClient) -> None:
    page = html_of(admin.post("/plexbooks/settings", data={"action": "save", "plex_url": "ftp://nas",
                                                           "plex_token": "t"}))
    assert "The Plex server URL must start with http:// or https://" in page
    assert "plex server url" not in page


def test_the_connection_test_never_shows_a_key_name(admin: FlaskClient) -> None:
    page = html_of(admin.post("/plexbooks/settings", data={"action": "test", "plex_url": "ftp://nas",
                                                           "plex_token": "t"}))
    assert "Connection failed." in page and "The Plex server URL must start with" in page
    assert "plex_url" not in page.split("Connection failed.", 1)[1].split("</div>", 1)[0]
    body = admin.post("/plexbooks/api/test-connection", json={"url": "ftp://nas", "token": "t"}).get_json()
    assert body["message"].startswith("The Plex server URL must start with http://")
    assert "plex_url" not in body["message"]


def test_a_refused_token_on_the_settings_page_says_what_to_do_there(admin: FlaskClient, plex: FakePlex) -> None:  # noqa: F811
    page = html_of(admin.post("/plexbooks/settings", data={"action": "test", "plex_url": plex.url,
                                                           "plex_token": "bad-token"}))
    assert f"Plex at {plex.url} refused the token. Paste a new token, or use Sign in with Plex" in page
    assert "on the Settings page" not in page and "in Settings" not in page
    # The page's script tests through the API: its answer carries the same words.
    body = admin.post("/plexbooks/api/test-connection", json={"url": plex.url, "token": "bad-token"}).get_json()
    assert body["error"] == "plex_unauthorized" and "Settings page" not in body["message"]
    assert body["message"].endswith("Paste a new token, or use Sign in with Plex, and test again.")


def test_an_unreachable_server_ends_with_a_full_stop(admin: FlaskClient) -> None:
    page = html_of(admin.post("/plexbooks/settings", data={"action": "test", "plex_url": "http://127.0.0.1:9",
                                                           "plex_token": "t"}))
    assert "Check the server URL and that Plex is running." in page


def test_a_refused_token_in_the_cli_says_what_to_do_in_a_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plex: FakePlex,  # noqa: F811
) -> None:
    monkeypatch.setenv("PLEXBOOKS_SECRET_KEY", "cli-test-secret")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    for key, value in (("plex_url", plex.url), ("plex_token", "wrong-token"), ("library_id", "1")):
        assert runner.invoke(main, ["config", "set", key, value, "--database-url", url]).exit_code == 0
    result = runner.invoke(main, ["scan", "--database-url", url])
    assert result.exit_code != 0
    assert "refused the token. Set a new token with `plexbooks config set plex_token TOKEN`" in result.output
    assert "Settings page." in result.output and "Traceback" not in result.output


def test_the_api_403_speaks_of_endpoints_not_pages(user: FlaskClient) -> None:
    body = user.post("/plexbooks/api/scan", json={"kind": "full"}).get_json()
    assert body["error"] == "forbidden"
    assert "page" not in body["message"] and body["message"].startswith("Only an admin may call this endpoint")
    assert "This page needs the Plex server owner" in html_of(user.get("/plexbooks/scan"))


def test_409_messages_are_sentences(admin: FlaskClient) -> None:
    response = admin.post("/plexbooks/api/scan/confirm-removal", json={})
    assert response.status_code == 409
    assert response.get_json()["message"] == "No removal is waiting for confirmation."


def test_saved_and_not_saved_sit_in_the_same_place(admin: FlaskClient, plex: FakePlex) -> None:  # noqa: F811
    form = {"action": "save", "plex_url": plex.url, "plex_token": plex.token, "library_id": plex.music_section_id,
            "full_scan_hours": "12", "recent_scan_minutes": "0"}
    saved = html_of(admin.post("/plexbooks/settings", data=form, follow_redirects=True))
    refused = html_of(admin.post("/plexbooks/settings", data={"action": "save", "plex_url": "",
                                                              "plex_token": "t"}))
    for page, words in ((saved, "Settings saved."), (refused, "Nothing was saved.")):
        assert page.index("<h1>Settings</h1>") < page.index(words), words


# ---------------------------------------------------------------- the library page (issue 17)


def _library(app: Flask) -> None:  # noqa: F811
    from .viewkit import add_books, book

    add_books(app, [
        book("1", "The Hobbit", "J. R. R. Tolkien"), book("2", "Dune", "Frank Herbert"),
        book("3", "The Martian", "Andy Weir"), book("4", "Project Hail Mary", "Andy Weir"),
    ])


def test_searching_a_stop_word_says_it_is_too_broad(app: Flask, user: FlaskClient) -> None:  # noqa: F811
    _library(app)
    page = html_of(user.get("/plexbooks/library?q=the"))
    assert "is too broad to search for" in page and "nearly all 4 books" in page
    assert 'class="pb-book"' not in page
    # The API no longer lists every book for "the" either: only authors that contain it.
    assert user.get("/plexbooks/api/library?q=the").get_json()["total"] == 0
    hobbit = html_of(user.get("/plexbooks/library?q=the+hobbit"))
    assert "1 of 4 books match" in hobbit and "The Hobbit" in hobbit


def test_every_book_opens_in_plex_and_no_rating_key_is_shown(app: Flask, user: FlaskClient) -> None:  # noqa: F811
    from .viewkit import app_core

    _library(app)
    app_core(app).set_setting("plex_machine_identifier", "abc123")
    page = html_of(user.get("/plexbooks/library"))
    assert page.count("data-pb-open-in-plex") == 4
    assert ('href="https://app.plex.tv/desktop/#!/server/abc123/details?key=%2Flibrary%2Fmetadata%2F2"'
            in page)
    assert "rating key" not in page.lower()


def test_the_pager_shows_previous_and_next_around_the_count(app: Flask, user: FlaskClient) -> None:  # noqa: F811
    from .viewkit import add_books, book

    add_books(app, [book(str(i), f"Book {i:03d}", "Some Author") for i in range(1, 30)])
    page = html_of(user.get("/plexbooks/library?page=2"))
    pager = page.split('<nav class="pb-pager"', 1)[1].split("</nav>", 1)[0]
    assert pager.index("Previous") < pager.index("pb-pager__where") < pager.index("Next")


# ---------------------------------------------------------------- demo covers (issue 17)


def test_demo_covers_carry_the_title_and_author() -> None:
    import struct
    import zlib

    from plexbooks_plugin.fakeplex.covers import book_cover_png, wrap

    dune = book_cover_png(1, "Dune", "Frank Herbert")
    assert dune[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", dune[16:24]) == (240, 240)
    assert dune != book_cover_png(1, "Emma", "Frank Herbert")  # the title is drawn, not only a colour
    idat = dune[dune.index(b"IDAT") + 4:dune.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    rows = [raw[r * 721 + 1:(r + 1) * 721] for r in range(240)]  # each row: a filter byte, 240 RGB pixels
    colours = {row[i:i + 3] for row in rows for i in range(0, 720, 3)}
    assert len(colours) >= 4  # background, spine, its edge, and the lettering
    assert wrap("A B C", 3, 5) == ["A B", "C"]
    assert wrap("ONE TWO THREE FOUR", 9, 2) == ["ONE TWO", "THREE..."]


# ---------------------------------------------------------------- command-line help (issue 17)


def test_fake_plex_and_demo_ports_are_explained() -> None:
    runner = CliRunner()
    fake = runner.invoke(main, ["fake-plex", "--help"]).output
    assert "Port the fake Plex listens on" in fake
    demo = runner.invoke(main, ["demo", "--help"]).output
    assert "--plex-port" in demo and "Port of the demo's fake Plex server" in demo


def test_the_readme_documents_the_api_and_the_cli() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "GET `/api/requests?status=&limit=`" in readme and "POST `/api/test-connection`" in readme
    assert "plexbooks config list" in readme and "--plex-port" in readme
    assert "*plexowner (owner)*" in readme and "Sign in as owner" not in readme
    assert "axe-core" in readme.split("## Dependencies", 1)[1]


def test_the_run_names_its_database() -> None:
    from .conftest import database_header

    assert database_header(None).startswith("plexbooks: testing on SQLite")
    line = database_header("postgresql+psycopg://postgres:secret@127.0.0.1:5432/test")
    assert "PostgreSQL" in line and "secret" not in line
