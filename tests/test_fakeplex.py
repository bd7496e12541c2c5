"""The emulator: real shapes (checked against the captures and the PMS OpenAPI spec), paging,
errors, faults, the plex.tv half, python-plexapi compatibility, and speed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests

from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.fakeplex.library import track_key
from plexbooks_plugin.fakeplex.store import FakeLibrary
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from tests.fakeplex_http import container, get, tv_headers
from tests.plex_conftest_helpers import (
    fixture_bytes,
    fixture_json,
    json_type,
    openapi_schema,
    real_key_types,
    recorded_pair,
    schema_problems,
    shape_problems,
)

SID = "4"


fake = module_fake_plex(items=300, seed=11)
_reset = reset_fake_plex_between_tests("fake")


# ------------------------------------------------------------------------------ shapes vs real captures


REAL = real_key_types()


def test_album_listing_keys_and_types_match_real_captures(fake: FakePlex) -> None:
    items = container(get(fake, f"/library/sections/{SID}/all", params={"type": 9, "includeGuids": 1}))["Metadata"]
    assert len(items) == 300
    problems = sorted({p for item in items for p in shape_problems(item, REAL)})
    assert problems == []
    emitted = {key for item in items for key in item}
    # The emulator exercises the optional fields real servers send now and then.
    assert {"originalTitle", "duration", "leafCount", "Guid", "titleSort"} - emitted == {"titleSort"}
    assert {"parentTitle", "studio", "updatedAt", "year"} <= emitted


def test_album_listing_container_keys_exist_in_real_captures(fake: FakePlex) -> None:
    real_keys = set(fixture_json("pms-json/library-section-all-type9-albums.json")["MediaContainer"])
    real_keys |= set(fixture_json("pms-json/library-section-all-paged.json")["MediaContainer"])
    for name in ("children_300.xml", "library_music_size.xml"):
        real_keys |= set(ET.fromstring(fixture_bytes(f"pms-xml/{name}")).attrib)
    paged = container(
        get(
            fake,
            f"/library/sections/{SID}/all",
            params={"type": 9, "X-Plex-Container-Start": 0, "X-Plex-Container-Size": 5},
        )
    )
    assert set(paged) - {"Metadata"} <= real_keys


def test_metadata_and_tracks_keys_and_types_match_real_captures(fake: FakePlex) -> None:
    album = next(a for a in fake.albums() if a.track_count > 1 and a.extra_guids)
    (detail,) = container(get(fake, f"/library/metadata/{album.rating_key}"))["Metadata"]
    assert shape_problems(detail, REAL) == []
    assert detail["Guid"] == [{"id": album.extra_guids[0]}]
    assert detail["librarySectionID"] == 4 and detail["leafCount"] == album.track_count
    tracks = container(get(fake, f"/library/metadata/{album.rating_key}/children"))["Metadata"]
    assert len(tracks) == album.track_count
    assert sorted({p for t in tracks for p in shape_problems(t, REAL)}) == []
    assert sum(t["duration"] for t in tracks) == album.true_duration
    (artist,) = container(get(fake, f"/library/metadata/{album.artist_key}"))["Metadata"]
    assert artist["type"] == "artist" and shape_problems(artist, REAL) == []
    (track,) = container(get(fake, f"/library/metadata/{track_key(album.rating_key, 2)}"))["Metadata"]
    assert track["type"] == "track" and track["index"] == 2


def test_sections_have_exactly_the_real_keys_and_types(fake: FakePlex) -> None:
    directories = container(get(fake, "/library/sections"))["Directory"]
    assert [d["title"] for d in directories] == ["Movies", "Music", "Audiobooks"]
    for entry in directories:
        assert set(entry) == set(REAL["section"])
        assert shape_problems(entry, REAL, "section") == []
        assert shape_problems(entry["Location"][0], REAL, "section.Location") == []


@pytest.mark.parametrize(
    ("path", "spec_path", "params"),
    [
        ("/identity", "/identity", {}),
        ("/", "/", {}),
        ("/library/sections", "/library/sections/all", {}),
        (f"/library/sections/{SID}/all", "/library/sections/{sectionId}/all", {"type": 9, "includeGuids": 1}),
        (
            f"/library/sections/{SID}/all",
            "/library/sections/{sectionId}/all",
            {"X-Plex-Container-Start": 0, "X-Plex-Container-Size": 3},
        ),
        ("/library/metadata/{album}", "/library/metadata/{ids}", {}),
        ("/library/metadata/{album}/children", "/library/metadata/{ids}", {}),
    ],
)
def test_json_answers_validate_against_the_pms_openapi_spec(
    fake: FakePlex, path: str, spec_path: str, params: dict[str, Any]
) -> None:
    path = path.replace("{album}", str(fake.albums()[5].rating_key))
    body = get(fake, path, params=params).json()
    problems = _normalised(schema_problems(body, openapi_schema(spec_path)))
    # The spec idealises a few types; only divergences the real captures share are accepted.
    assert problems - REAL_SPEC_DIVERGENCES == set()


def _normalised(problems: list[str]) -> set[str]:
    return {re.sub(r"\[\d+\]", "[]", p) for p in problems}


def _real_divergences() -> set[str]:
    found: set[str] = set()
    for name, spec in (
        ("pms-json/library-section-all-type9-albums.json", "/library/sections/{sectionId}/all"),
        ("pms-json/library-section-all-paged.json", "/library/sections/{sectionId}/all"),
        ("pms-json/library-metadata-item.json", "/library/metadata/{ids}"),
    ):
        found |= _normalised(schema_problems(fixture_json(name), openapi_schema(spec)))
    for pair, spec in (
        ("sections_get_200", "/library/sections/all"),
        ("library_movie_get_200", "/library/sections/{sectionId}/all"),
        ("library_episodes_get_200", "/library/sections/{sectionId}/all"),
    ):
        found |= _normalised(schema_problems(recorded_pair(pair)["response"]["body"], openapi_schema(spec)))
    return found


REAL_SPEC_DIVERGENCES = _real_divergences()


def test_the_spec_divergences_are_few_and_known() -> None:
    known = {
        "$.MediaContainer.Directory[].hidden: integer where the spec says ['boolean']",
        "$.MediaContainer.Metadata[].Guid[].id: string where the spec says ['integer']",
        "$.MediaContainer.Metadata[].Media[].optimizedForStreaming: integer where the spec says ['boolean']",
    }
    assert known == REAL_SPEC_DIVERGENCES


def test_identity_matches_the_spec_example_shape(fake: FakePlex) -> None:
    body = get(fake, "/identity", token=None).json()["MediaContainer"]
    assert {k: json_type(v) for k, v in body.items()} == {
        "size": "integer",
        "claimed": "boolean",
        "machineIdentifier": "string",
        "version": "string",
    }
    assert body["machineIdentifier"] == fake.machine_identifier


def test_plex_tv_user_and_resources_have_the_real_shapes(fake: FakePlex) -> None:
    real_user = fixture_json("plextv-json/api-v2-user.json")
    user = requests.get(f"{fake.url}/api/v2/user", headers=tv_headers(fake.token), timeout=5).json()
    for key, value in user.items():
        assert key in real_user, key
        if value is not None and real_user[key] is not None:
            assert json_type(value) == json_type(real_user[key]), key
    real_resources = fixture_json("plextv-json/api-v2-resources.json")
    resources = requests.get(
        f"{fake.url}/api/v2/resources",
        params={"includeHttps": 1, "includeRelay": 1},
        headers=tv_headers(fake.token),
        timeout=5,
    ).json()
    assert isinstance(resources, list)  # a top-level array, not a MediaContainer
    real_connection_keys = set(real_resources[0]["connections"][0])
    for entry in resources:
        assert set(entry) == set(real_resources[0])
        for connection in entry["connections"]:
            assert set(connection) == real_connection_keys


# ------------------------------------------------------------------------------ formats, errors, paging


def test_xml_by_default_json_on_accept(fake: FakePlex) -> None:
    xml = get(fake, f"/library/sections/{SID}/all", as_json=False, params={"type": 9, "X-Plex-Container-Size": 2})
    assert xml.headers["Content-Type"].startswith("text/xml") and xml.headers["X-Plex-Protocol"] == "1.0"
    root = ET.fromstring(xml.content)
    assert root.tag == "MediaContainer" and root.attrib["totalSize"] == "300"
    albums = list(root)
    assert [(e.tag, e.attrib["type"]) for e in albums] == [("Directory", "album")] * 2
    js = get(fake, f"/library/sections/{SID}/all", params={"type": 9, "X-Plex-Container-Size": 2})
    assert js.headers["Content-Type"] == "application/json"
    assert [m["ratingKey"] for m in js.json()["MediaContainer"]["Metadata"]] == [e.attrib["ratingKey"] for e in albums]


def test_xml_tracks_are_track_elements_with_media_parts(fake: FakePlex) -> None:
    album = next(a for a in fake.albums() if a.track_count > 1)
    root = ET.fromstring(get(fake, f"/library/metadata/{album.rating_key}/children", as_json=False).content)
    tracks = root.findall("Track")
    assert len(tracks) == album.track_count
    files = [p.attrib["file"] for p in root.iter("Part")]
    assert len(files) == album.track_count and all(f.startswith("/data/audiobooks/") for f in files)


def test_xml_only_server_ignores_accept() -> None:
    with FakePlex(items=5, xml_only=True) as server:
        answer = get(server, "/library/sections")
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert ET.fromstring(answer.content).tag == "MediaContainer"


def test_missing_or_wrong_token_gets_the_real_401_page(fake: FakePlex) -> None:
    real = recorded_pair("sections_get_401")["response"]
    for token in (None, "wrong"):
        answer = get(fake, "/library/sections", token=token)
        assert answer.status_code == 401
        assert answer.text == real["body"]
        assert answer.headers["Content-Type"].startswith("text/html")
        assert answer.headers["X-Plex-Protocol"] == "1.0"
    assert get(fake, "/identity", token=None).status_code == 200  # /identity is open


def test_token_in_the_query_string_works_and_is_not_logged(fake: FakePlex) -> None:
    answer = requests.get(f"{fake.url}/library/sections?X-Plex-Token={fake.token}", timeout=5)
    assert answer.status_code == 200
    assert all(fake.token not in r.query for r in fake.request_log)


@pytest.mark.parametrize(
    "params",
    [
        {"X-Plex-Container-Size": "ten"},
        {"X-Plex-Container-Start": "-1", "X-Plex-Container-Size": "5"},
        {"type": "album"},
        {"type": 9, "sort": "colour:desc"},
        {"type": 77},
    ],
)
def test_bad_parameters_are_400(fake: FakePlex, params: dict[str, Any]) -> None:
    answer = get(fake, f"/library/sections/{SID}/all", params=params)
    assert answer.status_code == 400 and "400 Bad Request" in answer.text


def test_bad_paging_header_is_400(fake: FakePlex) -> None:
    answer = get(fake, f"/library/sections/{SID}/all", headers={"X-Plex-Container-Size": "x"})
    assert answer.status_code == 400


@pytest.mark.parametrize(
    "path", ["/library/metadata/99999999", "/library/metadata/abc", "/library/sections/9/all", "/nope"]
)
def test_unknown_things_are_404(fake: FakePlex, path: str) -> None:
    assert get(fake, path).status_code == 404


def test_paging_attributes_only_when_paging_was_asked(fake: FakePlex) -> None:
    path = f"/library/sections/{SID}/all"
    unpaged = get(fake, path, params={"type": 9})
    body = container(unpaged)
    assert "totalSize" not in body and "offset" not in body and body["size"] == 300
    assert "X-Plex-Container-Total-Size" not in unpaged.headers
    for kwargs in (
        {"params": {"type": 9, "X-Plex-Container-Start": 290, "X-Plex-Container-Size": 25}},
        {"params": {"type": 9}, "headers": {"X-Plex-Container-Start": "290", "X-Plex-Container-Size": "25"}},
    ):
        paged = get(fake, path, **kwargs)
        body = container(paged)
        assert (body["size"], body["totalSize"], body["offset"]) == (10, 300, 290)
        assert paged.headers["X-Plex-Container-Total-Size"] == "300"
        assert paged.headers["X-Plex-Container-Start"] == "290"
    count = container(get(fake, path, params={"type": 9, "X-Plex-Container-Start": 0, "X-Plex-Container-Size": 0}))
    assert count["size"] == 0 and count["totalSize"] == 300 and "Metadata" not in count


def test_sorting_and_title_filter(fake: FakePlex) -> None:
    path = f"/library/sections/{SID}/all"
    newest = container(get(fake, path, params={"type": 9, "sort": "addedAt:desc", "X-Plex-Container-Size": 20}))
    added = [m["addedAt"] for m in newest["Metadata"]]
    assert added == sorted(added, reverse=True)
    plexapi_style = container(
        get(fake, path, params={"type": 9, "sort": "album.addedAt:desc", "X-Plex-Container-Size": 20})
    )
    assert [m["ratingKey"] for m in plexapi_style["Metadata"]] == [m["ratingKey"] for m in newest["Metadata"]]
    by_title = container(get(fake, path, params={"type": 9}))["Metadata"]
    sort_keys = [m.get("titleSort", m["title"]).lower().removeprefix("the ").removeprefix("a ") for m in by_title]
    assert sort_keys[:5] == sorted(sort_keys)[:5]
    accented = next(a for a in fake.albums() if any(ord(c) > 127 and c.isalpha() for c in a.title))
    word = next(w for w in accented.title.split() if any(ord(c) > 127 for c in w))
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()  # "Húrin" -> "Hurin"
    for needle in (word, plain.upper()):  # Plex's title filter ignores case and accents
        found = container(get(fake, path, params={"type": 9, "title": needle}))["Metadata"]
        assert str(accented.rating_key) in {m["ratingKey"] for m in found}
        assert len(found) < 300


def test_include_guids_adds_guid_children_only_when_asked(fake: FakePlex) -> None:
    album = next(a for a in fake.albums() if a.extra_guids)
    path = f"/library/sections/{SID}/all"
    without = {m["ratingKey"]: m for m in container(get(fake, path, params={"type": 9}))["Metadata"]}
    with_guids = {
        m["ratingKey"]: m for m in container(get(fake, path, params={"type": 9, "includeGuids": 1}))["Metadata"]
    }
    assert "Guid" not in without[str(album.rating_key)]
    assert with_guids[str(album.rating_key)]["Guid"] == [{"id": g} for g in album.extra_guids]


def test_refresh_records_calls_and_thumbs_are_png(fake: FakePlex) -> None:
    assert get(fake, f"/library/sections/{SID}/refresh", params={"path": "/data/audiobooks/X Y"}).status_code == 200
    assert fake.refresh_calls == [(SID, "/data/audiobooks/X Y")]
    album = fake.albums()[0]
    thumb = get(fake, f"/library/metadata/{album.rating_key}/thumb/{album.added_at}", as_json=False)
    assert thumb.headers["Content-Type"] == "image/png" and thumb.content.startswith(b"\x89PNG")
    assert get(fake, f"/library/metadata/{album.rating_key}/thumb/1", token=None).status_code == 401


def test_recently_added_endpoints(fake: FakePlex) -> None:
    section = container(get(fake, f"/library/sections/{SID}/recentlyAdded"))
    assert section["size"] == 50
    everywhere = container(get(fake, "/library/recentlyAdded", params={"X-Plex-Container-Size": 400}))
    assert everywhere["totalSize"] == 312  # 300 books and 12 music albums
    added = [m["addedAt"] for m in everywhere["Metadata"]]
    assert added == sorted(added, reverse=True)


# ------------------------------------------------------------------------------ mutation hooks


def test_add_update_remove_albums() -> None:
    with FakePlex(items=10, seed=4) as server:
        key = server.add_album("The New Book", "Ann Author", narrator="Ned Narrator", asin="B0TESTASIN", year=2024)
        listed = {
            m["ratingKey"]: m
            for m in container(get(server, f"/library/sections/{SID}/all", params={"type": 9}))["Metadata"]
        }
        item = listed[key]
        assert item["guid"] == "com.plexapp.agents.audnexus://B0TESTASIN_us?lang=en"
        assert (item["title"], item["parentTitle"], item["originalTitle"], item["year"]) == (
            "The New Book",
            "Ann Author",
            "Ned Narrator",
            2024,
        )
        before = item["updatedAt"]
        server.update_album(key, guid="plex://album/abc123", title="The Renamed Book")
        (detail,) = container(get(server, f"/library/metadata/{key}"))["Metadata"]
        assert detail["guid"] == "plex://album/abc123" and detail["title"] == "The Renamed Book"
        assert detail["updatedAt"] > before
        local = server.add_album("Unmatched", "Someone")
        assert server.album(local).guid == f"local://{local}"
        server.remove_album(key)
        assert get(server, f"/library/metadata/{key}").status_code == 404
        count = container(get(server, f"/library/sections/{SID}/all", params={"type": 9, "X-Plex-Container-Size": 0}))
        assert count["totalSize"] == 11
        music = server.add_album("Extra Album", "Band", section_id="2")
        assert server.album(music).section_id == 2


def test_request_log_is_bounded(fake: FakePlex) -> None:
    assert fake.request_log.maxlen is not None and fake.request_log.maxlen <= 100_000
    get(fake, "/identity", params={"a": "b"})
    assert fake.request_log[-1] == ("GET", "/identity", "a=b")


# ------------------------------------------------------------------------------ plex.tv half


def test_pin_flow_over_http(fake: FakePlex) -> None:
    missing = requests.post(f"{fake.url}/api/v2/pins", params={"strong": "true"}, timeout=5)
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == 1000
    created = requests.post(f"{fake.url}/api/v2/pins", params={"strong": "true"}, headers=tv_headers(), timeout=5)
    assert created.status_code == 201
    pin = created.json()
    assert len(pin["code"]) == 25 and pin["expiresIn"] == 1800 and pin["authToken"] is None
    assert pin["clientIdentifier"] == "fakeplex-test"
    polled = requests.get(f"{fake.url}/api/v2/pins/{pin['id']}", headers=tv_headers(), timeout=5).json()
    assert polled["authToken"] is None
    fake.approve_pin(pin["id"], "owner")
    polled = requests.get(f"{fake.url}/api/v2/pins/{pin['id']}", headers=tv_headers(), timeout=5).json()
    assert polled["authToken"] == fake.token
    fake.expire_pin(pin["id"])
    gone = requests.get(f"{fake.url}/api/v2/pins/{pin['id']}", headers=tv_headers(), timeout=5)
    assert gone.status_code == 404
    assert gone.json() == {"errors": [{"code": 1020, "message": "Code not found or expired", "status": 404}]}


def test_resources_per_user_over_http(fake: FakePlex) -> None:
    def servers(token: str) -> dict[str, dict[str, Any]]:
        answer = requests.get(f"{fake.url}/api/v2/resources", headers=tv_headers(token), timeout=5)
        return {r["clientIdentifier"]: r for r in answer.json() if "server" in r["provides"]}

    mine = servers(fake.owner.token)[fake.machine_identifier]
    assert mine["owned"] is True and mine["accessToken"] == fake.token and mine["ownerId"] is None
    shared = servers(fake.shared_user.token)[fake.machine_identifier]
    assert shared["owned"] is False and shared["ownerId"] == fake.owner.id
    assert shared["accessToken"] == fake.shared_user.server_token
    assert fake.machine_identifier not in servers(fake.stranger.token)
    assert len(servers(fake.stranger.token)) == 1  # only the unrelated server


def test_plex_tv_user_401(fake: FakePlex) -> None:
    answer = requests.get(f"{fake.url}/api/v2/user", headers=tv_headers("nope"), timeout=5)
    assert answer.status_code == 401 and answer.json()["errors"][0]["code"] == 1001


# ------------------------------------------------------------------------------ generation and speed


def test_generation_is_deterministic_and_varied() -> None:
    a, b, c = FakeLibrary(2000, 5), FakeLibrary(2000, 5), FakeLibrary(2000, 6)
    books = [x for x in a.albums.values() if x.section_id == 4]
    assert [(x.title, x.author, x.guid) for x in books] == [
        (x.title, x.author, x.guid) for x in b.albums.values() if x.section_id == 4
    ]
    assert [x.title for x in books] != [x.title for x in c.albums.values() if x.section_id == 4]
    assert len({x.rating_key for x in books}) == 2000
    schemes = [x.guid.split("://")[0] for x in books]
    asin_share = schemes.count("com.plexapp.agents.audnexus") / len(books)
    assert 0.55 < asin_share < 0.65 and "plex" in schemes and "local" in schemes
    titles = [x.title for x in books]
    assert any("(Unabridged)" in t for t in titles) and any(": A Novel" in t for t in titles)
    assert any(", Book " in t for t in titles)
    assert any(any(ord(ch) > 0x1F000 for ch in t) for t in titles)  # a rare emoji
    assert any(any(ch in "éöøüčł" for ch in (x.author or "")) for x in books)  # diacritics
    assert any(x.author is None for x in books) and any(x.narrator for x in books)
    assert any(x.duration is None for x in books) and any((x.duration or 0) > 2**31 for x in books)
    assert min(x.added_at for x in books) < 1_500_000_000 < max(x.added_at for x in books)


def test_a_100k_library_is_generated_whole_and_pages_cleanly() -> None:
    """Scale check (speed is measured by bench/, not here): 100,000 books, paged without gaps."""
    with FakePlex(items=100_000) as big:
        assert sum(1 for a in big.library.albums.values() if a.section_id == 4) == 100_000
        path = f"/library/sections/{SID}/all"
        params = {"type": 9, "includeGuids": 1, "X-Plex-Container-Size": 500}
        first = container(get(big, path, params={**params, "X-Plex-Container-Start": 0}))
        last = container(get(big, path, params={**params, "X-Plex-Container-Start": 99_500}))
        assert len(first["Metadata"]) == len(last["Metadata"]) == 500
        assert first["totalSize"] == last["totalSize"] == 100_000 and last["offset"] == 99_500
        assert not {m["ratingKey"] for m in first["Metadata"]} & {m["ratingKey"] for m in last["Metadata"]}


# ------------------------------------------------------------------------------ command line


def test_module_entry_point_prints_how_to_reach_it() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "plexbooks_plugin.fakeplex", "--port", "0", "--items", "5", "--token", "cli-token"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        output = "".join(lines)
        assert "admin token:        cli-token" in output and "machine identifier:" in output
        url = output.split(" at ", 1)[1].split(" ", 1)[0]
        assert requests.get(f"{url}/identity", timeout=5).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
