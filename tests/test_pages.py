"""The HTML pages: settings, scan panel, library browser, cover proxy, badge macro, host overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, render_template, render_template_string
from flask.testing import FlaskClient

from plexbooks_plugin import store as repo
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.state import get_state

from .conftest import make_app
from .fakeplex_fixtures import FakePlexFactory, configure_core, fake_plex_factory  # noqa: F401
from .viewkit import add_books, app_core, book, build_app, sign_in_as

SECRET_TOKEN = "s3cr3t-plex-token-never-shown"
HOSTILE = "<script>alert('pwned')</script>"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    """A host app with plexbooks, CSRF off."""
    return build_app(database_url, tmp_path / "instance")


@pytest.fixture
def plex(fake_plex_factory: FakePlexFactory) -> FakePlex:  # noqa: F811
    """A running Plex emulator with 40 books."""
    return fake_plex_factory(items=40)


def html_of(response: object) -> str:
    """The body of a page answer."""
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


# ---------------------------------------------------------------- who sees what


def test_anonymous_pages_redirect_to_the_plex_sign_in(app: Flask) -> None:
    client = app.test_client()
    for path in ("/plexbooks/library", "/plexbooks/settings", "/plexbooks/scan", "/plexbooks/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/plexbooks/login" in response.headers["Location"]


def test_users_cannot_open_admin_pages(user: FlaskClient) -> None:
    assert user.get("/plexbooks/settings").status_code == 403
    assert user.get("/plexbooks/scan").status_code == 403
    assert user.post("/plexbooks/settings", data={"action": "generate_key"}).status_code == 403
    page = html_of(user.get("/plexbooks/library"))
    assert ">Settings<" not in page and ">Scans<" not in page  # no links to pages they cannot open


def test_home_redirects_to_the_library(user: FlaskClient) -> None:
    response = user.get("/plexbooks/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/plexbooks/library")


# ---------------------------------------------------------------- settings


def test_settings_never_render_the_token(app: Flask, admin: FlaskClient) -> None:
    core = app_core(app)
    core.set_setting("plex_url", "http://192.168.1.10:32400")
    core.set_setting("plex_token", SECRET_TOKEN)
    core.set_setting("api_key", "host-key-also-secret")
    page = html_of(admin.get("/plexbooks/settings"))
    assert SECRET_TOKEN not in page and "host-key-also-secret" not in page
    assert "a token is stored" in page
    assert "a key is set" in page
    assert 'value="http://192.168.1.10:32400"' in page
    assert re.search(r'id="plex_token"[^>]*value=""', page)


def test_first_visit_welcomes_and_offers_sign_in(admin: FlaskClient) -> None:
    page = html_of(admin.get("/plexbooks/settings"))
    assert "Welcome!" in page
    assert "/plexbooks/login/settings-token" in page


@pytest.mark.parametrize(("field", "value", "message"), [
    ("plex_url", "ftp://nas.local", "http"),
    ("plex_url", "", "Enter the address"),
    ("full_scan_hours", "often", "number"),
    ("full_scan_hours", "0", "between"),
    ("recent_scan_minutes", "-5", "between"),
])
def test_settings_errors_show_next_to_the_field(
    app: Flask, admin: FlaskClient, field: str, value: str, message: str
) -> None:
    form = {"plex_url": "http://plex.local:32400", "plex_token": "t", "full_scan_hours": "6",
            "recent_scan_minutes": "5", "action": "save", field: value}
    response = admin.post("/plexbooks/settings", data=form)
    assert response.status_code == 400
    page = html_of(response)
    error = re.search(rf'<span class="pb-fielderror" id="{field}-error">([^<]*)</span>', page)
    assert error and message in error.group(1), page
    assert "Nothing was saved" in page
    assert app_core(app).get_setting("plex_url") is None  # all or nothing


def test_saving_without_any_token_asks_for_one(admin: FlaskClient) -> None:
    response = admin.post("/plexbooks/settings", data={"plex_url": "http://plex.local:32400", "action": "save",
                                                       "full_scan_hours": "6", "recent_scan_minutes": "5"})
    assert response.status_code == 400
    assert 'id="plex_token-error"' in html_of(response)


def test_saving_stores_everything_and_keeps_an_empty_token(app: Flask, admin: FlaskClient, plex: FakePlex) -> None:
    form = {"plex_url": plex.url + "/", "plex_token": plex.token, "library_id": plex.music_section_id,
            "full_scan_hours": "12", "recent_scan_minutes": "0", "action": "save"}
    response = admin.post("/plexbooks/settings", data=form)
    assert response.status_code == 302, html_of(response)
    core = app_core(app)
    assert core.get_setting("plex_url") == plex.url  # canonical: no trailing slash
    assert core.get_setting("plex_token") == plex.token
    assert core.get_setting("library_id") == plex.music_section_id
    assert core.get_setting("full_scan_hours") == "12"
    assert core.get_setting("recent_scan_minutes") == "0"
    assert core.get_setting("refresh_after_import") == "false"  # unchecked box
    assert core.get_setting("plex_machine_identifier") == plex.machine_identifier
    page = html_of(admin.get("/plexbooks/settings"))
    assert "Settings saved." in page
    form.update(plex_token="", refresh_after_import="on")
    assert admin.post("/plexbooks/settings", data=form).status_code == 302
    assert core.get_setting("plex_token") == plex.token
    assert core.get_setting("refresh_after_import") == "true"


def test_saving_with_plex_down_saves_and_warns(app: Flask, admin: FlaskClient) -> None:
    form = {"plex_url": "http://127.0.0.1:9", "plex_token": "t", "full_scan_hours": "6",
            "recent_scan_minutes": "5", "action": "save", "save_anyway": "on"}  # confirmed (issue 12, item 4)
    assert admin.post("/plexbooks/settings", data=form).status_code == 302
    assert app_core(app).get_setting("plex_url") == "http://127.0.0.1:9"
    assert "could not be reached" in html_of(admin.get("/plexbooks/settings"))


def test_a_failed_connection_check_replaces_nothing_unless_confirmed(
    app: Flask, admin: FlaskClient, plex: FakePlex
) -> None:
    """Issue 12, item 4: a URL or token Plex refuses never replaces a working one by accident."""
    core = configure_core(app_core(app), plex)
    for changed in ({"plex_url": "http://127.0.0.1:9", "plex_token": "t"}, {"plex_url": plex.url, "plex_token": "bad"}):
        form = {**changed, "library_id": plex.music_section_id, "full_scan_hours": "6",
                "recent_scan_minutes": "5", "action": "save"}
        response = admin.post("/plexbooks/settings", data=form)
        assert response.status_code == 400
        page = html_of(response)
        assert "so nothing was saved" in page and 'name="save_anyway"' in page
        assert (core.get_setting("plex_url"), core.get_setting("plex_token")) == (plex.url, plex.token)
    assert admin.post("/plexbooks/settings", data={**form, "save_anyway": "on"}).status_code == 302
    assert core.get_setting("plex_token") == "bad"  # the admin confirmed


def test_saving_a_new_server_or_library_starts_a_full_scan(
    database_url: str, tmp_path: Path, plex: FakePlex
) -> None:
    from plexbooks_plugin.scanning import wait_for_scan

    app = build_app(database_url, tmp_path / "scan-on-save", PLEXBOOKS_SCAN_ON_SAVE=True)
    admin = app.test_client()
    sign_in_as(admin, app, "admin")
    form = {"plex_url": plex.url, "plex_token": plex.token, "library_id": plex.music_section_id,
            "full_scan_hours": "6", "recent_scan_minutes": "5", "action": "save"}
    assert admin.post("/plexbooks/settings", data=form).status_code == 302
    started = re.search(r"A full scan of the library started \(run (\d+)\)", html_of(admin.get("/plexbooks/settings")))
    assert started, "no scan started"
    core = app_core(app)
    assert wait_for_scan(core, int(started.group(1)), timeout=30)
    with core.session() as session:
        assert [(r.kind, r.status) for r in repo.recent_scan_runs(session)] == [("full", "succeeded")]
        assert repo.count_library(session) == 40
    assert admin.post("/plexbooks/settings", data={**form, "plex_token": "", "full_scan_hours": "8"}).status_code == 302
    with core.session() as session:  # only the schedule changed: no new scan
        assert len(repo.recent_scan_runs(session)) == 1


def test_test_connection_without_javascript_lists_music_libraries(admin: FlaskClient, plex: FakePlex) -> None:
    response = admin.post("/plexbooks/settings", data={"action": "test", "plex_url": plex.url,
                                                       "plex_token": plex.token})
    assert response.status_code == 200
    page = html_of(response)
    assert "Connected." in page and "Fake Plex" in page
    assert f'name="library_ids" value="{plex.music_section_id}"' in page
    assert "40 albums" in page
    assert plex.token not in page


def test_test_connection_shows_the_exact_error(admin: FlaskClient, plex: FakePlex) -> None:
    page = html_of(admin.post("/plexbooks/settings", data={"action": "test", "plex_url": plex.url,
                                                           "plex_token": "bad-token"}))
    assert "Connection failed." in page
    page = html_of(admin.post("/plexbooks/settings", data={"action": "test", "plex_url": "http://127.0.0.1:9",
                                                           "plex_token": "t"}))
    assert "Connection failed." in page and "127.0.0.1:9" in page


def test_api_key_is_shown_once(app: Flask, admin: FlaskClient) -> None:
    page = html_of(admin.post("/plexbooks/settings", data={"action": "generate_key"}))
    shown = re.search(r'<code id="pb-new-key-value">([^<]+)</code>', page)
    assert shown
    key = shown.group(1)
    assert len(key) >= 32 and app_core(app).get_setting("api_key") == key
    again = html_of(admin.get("/plexbooks/settings"))
    assert key not in again and "a key is set" in again
    rotated = html_of(admin.post("/plexbooks/settings", data={"action": "generate_key"}))
    assert key not in rotated


def test_picking_a_server_without_a_recent_sign_in_explains(admin: FlaskClient) -> None:
    response = admin.post("/plexbooks/settings", data={"action": "pick_server", "client_identifier": "abc"})
    assert response.status_code == 302
    assert "sign in with Plex again" in html_of(admin.get("/plexbooks/settings"))


def test_settings_form_needs_the_csrf_token(database_url: str, tmp_path: Path) -> None:
    app = build_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    sign_in_as(client, app, "admin")
    assert client.post("/plexbooks/settings", data={"action": "generate_key"}).status_code == 400
    page = html_of(client.get("/plexbooks/settings"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    ok = client.post("/plexbooks/settings", data={"action": "generate_key", "csrf_token": token.group(1)})
    assert ok.status_code == 200 and "pb-new-key-value" in html_of(ok)


# ---------------------------------------------------------------- library


def test_library_page_escapes_hostile_titles(app: Flask, user: FlaskClient) -> None:
    add_books(app, [book("1", HOSTILE, HOSTILE, narrator=HOSTILE, year=1999, duration=3_900_000)])
    page = html_of(user.get("/plexbooks/library"))
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page
    assert "1 h 5 min" in page and "1999" in page
    searched = html_of(user.get("/plexbooks/library", query_string={"q": "<img src=x onerror=alert(1)>"}))
    assert "<img src=x" not in searched and "&lt;img src=x" in searched


def test_library_page_searches_and_pages(app: Flask, user: FlaskClient) -> None:
    add_books(app, [book(str(n), f"Book {n:03d}", "Author Name") for n in range(1, 31)])
    first = html_of(user.get("/plexbooks/library"))
    assert first.count('class="pb-book"') == 24
    assert "page 1 of 2" in first and 'rel="next"' in first
    second = html_of(user.get("/plexbooks/library?page=2"))
    assert second.count('class="pb-book"') == 6 and 'rel="prev"' in second
    found = html_of(user.get("/plexbooks/library?q=Book 007"))
    assert found.count('class="pb-book"') == 1 and "1 of 30 books match" in found
    assert "No books match" in html_of(user.get("/plexbooks/library?q=zzzz"))
    assert html_of(user.get("/plexbooks/library?page=abc")).count('class="pb-book"') == 24


def test_covers_go_through_the_proxy(app: Flask, user: FlaskClient) -> None:
    add_books(app, [book("1", "With Art", "A"), book("2", "Without Art", "B", thumb=None)])
    page = html_of(user.get("/plexbooks/library"))
    assert 'src="/plexbooks/covers/1"' in page
    assert "/plexbooks/covers/2" not in page  # no thumb: a styled fallback instead of a request


def test_empty_library_tells_the_admin_what_to_do(admin: FlaskClient, user: FlaskClient) -> None:
    assert "Open settings" in html_of(admin.get("/plexbooks/library"))
    assert "has not scanned" in html_of(user.get("/plexbooks/library"))


# ---------------------------------------------------------------- cover proxy


def test_cover_proxy_serves_plex_art_without_the_token(app: Flask, user: FlaskClient, plex: FakePlex) -> None:
    configure_core(app_core(app), plex)
    album = plex.albums()[0]
    add_books(app, [book(str(album.rating_key), album.title, album.author,
                         thumb=f"/library/metadata/{album.rating_key}/thumb/1")], section=plex.music_section_id)
    response = user.get(f"/plexbooks/covers/{album.rating_key}")
    assert response.status_code == 200
    assert response.content_type.startswith("image/")
    assert response.data.startswith(b"\x89PNG")
    assert plex.token.encode() not in response.data
    assert all(plex.token not in value for value in response.headers.values())
    assert "private" in response.headers["Cache-Control"]


def test_each_app_keeps_its_own_cover_cache(
    app: Flask, user: FlaskClient, plex: FakePlex, database_url: str, tmp_path: Path
) -> None:
    other = build_app(database_url, tmp_path / "other")
    configure_core(app_core(app), plex)
    album = plex.albums()[0]
    thumb = f"/library/metadata/{album.rating_key}/thumb/1"
    add_books(app, [book(str(album.rating_key), album.title, album.author, thumb=thumb)], section=plex.music_section_id)
    assert user.get(f"/plexbooks/covers/{album.rating_key}").status_code == 200
    key = (str(album.rating_key), thumb)
    assert get_state(app).covers.get(key) is not None
    assert get_state(other).covers.get(key) is None  # two apps in one process share no cover cache


def test_cover_proxy_placeholder_and_404(app: Flask, user: FlaskClient) -> None:
    add_books(app, [book("5", "No Plex Here", "A")])
    app_core(app).set_setting("plex_url", "http://127.0.0.1:9")
    app_core(app).set_setting("plex_token", "t")
    response = user.get("/plexbooks/covers/5")
    assert response.status_code == 200
    assert response.content_type.startswith("image/svg+xml")
    assert response.headers["X-Plexbooks-Cover"] == "placeholder"
    assert b"NP" in response.data
    assert user.get("/plexbooks/covers/does-not-exist").status_code == 404
    assert app.test_client().get("/plexbooks/covers/5").status_code == 302  # anonymous: sign in first


# ---------------------------------------------------------------- scan panel


def test_scan_panel_shows_history_and_errors(app: Flask, admin: FlaskClient) -> None:
    with app_core(app).session() as session:
        ok = repo.start_scan_run(session, "full")
        repo.update_scan_progress(session, ok.id, 48000, 48000)
        repo.finish_scan_run(session, ok.id, status="succeeded",
                             summary={"total": 48000, "new": 12, "updated": 3, "removed": 2, "matched": 1})
        bad = repo.start_scan_run(session, "recent")
        repo.finish_scan_run(session, bad.id, status="failed", error=f"Plex refused the token {HOSTILE}")
    page = html_of(admin.get("/plexbooks/scan"))
    # Issue 17: books that gained their badge (new + updated) apart from the requests the run completed.
    assert "48,000</b> seen" in page and "15</b> badges gained" in page and "(12 new, 3 updated)" in page
    assert "1</b> request completed" in page and "matched" not in page
    assert "Plex refused the token" in page and HOSTILE not in page
    assert 'class="pb-pill pb-pill--failed"' in page


def test_scan_panel_shows_a_running_scan_for_live_polling(app: Flask, admin: FlaskClient) -> None:
    with app_core(app).session() as session:
        run = repo.start_scan_run(session, "full")
        repo.update_scan_progress(session, run.id, 1250, 48000)
    page = html_of(admin.get("/plexbooks/scan"))
    assert f'data-running-id="{run.id}"' in page
    assert "1,250 of 48,000 books" in page
    assert 'data-status-url="/plexbooks/api/scan/0"' in page
    # A Cancel button for the running run (issue 12, item 5), working without the script too.
    assert f'action="/plexbooks/scan/{run.id}/cancel"' in page
    response = admin.post(f"/plexbooks/scan/{run.id}/cancel")
    assert response.status_code == 302
    after = html_of(admin.get("/plexbooks/scan"))
    assert "was cancelled" in after and "pb-pill--cancelled" in after
    with app_core(app).session() as session:
        assert repo.get_scan_run(session, run.id).status == "cancelled"  # type: ignore[union-attr]


def test_scan_panel_warns_about_a_held_back_removal(app: Flask, admin: FlaskClient) -> None:
    add_books(app, [book(str(n), f"Gone {n}", "A") for n in range(10)])
    with app_core(app).session() as session:
        repo.set_json_setting(session, "pending_removal", {
            "run_id": 99, "section_id": "7", "count": 10, "previous": 10, "seen": 0,
        })
    page = html_of(admin.get("/plexbooks/scan"))
    assert "A removal needs your confirmation." in page and "saw no books at all" in page
    response = admin.post("/plexbooks/scan/confirm-removal")
    assert response.status_code == 302
    page = html_of(admin.get("/plexbooks/scan"))
    assert "Removed 10 books" in page and "A removal needs your confirmation." not in page


def test_scan_form_starts_a_scan_and_reports_a_running_one(app: Flask, admin: FlaskClient, plex: FakePlex) -> None:
    from plexbooks_plugin.scanning import wait_for_scan

    configure_core(app_core(app), plex)
    assert admin.post("/plexbooks/scan", data={"kind": "full"}).status_code == 302
    page = html_of(admin.get("/plexbooks/scan"))
    started = re.search(r"Full scan started \(run (\d+)\)", page)
    assert started
    assert wait_for_scan(app_core(app), int(started.group(1)), timeout=30)
    assert "Not configured" not in page


def test_scan_form_before_setup_says_what_is_missing(admin: FlaskClient) -> None:
    page = html_of(admin.get("/plexbooks/scan"))
    assert "Plex is not set up yet." in page
    admin.post("/plexbooks/scan", data={"kind": "full"})
    assert "Settings" in html_of(admin.get("/plexbooks/scan"))


# ---------------------------------------------------------------- the badge macro and host overrides


def test_badge_macro_in_a_host_template(app: Flask) -> None:
    add_books(app, [book("1", "Project Hail Mary", "Andy Weir")])
    template = (
        '{% from "plexbooks/macros.html" import in_library_badge, badge_assets %}'
        "{{ badge_assets() }}"
        "{% for b in books %}<li>{{ in_library_badge(b) }}</li>{% endfor %}"
    )
    books = [{"title": "Project Hail Mary (Unabridged)", "author": "Andy Weir"},
             {"title": HOSTILE, "author": "Nobody"}]
    with app.test_request_context("/"):
        html = render_template_string(template, books=books)
    owned, missing = html.split("<li>")[1:3]
    assert 'data-plexbooks-rating-key="1"' in owned and " hidden" not in owned
    assert "In Your Library" in owned
    assert " hidden" in missing and HOSTILE not in html
    assert "/plexbooks/static/badges.js" in html and "/plexbooks/api/availability" in html


def test_static_assets_are_served(app: Flask) -> None:
    client = app.test_client()
    for name in ("plexbooks.css", "plexbooks.js", "badges.js", "badges.css"):
        response = client.get(f"/plexbooks/static/{name}")
        assert response.status_code == 200, name
        response.close()


def test_host_can_override_the_base_template(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "host-templates" / "plexbooks"
    folder.mkdir(parents=True)
    (folder / "base.html").write_text(
        "<html><body><nav>HOST CHROME</nav>{% block content %}{% endblock %}</body></html>", encoding="utf-8"
    )
    app = make_app(database_url, tmp_path / "instance", WTF_CSRF_ENABLED=False)
    app.template_folder = str(tmp_path / "host-templates")
    client = app.test_client()
    sign_in_as(client, app, "user")
    page = html_of(client.get("/plexbooks/library"))
    assert "HOST CHROME" in page and "Your Plex audiobooks" in page


# ---------------------------------------------------------------- front end: CSP, accessibility


STATIC = Path(__file__).resolve().parents[1] / "plexbooks_plugin" / "static"
_INLINE = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|\sstyle=\"|\son[a-z]+=\"", re.IGNORECASE)


def _every_plugin_page(app: Flask, admin: FlaskClient) -> dict[str, str]:
    """The HTML of every kind of plugin page: library, scan (running), settings, sign-in wait and error."""
    add_books(app, [book("1", "Dune", "Frank Herbert")])
    with app_core(app).session() as session:
        run = repo.start_scan_run(session, "full")
        repo.update_scan_progress(session, run.id, 1250, 48000)
    paths = ("/plexbooks/library", "/plexbooks/scan", "/plexbooks/settings")
    pages = {path: html_of(admin.get(path)) for path in paths}
    with app.test_request_context("/plexbooks/login/callback"):
        pages["pending"] = render_template(
            "plexbooks/login_pending.html", callback_url="/cb", status_url="/st", retry_url="/plexbooks/login"
        )
        pages["error"] = render_template("plexbooks/auth_error.html", status=403, title="No", message="No access")
    return pages


def test_pages_send_a_strict_csp_and_carry_no_inline_script_or_style(app: Flask, admin: FlaskClient) -> None:
    response = admin.get("/plexbooks/library")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in admin.get("/plexbooks/api/library").headers  # JSON needs none
    for name, page in _every_plugin_page(app, admin).items():
        assert not _INLINE.search(page), (name, _INLINE.search(page))


def test_pages_have_a_skip_link_and_one_csrf_field_macro(app: Flask, admin: FlaskClient) -> None:
    page = html_of(admin.get("/plexbooks/settings"))
    assert '<a class="pb-skip" href="#main">Skip to content</a>' in page and 'id="main"' in page
    templates = Path(__file__).resolve().parents[1] / "templates" / "plexbooks"
    writers = [p.name for p in templates.glob("*.html") if 'name="csrf_token"' in p.read_text()]
    assert writers == ["forms.html"]


def test_scan_bar_is_an_aria_progressbar(app: Flask, admin: FlaskClient) -> None:
    with app_core(app).session() as session:
        run = repo.start_scan_run(session, "full")
        repo.update_scan_progress(session, run.id, 1250, 48000)
    page = html_of(admin.get("/plexbooks/scan"))
    bar = re.search(r'<div class="pb-progress[^"]*"[^>]*>', page)
    assert bar is not None
    tag = bar.group(0)
    assert 'role="progressbar"' in tag and 'aria-valuemin="0"' in tag
    assert 'aria-valuemax="48000"' in tag and 'aria-valuenow="1250"' in tag and "aria-label=" in tag


def _css_colour(css: str, name: str) -> str:
    found = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", css)
    assert found, name
    return found.group(1)


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b_ = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_contrast_focus_ring_and_reduced_motion() -> None:
    css = (STATIC / "plexbooks.css").read_text()
    colour = {name: _css_colour(css, name) for name in (
        "pb-accent", "pb-accent-strong", "pb-bg", "pb-surface", "pb-text", "pb-muted", "pb-accent-soft", "pb-focus",
    )}
    pairs = [
        ("#ffffff", colour["pb-accent"]),  # the primary (accent) button: 3.27:1 before
        (colour["pb-accent-strong"], colour["pb-bg"]),  # links
        (colour["pb-accent-strong"], colour["pb-surface"]),
        (colour["pb-accent-strong"], colour["pb-accent-soft"]),
        (colour["pb-text"], colour["pb-bg"]),
        (colour["pb-muted"], colour["pb-bg"]),
        (colour["pb-muted"], colour["pb-surface"]),
    ]
    for fg, bg in pairs:
        assert _contrast(fg, bg) >= 4.5, (fg, bg, round(_contrast(fg, bg), 2))
    assert _contrast(colour["pb-focus"], colour["pb-surface"]) >= 3  # non-text contrast of the ring
    assert ":focus-visible" in css and "outline: 3px solid var(--pb-focus)" in css
    assert "@media (prefers-reduced-motion: reduce)" in css


def test_scan_panel_shows_the_webhook_deliveries(app: Flask, admin: FlaskClient) -> None:
    core = app_core(app)
    core.set_setting("webhook_url", "https://host.example/hooks/plexbooks?key=hostsecret")
    core.set_setting("webhook_secret", "signing-secret")
    with core.session() as session:
        repo.enqueue_webhook(session, "request.available", "req-42", "{}")
    with core.session() as session:
        [delivery] = repo.recent_webhooks(session)
        repo.record_webhook_attempt(session, delivery.id, delivered=False, status_code=500,
                                    error="the host answered HTTP 500", retry_in=10)
    page = html_of(admin.get("/plexbooks/scan"))
    assert "https://host.example" in page and "hostsecret" not in page and "signing-secret" not in page
    assert "0 delivered, 1 waiting, 0 failed" in page
    assert "req-42" in page and "the host answered HTTP 500" in page
    answer = admin.get("/plexbooks/api/detection").get_json()
    assert answer["webhooks"]["counts"] == {"pending": 1, "delivered": 0, "failed": 0}
    assert answer["webhooks"]["recent"][0]["last_status"] == 500
    assert "hostsecret" not in str(answer) and "signing-secret" not in str(answer)
    # The listener's state is the jobs panel's (tests/test_scan_jobs.py), not this card's.
    card = page.split('id="pb-detection"', 1)[1].split("</section>", 1)[0]
    assert "realtime" not in card.lower() and "data-pb-realtime" not in card
