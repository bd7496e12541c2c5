"""Real households in the emulator: a second audiobook library, a music library of songs, Plex Home profiles."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from plexbooks_plugin.fakeplex import FakePlex
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from tests.fakeplex_http import container, get, tv_headers
from tests.plex_conftest_helpers import fixture_json, real_key_types, shape_problems

os.environ.setdefault("PLEXAPI_HEADER_IDENTIFIER", "plexbooks-tests")
from plexapi.server import PlexServer

fake = module_fake_plex(items=30, seed=4, second_audiobooks=12)
_reset = reset_fake_plex_between_tests("fake")


# ------------------------------------------------------------------------------ libraries


def test_the_second_library_is_opt_in_and_leaves_the_first_alone(fake: FakePlex) -> None:
    with FakePlex(items=30, seed=4) as plain:
        assert plain.second_audiobook_section_id is None
        assert [s.id for s in plain.sections] == [1, 2, 4]
        first = [(a.rating_key, a.title, a.guid) for a in plain.albums()]
    assert [(a.rating_key, a.title, a.guid) for a in fake.albums()] == first
    assert fake.second_audiobook_section_id == "5"
    directories = container(get(fake, "/library/sections"))["Directory"]
    kids = next(d for d in directories if d["key"] == "5")
    assert (kids["type"], kids["agent"], kids["title"]) == ("artist", "com.plexapp.agents.audnexus", "Kids Audiobooks")
    assert [loc["path"] for loc in kids["Location"]] == ["/data/kids-audiobooks", "/mnt/disk2/kids-audiobooks"]
    assert len({loc["id"] for d in directories for loc in d["Location"]}) == 5  # location ids are unique


def test_the_second_library_holds_its_own_books(fake: FakePlex) -> None:
    listing = container(get(fake, "/library/sections/5/all", params={"type": 9}))
    assert listing["size"] == 12 and listing["librarySectionID"] == 5
    books = fake.albums(5)
    assert {b.section_id for b in books} == {5}
    assert not {b.rating_key for b in books} & {a.rating_key for a in fake.albums()}
    (detail,) = container(get(fake, f"/library/metadata/{books[0].rating_key}"))["Metadata"]
    assert detail["librarySectionID"] == 5
    tracks = container(get(fake, f"/library/metadata/{books[0].rating_key}/children"))["Metadata"]
    assert tracks[0]["Media"][0]["Part"][0]["file"].startswith("/data/kids-audiobooks/")
    key = fake.add_album("The Gruffalo", "Julia Donaldson", section_id=fake.second_audiobook_section_id)
    assert fake.album(key).section_id == 5
    everywhere = container(get(fake, "/library/recentlyAdded", params={"X-Plex-Container-Size": 0}))
    assert everywhere["totalSize"] == 30 + 12 + 1 + 12  # both audiobook libraries and the music albums
    fake.remove_album(key)


def test_the_music_library_holds_albums_of_short_songs(fake: FakePlex) -> None:
    music = next(d for d in container(get(fake, "/library/sections"))["Directory"] if d["key"] == fake.songs_section_id)
    assert music["agent"] == "tv.plex.agents.music"
    album = fake.albums(fake.songs_section_id)[0]
    songs = container(get(fake, f"/library/metadata/{album.rating_key}/children"))["Metadata"]
    assert len(songs) == album.track_count >= 8
    real = real_key_types()
    assert [p for song in songs for p in shape_problems(song, real)] == []
    assert all(not s["title"].startswith("Part ") for s in songs)
    assert all(s["duration"] <= 10 * 60_000 for s in songs)  # minutes, not hours
    first = songs[0]["Media"][0]["Part"][0]["file"]
    assert first.startswith("/data/music/") and first.endswith(f"/01 - {songs[0]['title']}.flac")
    book = next(a for a in fake.albums() if a.track_count > 1)
    parts = container(get(fake, f"/library/metadata/{book.rating_key}/children"))["Metadata"]
    assert parts[0]["title"] == "Part 01"
    added = fake.add_album("New Songs", "A Band", section_id=fake.songs_section_id, track_count=3)
    assert fake.album(added).music and not fake.album(fake.add_album("A Book", "An Author")).music


def test_python_plexapi_sees_both_audiobook_libraries(fake: FakePlex) -> None:
    plex = PlexServer(fake.url, fake.token, timeout=10)
    kids = plex.library.sectionByID(5)
    assert kids.locations == ["/data/kids-audiobooks", "/mnt/disk2/kids-audiobooks"]
    assert len(kids.albums()) == len(fake.albums(5))
    assert [s.title for s in plex.library.sections()] == ["Movies", "Music", "Audiobooks", "Kids Audiobooks"]


# ------------------------------------------------------------------------------ Plex Home


def home_users(server: FakePlex, token: str) -> dict[str, Any]:
    answer = requests.get(f"{server.url}/api/v2/home/users", headers=tv_headers(token), timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def switch(server: FakePlex, token: str, uuid: str, **kwargs: Any) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v2/home/users/{uuid}/switch", headers=tv_headers(token), timeout=5, **kwargs
    )


def test_home_users_lists_the_admin_and_the_managed_profiles(fake: FakePlex) -> None:
    home = home_users(fake, fake.owner.token)
    assert set(home) == {"id", "name", "guestUserID", "guestUserUUID", "guestEnabled", "subscription", "users"}
    users = home["users"]
    assert [(u["title"], u["admin"], u["protected"]) for u in users] == [
        ("plexowner", True, False),
        ("Kids", False, False),
        ("Teen", False, True),
    ]
    assert set(users[0]) == {
        "id", "uuid", "title", "username", "email", "friendlyName", "thumb", "hasPassword", "restricted",
        "updatedAt", "restrictionProfile", "admin", "guest", "protected",
    }
    kid = users[1]
    assert (kid["username"], kid["email"], kid["restricted"], kid["uuid"]) == (None, None, True, fake.kid_profile.uuid)
    assert [u["title"] for u in home_users(fake, fake.shared_user.token)["users"]] == ["sharedreader"]
    assert [u["title"] for u in home_users(fake, fake.stranger.token)["users"]] == ["stranger", "Neighbour Kid"]
    denied = requests.get(f"{fake.url}/api/v2/home/users", headers=tv_headers("bogus"), timeout=5)
    assert denied.status_code == 401 and denied.json()["errors"][0]["code"] == 1001


def test_switching_to_a_profile_without_pin_gives_its_own_token(fake: FakePlex) -> None:
    answer = switch(fake, fake.owner.token, fake.kid_profile.uuid)
    assert answer.status_code == 201
    profile = answer.json()
    assert set(profile) <= set(fixture_json("plextv-json/api-v2-user.json"))
    assert (profile["uuid"], profile["authToken"], profile["restricted"]) == (
        fake.kid_profile.uuid, fake.kid_profile.token, True
    )
    assert profile["authToken"] != fake.owner.token
    me = requests.get(f"{fake.url}/api/v2/user", headers=tv_headers(profile["authToken"]), timeout=5).json()
    assert (me["title"], me["home"], me["homeAdmin"], me["homeSize"]) == ("Kids", True, False, 3)
    resources = requests.get(f"{fake.url}/api/v2/resources", headers=tv_headers(profile["authToken"]), timeout=5)
    ours = next(r for r in resources.json() if r["clientIdentifier"] == fake.machine_identifier)
    assert (ours["owned"], ours["home"], ours["ownerId"]) == (False, True, fake.owner.id)
    assert ours["accessToken"] == fake.kid_profile.server_token != fake.token
    assert get(fake, "/library/sections", token=ours["accessToken"]).status_code == 200


def test_a_protected_profile_needs_its_pin(fake: FakePlex) -> None:
    teen = fake.teen_profile.uuid
    refused = {"errors": [{"code": 1041, "message": "A valid PIN is required to perform this action", "status": 403}]}
    for kwargs in ({}, {"params": {"pin": "0000"}}, {"json": {"pin": "1111"}}):
        answer = switch(fake, fake.owner.token, teen, **kwargs)
        assert (answer.status_code, answer.json()) == (403, refused)
    pin = fake.home_pin
    for kwargs in ({"params": {"pin": pin}}, {"data": {"pin": pin}}, {"json": {"pin": pin}}):
        answer = switch(fake, fake.owner.token, teen, **kwargs)
        assert answer.status_code == 201 and answer.json()["authToken"] == fake.teen_profile.token
    assert switch(fake, fake.owner.token, fake.kid_profile.uuid, params={"pin": "9999"}).status_code == 201


def test_another_homes_profile_cannot_reach_this_server(fake: FakePlex) -> None:
    other = fake.other_home_profile
    assert switch(fake, fake.owner.token, other.uuid).status_code == 404  # not in the owner's Home
    answer = switch(fake, fake.stranger.token, other.uuid)
    assert answer.status_code == 201
    token = answer.json()["authToken"]
    resources = requests.get(f"{fake.url}/api/v2/resources", headers=tv_headers(token), timeout=5).json()
    assert fake.machine_identifier not in {r["clientIdentifier"] for r in resources}
    assert get(fake, "/library/sections", token=other.server_token).status_code == 401


def test_profiles_added_by_hook_and_the_sign_in_page(fake: FakePlex) -> None:
    nan = fake.add_home_user("Grandma", pin="1357")
    assert switch(fake, fake.owner.token, nan.uuid).status_code == 403
    assert switch(fake, fake.owner.token, nan.uuid, params={"pin": "1357"}).json()["title"] == "Grandma"
    page = requests.get(f"{fake.url}/auth", timeout=5).text
    assert "plexowner" in page and "Kids" not in page and "Grandma" not in page  # profiles have no plex.tv login


@pytest.mark.parametrize("method", ["get", "put"])
def test_switch_is_post_only(fake: FakePlex, method: str) -> None:
    url = f"{fake.url}/api/v2/home/users/{fake.kid_profile.uuid}/switch"
    answer = requests.request(method, url, headers=tv_headers(fake.token), timeout=5)
    assert answer.status_code == 405
