"""python-plexapi against the emulator: the library, artists' albums, hub search, nothing it trips on."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from plexbooks_plugin.fakeplex import FakePlex
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from tests.fakeplex_http import container, get
from tests.plex_conftest_helpers import loopback_only, real_key_types, shape_problems

os.environ.setdefault("PLEXAPI_HEADER_IDENTIFIER", "plexbooks-tests")
from plexapi.audio import Album, Artist
from plexapi.server import PlexServer

SID = "4"

fake = module_fake_plex(items=300, seed=11)
_reset = reset_fake_plex_between_tests("fake")


@pytest.fixture(scope="module")
def plex(fake: FakePlex) -> Iterator[PlexServer]:
    """python-plexapi connected to the emulator."""
    with loopback_only() as refused:
        yield PlexServer(fake.url, fake.token, timeout=10)
    assert refused == []


def test_python_plexapi_sees_a_real_server(fake: FakePlex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEXAPI_HEADER_IDENTIFIER", "plexbooks-tests")
    from plexapi.audio import Album, Track
    from plexapi.server import PlexServer

    with loopback_only() as refused:
        server = PlexServer(fake.url, fake.token, timeout=10)
        assert server.friendlyName == "Fake Plex" and server.machineIdentifier == fake.machine_identifier
        sections = server.library.sections()
        assert [s.title for s in sections] == ["Movies", "Music", "Audiobooks"]
        books = server.library.sectionByID(int(fake.music_section_id))
        assert books.locations == ["/data/audiobooks"]
        albums = books.searchAlbums()
        assert len(albums) == 300 and all(isinstance(a, Album) for a in albums)
        assert len(books.albums()) == 300
        recent = books.recentlyAddedAlbums(maxresults=5)
        assert [a.addedAt for a in recent] == sorted((a.addedAt for a in recent), reverse=True)
        assert len(books.recentlyAdded()) > 0  # artists, sorted by plexapi-validated sort
        album = server.fetchItem(int(albums[0].ratingKey))
        assert isinstance(album, Album) and album.title == albums[0].title
        tracks = album.tracks()
        assert tracks and all(isinstance(t, Track) for t in tracks)
        assert tracks[0].media[0].parts[0].file.startswith("/data/audiobooks/")
        assert books.search(title="the", libtype="album")
        books.update(path="/data/audiobooks/New")
    assert refused == []
    assert fake.refresh_calls[-1] == (SID, "/data/audiobooks/New")


def test_artist_albums_are_only_that_artists(fake: FakePlex, plex: PlexServer) -> None:
    books = plex.library.sectionByID(int(fake.music_section_id))
    by_artist: dict[int, int] = {}
    for album in fake.albums():
        by_artist[album.artist_key] = by_artist.get(album.artist_key, 0) + 1
    busiest = max(by_artist, key=lambda k: by_artist[k])
    artist = plex.fetchItem(busiest)
    assert isinstance(artist, Artist)
    albums = artist.albums()
    assert 1 < len(albums) == by_artist[busiest] < 300
    assert {a.parentRatingKey for a in albums} == {busiest}
    assert fake.requests_to(f"/library/sections/{SID}/all")[-1].query.endswith(f"artist.id={busiest}")
    assert len(books.albums()) == 300


def test_no_artist_has_an_empty_title(fake: FakePlex, plex: PlexServer) -> None:
    artists = plex.library.sectionByID(int(fake.music_section_id)).all()
    assert artists and all(a.title for a in artists)
    untagged = [a for a in artists if a.title == "[Unknown Artist]"]
    assert len(untagged) == 1 and untagged[0].albums()  # the books without an author tag live here


def test_server_search_returns_hubs_of_albums_and_artists(fake: FakePlex, plex: PlexServer) -> None:
    everything = plex.search("the")
    kinds = {type(item) for item in everything}
    assert kinds == {Album, Artist}
    albums = plex.search("the", mediatype="album")
    assert len(albums) == 10 and all("the" in a.title.lower() for a in albums)
    hub = next(h for h in plex.fetchItems("/hubs/search?query=the") if h.type == "album")
    expected = sum(1 for a in fake.library.albums.values() if "the" in a.title.lower())
    assert hub.more and len(hub.items()) == expected  # `more`: plexapi loads the hub's key (every match)
    only_books = plex.search("the", mediatype="album", sectionId=int(fake.music_section_id), limit=500)
    assert {a.librarySectionID for a in only_books} == {int(fake.music_section_id)}
    assert plex.search("zzzz-nothing-matches") == []


def test_hub_search_shapes_in_json_and_xml(fake: FakePlex) -> None:
    hubs = container(get(fake, "/hubs/search", params={"query": "the", "limit": 2}))["Hub"]
    assert [(h["type"], h["size"]) for h in hubs] == [("artist", 2), ("album", 2)]
    assert all(m["type"] == h["type"] for h in hubs for m in h["Metadata"])
    real = real_key_types()
    assert [p for h in hubs for m in h["Metadata"] for p in shape_problems(m, real)] == []
    root = ET.fromstring(get(fake, "/hubs/search", as_json=False, params={"query": "the"}).content)
    assert [h.attrib["type"] for h in root.findall("Hub")] == ["artist", "album"]
    assert {e.tag for e in root.iter() if e.attrib.get("type") == "album" and e.tag != "Hub"} == {"Directory"}
    assert get(fake, "/hubs/search", params={"query": "x"}, token=None).status_code == 401
    assert get(fake, "/hubs/search", params={"query": "x", "limit": "many"}).status_code == 400
