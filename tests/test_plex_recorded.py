"""The clients fed with REAL captured Plex and plex.tv answers (tests/fixtures/plex, see SOURCE.md)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import requests_mock as rm

from plexbooks_plugin.errors import PlexAuthError, PlexResponseError
from plexbooks_plugin.fakeplex import render
from plexbooks_plugin.plex import PlexClient, PlexHTTPError, PlexTV
from plexbooks_plugin.plex.paging import PAGES_AHEAD
from plexbooks_plugin.plex.parsing import albums_from_container, parse_container
from tests.plex_conftest_helpers import fixture_bytes, fixture_json, recorded_pair

BASE = "http://plex.test:32400"
TOKEN = "recorded-token-xyz"
JSON = {"Content-Type": "application/json", "X-Plex-Protocol": "1.0"}
XML = {"Content-Type": "text/xml;charset=utf-8", "X-Plex-Protocol": "1.0"}
ALBUMS_99 = "pms-json/library-section-all-type9-albums.json"


def client(**kwargs: Any) -> PlexClient:
    options: dict[str, Any] = {"backoff": 0.0}
    options.update(kwargs)
    return PlexClient(BASE, TOKEN, **options)


def test_sections_from_the_json_capture(requests_mock: rm.Mocker) -> None:
    pair = recorded_pair("sections_get_200")
    requests_mock.get(f"{BASE}/library/sections", json=pair["response"]["body"], headers=JSON)
    sections = client().sections()
    assert [(s.id, s.title, s.type) for s in sections] == [
        ("1", "Movies", "movie"),
        ("2", "TV Shows", "show"),
        ("3", "Non matched content", "show"),
    ]
    assert sections[0].locations == ("/storage/media/movies",)
    assert sections[0].agent == "tv.plex.agents.movie"
    assert client().music_sections() == []
    sent = requests_mock.last_request
    assert sent.headers["X-Plex-Token"] == TOKEN and "X-Plex-Token" not in sent.url


def test_sections_from_the_xml_capture(requests_mock: rm.Mocker) -> None:
    requests_mock.get(f"{BASE}/library/sections", content=fixture_bytes("pms-xml/library_sections.xml"), headers=XML)
    music = client().music_sections()
    assert len(music) == 1
    assert (music[0].id, music[0].title, music[0].agent, music[0].locations) == (
        "3",
        "Music",
        "tv.plex.agents.music",
        ("/storage/music",),
    )


def test_99_real_albums(requests_mock: rm.Mocker) -> None:
    body = fixture_json(ALBUMS_99)
    requests_mock.get(f"{BASE}/library/sections/15/all", json=body, headers=JSON)
    pages = list(client().albums("15"))
    # The capture is unpaged (no totalSize): the client takes it as the whole listing, one request.
    assert len(pages) == 1 and requests_mock.call_count == 1
    (page,) = pages
    assert len(page.items) == 99 and page.skipped == 0 and page.total_size == 99
    first = page.items[0]
    assert (first.rating_key, first.title, first.author, first.year) == ("28146", "Bad Omens", "Bad Omens", 2016)
    assert first.guid == "plex://album/5d07ca42403c640290d10d9f" and first.asin is None
    assert first.thumb == "/library/metadata/28146/thumb/1738341990"
    assert first.added_at == 1738341988 and first.updated_at == 1738341990
    assert first.duration is None  # real album listings carry no duration
    schemes = [a.guid.split("://")[0] for a in page.items]
    assert set(schemes) == {"plex", "mbid", "local"} and schemes.count("local") == 1
    missing_updated = [a for a in page.items if a.updated_at is None]
    assert len(missing_updated) == 5  # 94 of the 99 have updatedAt
    sent = requests_mock.last_request.qs
    assert sent["type"] == ["9"] and sent["includeguids"] == ["1"] and sent["x-plex-container-size"] == ["500"]


def test_the_real_albums_read_identically_as_xml() -> None:
    body = fixture_json(ALBUMS_99)
    container = dict(body["MediaContainer"])
    items = container.pop("Metadata")
    as_xml = render.to_xml(container, items)  # the emulator's XML writer, fed the real items
    from_json, _ = albums_from_container(parse_container(json.dumps(body).encode(), "application/json"))
    from_xml, _ = albums_from_container(parse_container(as_xml, "text/xml"))
    assert len(from_json) == 99 and from_json == from_xml


def test_items_without_rating_key_or_title_are_skipped(requests_mock: rm.Mocker) -> None:
    body = copy.deepcopy(fixture_json(ALBUMS_99))
    items = body["MediaContainer"]["Metadata"]
    del items[3]["ratingKey"]
    del items[10]["title"]
    items[20]["title"] = ""
    requests_mock.get(f"{BASE}/library/sections/15/all", json=body, headers=JSON)
    page = next(client().albums("15", page_size=500, max_pages=1))
    assert page.skipped == 3 and len(page.items) == 96


def test_real_album_xml(requests_mock: rm.Mocker) -> None:
    requests_mock.get(f"{BASE}/library/sections/3/all", content=fixture_bytes("pms-xml/album.xml"), headers=XML)
    (album,) = next(client().albums("3", page_size=10, max_pages=1)).items
    assert album.rating_key == "200" and album.title == "Album" and album.author == "Artist"
    assert album.year == 2019 and album.added_at == 1602534474 and album.updated_at == 1602534481
    assert album.summary is None  # summary="" in the capture
    assert album.guids == ("plex://album/12345",)


def test_real_artist_children_xml_are_albums(requests_mock: rm.Mocker) -> None:
    requests_mock.get(f"{BASE}/library/sections/3/all", content=fixture_bytes("pms-xml/children_300.xml"), headers=XML)
    page = next(client(prefer_json=False).albums("3", page_size=10, max_pages=1))
    assert [a.title for a in page.items] == ["Album"]
    assert requests_mock.last_request.headers["Accept"] == "application/xml"


def test_count_query_from_the_size_zero_capture(requests_mock: rm.Mocker) -> None:
    requests_mock.get(
        f"{BASE}/library/sections/3/all", content=fixture_bytes("pms-xml/library_music_size.xml"), headers=XML
    )
    assert client().section_item_count("3") == 1
    sent = requests_mock.last_request.qs
    assert sent["x-plex-container-start"] == ["0"] and sent["x-plex-container-size"] == ["0"]


def test_empty_library(requests_mock: rm.Mocker) -> None:
    requests_mock.get(f"{BASE}/library/sections/3/all", content=fixture_bytes("pms-xml/empty_library.xml"), headers=XML)
    pages = list(client().albums("3"))
    assert len(pages) == 1 and pages[0].items == [] and pages[0].total_size == 0
    assert requests_mock.call_count == 1


def test_paged_capture_gives_paging_metadata_and_an_empty_page_stops(requests_mock: rm.Mocker) -> None:
    paged = fixture_json("pms-json/library-section-all-paged.json")
    empty = {"MediaContainer": {"size": 0, "totalSize": 2295, "offset": 50}}

    def answer(request: Any, context: Any) -> dict[str, Any]:
        context.headers = {**JSON, "X-Plex-Container-Total-Size": "2295"}
        return paged if request.qs["x-plex-container-start"] == ["0"] else empty

    requests_mock.get(f"{BASE}/library/sections/1/all", json=answer)
    pages = list(client().albums("1", page_size=50))
    assert [(p.offset, p.total_size) for p in pages] == [(0, 2295), (50, 2295)]
    # The capture is a movie library: movies are not albums, and are not counted as broken either.
    assert pages[0].items == [] and pages[0].skipped == 0
    # The empty page ended it, despite totalSize 2295: besides the two pages, only those already
    # asked for ahead of it (how many went out depends on timing), not the other 44.
    assert 2 <= requests_mock.call_count <= 1 + PAGES_AHEAD


def test_metadata_from_captures(requests_mock: rm.Mocker) -> None:
    item = fixture_json("pms-json/library-metadata-item.json")
    episodes = recorded_pair("library_episodes_get_200")["response"]["body"]
    requests_mock.get(f"{BASE}/library/metadata/44288", json=item, headers=JSON)
    requests_mock.get(f"{BASE}/library/metadata/44288/children", json=episodes, headers=JSON)
    record = client().metadata("44288")
    assert record.title == "Better Call Saul" and record.year == 2015
    assert record.guids == ("plex://show/5d9c08254eefaa001f5d6dcb", "imdb://tt3032476", "tmdb://60059", "tvdb://273181")
    assert record.duration == 2700000  # present on the item, so not summed from children
    files = [p["file"] for e in episodes["MediaContainer"]["Metadata"] for m in e["Media"] for p in m["Part"]]
    assert files and record.file_path is not None
    assert all(f.startswith(record.file_path + "/") for f in files)


def test_the_real_401_page(requests_mock: rm.Mocker) -> None:
    pair = recorded_pair("sections_get_401")
    requests_mock.get(
        f"{BASE}/library/sections", status_code=401, text=pair["response"]["body"], headers=pair["response"]["headers"]
    )
    with pytest.raises(PlexAuthError) as info:
        client(retries=3).sections()
    assert str(info.value) == f"Plex at {BASE} refused the token: sign in again in Settings"
    assert requests_mock.call_count == 1


def test_the_real_500(requests_mock: rm.Mocker) -> None:
    pair = recorded_pair("server_info_get_500")
    requests_mock.get(f"{BASE}/", status_code=500, json=pair["response"]["body"], headers=JSON)
    with pytest.raises(PlexHTTPError) as info:
        client(retries=2).server_info()
    assert info.value.status == 500 and "server error" in str(info.value)
    assert requests_mock.call_count == 3


def test_identity_and_name_from_captures(requests_mock: rm.Mocker) -> None:
    # /identity is not among the captures: this is the example of Plex's OpenAPI spec for it.
    identity = {
        "MediaContainer": {
            "size": 0,
            "claimed": True,
            "machineIdentifier": "0123456789abcdef",
            "version": "1.40.2.8395-c67dce28e",
        }
    }
    requests_mock.get(f"{BASE}/identity", json=identity, headers=JSON)
    requests_mock.get(f"{BASE}/", json=recorded_pair("server_info_get_200")["response"]["body"], headers=JSON)
    ident = client().identity()
    assert (ident.machine_identifier, ident.version, ident.name) == (
        "0123456789abcdef",
        "1.40.2.8395-c67dce28e",
        "Plex Test",
    )
    assert "X-Plex-Token" not in requests_mock.request_history[0].headers  # /identity needs no token


def test_server_root_xml_capture(requests_mock: rm.Mocker) -> None:
    xml = (
        fixture_bytes("pms-xml/plex_server_base.xml")
        .replace(b"{name}", b"Attic")
        .replace(b"{machine_identifier}", b"abc123")
    )
    requests_mock.get(f"{BASE}/", content=xml, headers=XML)
    info = client().server_info()
    assert info["friendlyName"] == "Attic" and info["machineIdentifier"] == "abc123"
    assert info["version"] == "1.20.4.3517-ab5e1197c"


def test_redirects_are_not_followed(requests_mock: rm.Mocker) -> None:
    requests_mock.get(
        f"{BASE}/library/sections", status_code=302, headers={"Location": "http://evil.example/x?X-Plex-Token=1"}
    )
    requests_mock.get("http://evil.example/x", text="gotcha")
    with pytest.raises(PlexHTTPError) as info:
        client().sections()
    assert "redirected /library/sections to http://evil.example" in str(info.value)
    assert [r.hostname for r in requests_mock.request_history] == ["plex.test"]


# ------------------------------------------------------------------------------ plex.tv


def test_plex_tv_user_capture(requests_mock: rm.Mocker) -> None:
    requests_mock.get("https://plex.tv/api/v2/user", json=fixture_json("plextv-json/api-v2-user.json"))
    account = PlexTV(client_identifier="abc").user("user-token")
    assert (account.id, account.uuid, account.username, account.email) == (
        62735028,
        "b9h6f3c8k1",
        "ZjFvKLCb",
        "c9eMdShR@example.com",
    )
    assert account.thumb == "https://plex.tv/users/b9h6f3c8k1/avatar?c=1724402119"


def test_plex_tv_resources_capture(requests_mock: rm.Mocker) -> None:
    requests_mock.get("https://plex.tv/api/v2/resources", json=fixture_json("plextv-json/api-v2-resources.json"))
    resources = PlexTV(client_identifier="abc").resources("user-token")
    assert len(resources) == 7 and all(r.is_server for r in resources)
    first = resources[0]
    assert (first.name, first.client_identifier, first.owned) == (
        "StreamMaster",
        "8276c3fa6bc24e44b347e19c71fbb98b9287c1e9",
        True,
    )
    assert first.access_token == "Hg7FGK9xVGdWZRa_sj76"
    assert [(c.local, c.relay) for c in first.connections] == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),
    ]
    assert first.connections[0].port == 32400 and first.connections[0].protocol == "https"
    assert [r.owned for r in resources].count(True) == 1
    assert requests_mock.last_request.qs == {"includehttps": ["1"], "includerelay": ["1"]}


def test_plex_tv_xml_answers_are_refused(requests_mock: rm.Mocker) -> None:
    requests_mock.get(
        "https://plex.tv/api/v2/user",
        content=fixture_bytes("pms-xml/plextv_account.xml"),
        headers={"Content-Type": "application/xml"},
    )
    with pytest.raises(PlexResponseError, match="not JSON"):
        PlexTV(client_identifier="abc").user("user-token")


def test_plex_tv_pin_error_shape(requests_mock: rm.Mocker) -> None:
    requests_mock.get(
        "https://plex.tv/api/v2/pins/1",
        status_code=404,
        json={"errors": [{"code": 1020, "message": "Code not found or expired", "status": 404}]},
    )
    from plexbooks_plugin.plex import PinExpired

    with pytest.raises(PinExpired) as info:
        PlexTV(client_identifier="abc").check_pin(1)
    assert "Code not found or expired" in str(info.value.__cause__)


def test_no_recorded_test_leaks_the_token_into_urls(requests_mock: rm.Mocker) -> None:
    requests_mock.get(re.compile(f"{BASE}/.*"), json={"MediaContainer": {"size": 0}}, headers=JSON)
    c = client()
    c.sections()
    next(c.albums("1", page_size=1, max_pages=1))
    c.refresh("1", "/x y")
    assert all(TOKEN not in r.url for r in requests_mock.request_history)
