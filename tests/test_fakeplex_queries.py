"""The emulator's media-query filters (`addedAt>>=`, `updatedAt<<=`, ANDed) and multi-key metadata look-ups."""

from __future__ import annotations

import time

import pytest

from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.fakeplex.query import BadFilter, Condition, parse_filters
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from tests.fakeplex_http import container, get

SID = "4"
ALL = f"/library/sections/{SID}/all"

fake = module_fake_plex(items=200, seed=21)
_reset = reset_fake_plex_between_tests("fake")


def keys_of(answer: dict[str, object]) -> set[str]:
    return {m["ratingKey"] for m in answer.get("Metadata", [])}  # type: ignore[attr-defined]


def test_added_after_and_before_are_anded_and_strict(fake: FakePlex) -> None:
    added = sorted(a.added_at for a in fake.albums())
    low, high = added[50], added[150]
    # requests encodes the key `addedAt>>` as addedAt%3E%3E, exactly as python-plexapi does.
    found = container(get(fake, ALL, params={"type": 9, "addedAt>>": low, "addedAt<<": high}))
    expected = {str(a.rating_key) for a in fake.albums() if low < a.added_at < high}
    assert keys_of(found) == expected and 0 < len(expected) < 100
    after_only = container(get(fake, ALL, params={"type": 9, "addedAt>>": low}))
    assert keys_of(after_only) == {str(a.rating_key) for a in fake.albums() if a.added_at > low}


def test_updated_filters_use_added_at_when_never_updated(fake: FakePlex) -> None:
    albums = fake.albums()
    assert any(a.updated_at is None for a in albums)  # the generator leaves some without updatedAt
    cut = sorted(a.updated_at or a.added_at for a in albums)[120]
    newer = container(get(fake, ALL, params={"type": 9, "updatedAt>>": cut}))
    assert keys_of(newer) == {str(a.rating_key) for a in albums if (a.updated_at or a.added_at) > cut}
    older = container(get(fake, ALL, params={"type": 9, "updatedAt<<": cut, "addedAt>>": 0}))
    assert keys_of(older) == {str(a.rating_key) for a in albums if (a.updated_at or a.added_at) < cut}


def test_filtered_listing_pages_over_the_filtered_set(fake: FakePlex) -> None:
    cut = sorted(a.added_at for a in fake.albums())[139]
    params = {"type": 9, "addedAt>>": cut, "sort": "addedAt:asc", "X-Plex-Container-Size": 25}
    first = container(get(fake, ALL, params={**params, "X-Plex-Container-Start": 0}))
    second = container(get(fake, ALL, params={**params, "X-Plex-Container-Start": 25}))
    assert first["totalSize"] == second["totalSize"] == 60
    assert len(first["Metadata"]) == 25 and len(second["Metadata"]) == 25
    stamps = [m["addedAt"] for m in first["Metadata"] + second["Metadata"]]
    assert stamps == sorted(stamps) and min(stamps) > cut


def test_artist_listing_honours_the_filters_too(fake: FakePlex) -> None:
    artists = container(get(fake, ALL, params={"type": 8}))["Metadata"]
    cut = sorted(a["addedAt"] for a in artists)[len(artists) // 2]
    newer = container(get(fake, ALL, params={"type": 8, "addedAt>>": cut}))["Metadata"]
    assert newer and all(a["addedAt"] > cut for a in newer)
    assert len(newer) == sum(1 for a in artists if a["addedAt"] > cut)


@pytest.mark.parametrize("params", [{"addedAt>>": "yesterday"}, {"updatedAt<<": ""}, {"id": "1,x"}])
def test_malformed_filter_values_are_400(fake: FakePlex, params: dict[str, str]) -> None:
    assert get(fake, ALL, params={"type": 9, **params}).status_code == 400


def test_relative_dates_and_new_books() -> None:
    with FakePlex(items=20, seed=3) as server:
        key = server.add_album("Brand New", "Nova Writer")
        found = container(get(server, ALL, params={"type": 9, "addedAt>>": "-1h"}))
        assert keys_of(found) == {key}
        server.update_album(server.albums()[0].rating_key, title="Corrected Title")
        changed = container(get(server, ALL, params={"type": 9, "updatedAt>>": "-10m", "addedAt<<": "-1d"}))
        assert [m["title"] for m in changed["Metadata"]] == ["Corrected Title"]


def test_parse_filters_reads_scopes_operators_and_units() -> None:
    now = 1_700_000_000.0
    args = [("album.addedAt>>", "-2d"), ("artist.id", "5,6"), ("updatedAt<<", "+90"), ("type", "9"), ("sort", "x")]
    assert parse_filters(args, "album", now) == [
        Condition("addedAt", ">>", (1_700_000_000 - 2 * 86_400,)),
        Condition("artist.id", "=", (5, 6)),
        Condition("updatedAt", "<<", (1_700_000_090,)),
    ]
    assert parse_filters([("id!", "3")], "artist", now) == [Condition("id", "!=", (3,))]
    assert parse_filters([("addedAt>>", "-1mon")], "album", now)[0].values == (1_700_000_000 - 2_592_000,)
    with pytest.raises(BadFilter):
        parse_filters([("addedAt<<", "soon")], "album", now)


# ------------------------------------------------------------------------------ metadata keys


def test_comma_separated_metadata_keys_return_the_existing_items(fake: FakePlex) -> None:
    a, b, c = (str(x.rating_key) for x in fake.albums()[:3])
    found = container(get(fake, f"/library/metadata/{a},{b},99999999,{c}"))
    assert [m["ratingKey"] for m in found["Metadata"]] == [a, b, c] and found["size"] == 3
    assert get(fake, "/library/metadata/99999998,99999999").status_code == 404


def test_a_deleted_album_is_404_alone_and_left_out_of_a_list() -> None:
    with FakePlex(items=5, seed=8) as server:
        keep, gone = (str(a.rating_key) for a in server.albums()[:2])
        server.remove_album(gone)
        assert get(server, f"/library/metadata/{gone}").status_code == 404
        assert get(server, f"/library/metadata/{gone}/children").status_code == 404
        found = container(get(server, f"/library/metadata/{gone},{keep}"))
        assert [m["ratingKey"] for m in found["Metadata"]] == [keep]


def test_filters_take_a_fresh_clock() -> None:
    """Relative filters are evaluated at request time (not cached with the sort order)."""
    with FakePlex(items=3, seed=9) as server:
        assert keys_of(container(get(server, ALL, params={"type": 9, "addedAt>>": "-5s"}))) == set()
        key = server.add_album("Just Now", "Someone", added_at=int(time.time()))
        assert keys_of(container(get(server, ALL, params={"type": 9, "addedAt>>": "-5s"}))) == {key}
