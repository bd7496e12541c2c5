"""Hostile web input: forged pins, CSRF-less posts, oversized bodies, wrong JSON types, injection-looking
titles, open redirects and non-http server URLs. Each case also checks what reached the database.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plexbooks_plugin import store as repo
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import BookRequest, ScanRun, User
from plexbooks_plugin.scanning import run_scan
from tests.fakeplex_fixtures import FakePlexFactory
from tests.viewkit import app_core, build_app, csrf_from_page, set_api_key, sign_in_as

from .helpers import configure, count_requests, requests_by_host_id, snapshot

# ------------------------------------------------------------------ fixtures


@pytest.fixture
def fake(fake_plex_factory: FakePlexFactory) -> FakePlex:
    """The Media Server and plex.tv emulator, 10 books."""
    return fake_plex_factory(items=10)


@pytest.fixture
def site(database_url: str, tmp_path: Path, fake: FakePlex) -> Flask:
    """A host with plexbooks pointed at the emulator for Plex and plex.tv, CSRF on as in production."""
    app = build_app(
        database_url, tmp_path / "instance",
        WTF_CSRF_ENABLED=True,
        PLEXBOOKS_PLEX_TV_URL=fake.url, PLEXBOOKS_PLEX_APP_URL=fake.url,
        PLEXBOOKS_PIN_POLL_SECONDS=0.3, PLEXBOOKS_PIN_POLL_INTERVAL=0.05,
        PLEXBOOKS_LOGIN_RATE_LIMIT="1000/minute",
    )
    configure(app_core(app), fake)
    return app


@pytest.fixture
def loose(database_url: str, tmp_path: Path) -> Flask:
    """A host with CSRF off, for the body validation tests (which send JSON as the host's key does)."""
    return build_app(database_url, tmp_path / "loose")


def _count(app: Flask, model: Any) -> int:
    with app_core(app).session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"], body
    if code is not None:
        assert body["error"] == code, body
    return body  # type: ignore[no-any-return]


# ------------------------------------------------------------------ forged pins


def _start(client: FlaskClient, next_url: str | None = None) -> str:
    """Start a sign-in in this browser; return the pin id Plex will send back."""
    url = "/plexbooks/login" + (f"?next={quote(next_url, safe='')}" if next_url is not None else "")
    answer = client.get(url)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    fragment = urlsplit(answer.headers["Location"]).fragment.lstrip("?")
    forward = parse_qs(fragment)["forwardUrl"][0]
    return parse_qs(urlsplit(forward).query)["pin"][0]


@pytest.mark.parametrize(
    "forged", ["victim", "0", "-1", "99999999999999999999999", "1 OR 1=1", "../../etc/passwd", "%00", "<script>"]
)
def test_forged_pin_ids_never_sign_anyone_in(site: Flask, fake: FakePlex, forged: str) -> None:
    victim = site.test_client()
    victim_pin = _start(victim)
    fake.approve_pin(int(victim_pin), fake.owner)  # the victim approved their own pin on plex.tv
    pin = victim_pin if forged == "victim" else forged

    stranger = site.test_client()  # no sign-in of its own
    _refused(stranger.get(f"/plexbooks/login/callback?pin={quote(pin)}"), 400)
    attacker = site.test_client()
    _start(attacker)  # a sign-in of its own, then someone else's pin id
    _refused(attacker.get(f"/plexbooks/login/callback?pin={quote(pin)}"), 403)
    _refused(attacker.get(f"/plexbooks/login/callback?pin={quote(pin)}", headers={"Accept": "application/json"}), 403)
    assert _count(site, User) == 0

    assert victim.get(f"/plexbooks/login/callback?pin={victim_pin}").status_code == 302
    with app_core(site).session() as session:
        (user,) = session.scalars(select(User))
        assert user.plex_id == fake.owner.id and user.role == "admin"


def _refused(response: Any, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]


# ------------------------------------------------------------------ CSRF


def test_posts_without_a_csrf_token_change_nothing(site: Flask, fake: FakePlex) -> None:
    admin = site.test_client()
    sign_in_as(admin, site, "admin", "olivia")
    core = app_core(site)
    before_url = core.get_setting("plex_url")
    form = {"plex_url": "http://10.0.0.66:32400", "plex_token": "stolen", "library_id": "4"}

    refused = [
        admin.post("/plexbooks/settings", data=form),
        admin.post("/plexbooks/settings", data={**form, "csrf_token": "forged-token"}),
        admin.post("/plexbooks/settings", data={"action": "generate_key"}),
        admin.post("/plexbooks/scan", data={"kind": "full"}),
        admin.post("/plexbooks/scan/confirm-removal"),
        admin.post("/plexbooks/api/scan", json={"kind": "full"}),
        admin.post("/plexbooks/api/requests", json={"title": "Forged Request", "author": "Eve"}),
        admin.post("/plexbooks/api/requests", json={"title": "Forged Request"}, headers={"X-CSRFToken": "nope"}),
        admin.post("/plexbooks/api/hooks/download-organized", json={"request_id": "x", "title": "T", "path": "/p"}),
        admin.post("/plexbooks/logout"),
    ]
    assert [r.status_code for r in refused] == [400] * len(refused), [r.get_data(as_text=True)[:200] for r in refused]
    assert core.get_setting("plex_url") == before_url
    assert core.get_setting("plex_token") == fake.token
    assert core.get_setting("api_key") is None
    assert _count(site, BookRequest) == 0 and _count(site, ScanRun) == 0
    assert admin.get("/plexbooks/settings").status_code == 200  # still signed in: the logout was refused too

    # The same calls with the page's token, or with the host's API key, go through.
    token = csrf_from_page(admin, "/plexbooks/settings")
    made = admin.post("/plexbooks/api/requests", json={"title": "Real Request"}, headers={"X-CSRFToken": token})
    assert made.status_code == 201, made.get_data(as_text=True)
    keyed = site.test_client().post(
        "/plexbooks/api/requests", json={"title": "Host Request"}, headers=set_api_key(site)
    )
    assert keyed.status_code == 201
    assert sorted(r.title for r in requests_by_host_id(core).values()) == ["Host Request", "Real Request"]


# ------------------------------------------------------------------ oversized bodies


def test_oversized_json_bodies_are_413_and_store_nothing(loose: Flask) -> None:
    headers = set_api_key(loose)
    client = loose.test_client()
    big_title = "x" * (2 * 1024 * 1024)
    for path, body in (
        ("/plexbooks/api/requests", {"title": big_title}),
        ("/plexbooks/api/availability", {"books": [{"title": big_title}]}),
        ("/plexbooks/api/hooks/download-organized", {"request_id": "r", "title": big_title, "path": "/x"}),
        ("/plexbooks/api/scan", {"kind": "full", "pad": big_title}),
    ):
        _error(client.post(path, json=body, headers=headers), 413, "body_too_large")
    # Without a Content-Length (chunked), refused at the same limit; a small chunked body still works.
    # (wsgi.input_terminated is what a real server sets for a chunked body it has de-chunked.)
    for payload, status in ((big_title, 413), ("A Small Chunked Request", 201)):
        chunked = client.post(
            "/plexbooks/api/requests",
            input_stream=io.BytesIO(json.dumps({"title": payload}).encode()),
            headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
        assert chunked.status_code == status, chunked.get_data(as_text=True)[:200]
    too_many = client.post("/plexbooks/api/availability", json={"books": [{"title": "t"}] * 501}, headers=headers)
    assert _error(too_many, 400, "too_many_books")["field"] == "books"
    assert [r.title for r in requests_by_host_id(app_core(loose)).values()] == ["A Small Chunked Request"]
    assert _count(loose, ScanRun) == 0


# ------------------------------------------------------------------ wrong types in every field

WRONG = [5, 1.5, True, [], ["a"], {}, {"a": 1}]
REQUEST = {"title": "A Fine Book", "author": "Ann Author", "asin": "B0ABCDEFGH", "host_request_id": "h-1"}
HOOK = {"request_id": "h-2", "title": "A Fine Book", "author": "Ann Author", "path": "/data/x", "asin": "B0ABCDEFGH"}
BOOK = {"title": "A Fine Book", "author": "Ann Author", "asin": "B0ABCDEFGH", "narrator": "Ned Narrator"}

CASES: list[tuple[str, dict[str, Any], str, str, list[Any]]] = [
    # (path, a valid body, field to spoil, the field name the answer must give, wrong values)
    *[("/plexbooks/api/requests", REQUEST, f, f, WRONG) for f in ("title", "author", "asin", "host_request_id")],
    ("/plexbooks/api/requests", REQUEST, "force", "force", [1, 0, "yes", "true", [], {}]),
    ("/plexbooks/api/requests", REQUEST, "title", "title", [None, "", "   "]),
    *[
        ("/plexbooks/api/hooks/download-organized", HOOK, f, f, [v for v in WRONG if not isinstance(v, int)])
        for f in ("request_id", "title", "author", "path", "asin")
    ],
    ("/plexbooks/api/scan", {"kind": "full"}, "kind", "kind", [*WRONG, "weekly", ""]),
    ("/plexbooks/api/availability", {"books": [BOOK]}, "books", "books", [5, "x", {}, None, True]),
    *[
        ("/plexbooks/api/availability", {"books": [BOOK]}, f"books[0].{f}", f"books[0].{f}", WRONG)
        for f in ("title", "author", "asin", "narrator")
    ],
    ("/plexbooks/api/availability", {"books": [BOOK]}, "books[0]", "books[0]", [5, "x", [], None]),
    ("/plexbooks/api/test-connection", {"url": "http://127.0.0.1:9", "token": "t"}, "url", "url", WRONG),
    ("/plexbooks/api/test-connection", {"url": "http://127.0.0.1:9", "token": "t"}, "token", "token", WRONG),
]


def _spoil(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    spoiled = json.loads(json.dumps(body))
    if field.startswith("books[0]"):
        if field == "books[0]":
            spoiled["books"][0] = value
        else:
            spoiled["books"][0][field.split(".", 1)[1]] = value
    else:
        spoiled[field] = value
    return spoiled


@pytest.mark.parametrize(
    ("path", "valid", "field", "named", "values"), CASES, ids=[f"{c[0][15:]}:{c[2]}" for c in CASES]
)
def test_wrong_types_in_every_json_field_are_400_naming_the_field(
    loose: Flask, path: str, valid: dict[str, Any], field: str, named: str, values: list[Any]
) -> None:
    headers = set_api_key(loose)
    client = loose.test_client()
    for value in values:
        body = _error(client.post(path, json=_spoil(valid, field, value), headers=headers), 400)
        assert body.get("field") == named, (value, body)
        assert named in body["message"], body
    assert _count(loose, BookRequest) == 0 and _count(loose, ScanRun) == 0


@pytest.mark.parametrize(
    "path", ["/plexbooks/api/requests", "/plexbooks/api/availability", "/plexbooks/api/scan",
             "/plexbooks/api/hooks/download-organized"]
)
def test_bodies_that_are_not_a_json_object_are_400(loose: Flask, path: str) -> None:
    headers = set_api_key(loose)
    client = loose.test_client()
    for raw, ctype in (
        ("[]", "application/json"), ('"a string"', "application/json"), ("5", "application/json"),
        ("null", "application/json"), ("{not json", "application/json"), ('{"title": "x"}', "text/plain"),
        ("\xff\xfe{", "application/json"), ('{"a":' * 10_000 + "1" + "}" * 10_000, "application/json"),
    ):
        _error(client.post(path, data=raw, content_type=ctype, headers=headers), 400)
    assert _count(loose, BookRequest) == 0 and _count(loose, ScanRun) == 0


def test_bad_query_arguments_are_400_naming_them(loose: Flask) -> None:
    headers = set_api_key(loose)
    client = loose.test_client()
    for query, named in (("page=abc", "page"), ("page=0", "page"), ("page=-3", "page"), ("per_page=100000", "per_page"),
                         ("per_page=1e3", "per_page"), ("page=99999999999999999999999", "page")):
        body = _error(client.get(f"/plexbooks/api/library?{query}", headers=headers), 400)
        assert body["field"] == named
    assert client.get("/plexbooks/api/library?q=" + "x" * 5000, headers=headers).status_code == 200
    # The HTML pages never answer 400 for a bad page number, and never 500.
    user = loose.test_client()
    sign_in_as(user, loose, "user", "sam")
    for page in ("abc", "-1", "0", "1e3", "99999999999999999999999", "9" * 400):
        assert user.get(f"/plexbooks/library?page={page}").status_code == 200, page


# ------------------------------------------------------------------ injection-looking titles

HOSTILE_TITLES = [
    "Robert'); DROP TABLE plexbooks_requests;--",
    "' OR '1'='1",
    "<script>alert('pwned')</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }} {% raw %}",
    "100% _Wild_ \\ Cards",
]


def test_sql_and_script_looking_titles_are_stored_verbatim_and_shown_escaped(
    site: Flask, fake: FakePlex
) -> None:
    core = app_core(site)
    keys = {title: fake.add_album(title, "Mallory Hacker", added_at=1_760_000_000) for title in HOSTILE_TITLES}
    run_scan(core, "full")
    rows = snapshot(core)
    assert [rows[keys[t]]["title"] for t in HOSTILE_TITLES] == HOSTILE_TITLES

    headers = set_api_key(site)
    api = site.test_client()
    for n, title in enumerate(HOSTILE_TITLES):
        made = api.post("/plexbooks/api/requests", json={
            "title": title + " (Requested)", "author": "Mallory Requester", "host_request_id": f"{title}-{n}",
            "force": True,
        }, headers=headers)
        assert made.status_code == 201, made.get_data(as_text=True)
        assert made.get_json()["title"] == title + " (Requested)"
        fetched = api.get(f"/plexbooks/api/requests/{quote(title + '-' + str(n), safe='')}", headers=headers)
        assert fetched.status_code == 200 and fetched.get_json()["title"] == title + " (Requested)"
    stored = requests_by_host_id(core)
    assert count_requests(core) == len(HOSTILE_TITLES)  # the table is still there, nothing else added
    assert sorted(r.title for r in stored.values()) == sorted(t + " (Requested)" for t in HOSTILE_TITLES)

    # JSON: the exact strings, served as JSON.
    listing = api.get("/plexbooks/api/library?per_page=200", headers=headers)
    assert listing.mimetype == "application/json"
    titles = {item["title"] for item in listing.get_json()["items"]}
    assert set(HOSTILE_TITLES) <= titles
    # Searching with SQL or LIKE syntax finds only the literal text.
    wild = {"100% _Wild_ \\ Cards"}
    for q, expected in (("' OR '1'='1", {"' OR '1'='1"}), ("100%", wild), ("_Wild_", wild)):
        found = api.get(f"/plexbooks/api/library?q={quote(q)}", headers=headers).get_json()
        assert {i["title"] for i in found["items"]} == expected, (q, found)

    # HTML: escaped, never live markup, never evaluated as a template.
    user = site.test_client()
    sign_in_as(user, site, "user", "sam")
    page = user.get("/plexbooks/library?q=Mallory").get_data(as_text=True)
    page += user.get("/plexbooks/library?page=1").get_data(as_text=True)
    assert "<script>alert('pwned')</script>" not in page and "<img src=x onerror" not in page
    assert html.escape("<script>alert('pwned')</script>", quote=False) in page or "&lt;script&gt;alert(" in page
    assert "{{ 7*7 }}" in html.unescape(page) and "49 {%" not in page
    search = user.get("/plexbooks/library?q=" + quote("<script>alert('q')</script>")).get_data(as_text=True)
    assert "<script>alert('q')</script>" not in search


# ------------------------------------------------------------------ open redirects

EVIL_NEXT = [
    "https://evil.example/x", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "http:/evil.example",
    "https:evil.example", "javascript:alert(1)", "/\t/evil.example", " //evil.example", "//evil.example@localhost",
    "data:text/html,<script>alert(1)</script>", "evil.example", "%2F%2Fevil.example", "/\x00/evil.example",
]


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_open_redirect_next_values_are_ignored(site: Flask, fake: FakePlex, evil: str) -> None:
    client = site.test_client()
    pin = _start(client, evil)
    fake.approve_pin(int(pin), fake.shared_user)
    answer = client.get(f"/plexbooks/login/callback?pin={pin}")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/", answer.headers["Location"]
    assert _count(site, User) == 1  # the sign-in itself worked

    # Already signed in: /login?next= redirects at once, and logout honours next: neither may leave.
    again = client.get(f"/plexbooks/login?next={quote(evil, safe='')}")
    assert again.status_code == 302 and again.headers["Location"] == "/"
    token = csrf_from_page(client, "/plexbooks/library")
    out = client.post("/plexbooks/logout", data={"next": evil, "csrf_token": token})
    assert out.status_code == 302 and out.headers["Location"] == "/", out.headers.get("Location")


def test_a_local_next_is_honoured(site: Flask, fake: FakePlex) -> None:
    client = site.test_client()
    pin = _start(client, "/plexbooks/library?q=dune")
    fake.approve_pin(int(pin), fake.shared_user)
    assert client.get(f"/plexbooks/login/callback?pin={pin}").headers["Location"] == "/plexbooks/library?q=dune"


# ------------------------------------------------------------------ non-http server URLs

BAD_URLS = [
    "file:///etc/passwd", "javascript:alert(1)", "ftp://plex.local:32400", "gopher://127.0.0.1:70/",
    "plex.local:32400", "http://", "//plex.local:32400", "data:text/plain,hi", "http://user:pw@plex.local:32400",
]


@pytest.mark.parametrize("bad", BAD_URLS)
def test_a_non_http_server_url_is_rejected_next_to_the_field(site: Flask, fake: FakePlex, bad: str) -> None:
    admin = site.test_client()
    sign_in_as(admin, site, "admin", "olivia")
    token = csrf_from_page(admin, "/plexbooks/settings")
    answer = admin.post("/plexbooks/settings", data={
        "csrf_token": token, "plex_url": bad, "plex_token": "", "library_id": "4",
        "full_scan_hours": "6", "recent_scan_minutes": "5",
    })
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert 'id="plex_url-error"' in page and 'aria-invalid="true"' in page
    message = page.split('id="plex_url-error">', 1)[1].split("</span>", 1)[0]
    assert "http" in message.lower() or "token" in message.lower(), message
    assert app_core(site).get_setting("plex_url") == fake.url  # unchanged

    headers = set_api_key(site)
    api = site.test_client().post("/plexbooks/api/test-connection", json={"url": bad}, headers=headers)
    _error(api, 400)
    with app_core(site).session() as session:
        assert repo.get_setting(session, "plex_url") == fake.url
