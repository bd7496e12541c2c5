"""PlexClient against the emulator: every method, JSON and XML, paging, retries and every error path."""

from __future__ import annotations

import logging
import threading
import time
import tracemalloc
from typing import Any

import pytest
import requests

from plexbooks_plugin.errors import ConfigError, PlexAuthError, PlexResponseError, PlexUnreachable
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.fakeplex.library import folder_of
from plexbooks_plugin.plex import PlexClient, PlexHTTPError, PlexNotFound, TokenRedactingFilter, redact
from plexbooks_plugin.plex.parsing import asin_from_guid, common_directory
from plexbooks_plugin.records import PlexAudiobook
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from tests.plex_conftest_helpers import closed_port

ITEMS = 1234
ALL_PATH = "/library/sections/4/all"


# One JSON-capable emulator with 1,234 books, and the same library behind a server that only speaks XML.
fake = module_fake_plex(items=ITEMS, seed=7)
fake_xml = module_fake_plex(items=ITEMS, seed=7, xml_only=True)
_reset = reset_fake_plex_between_tests("fake", "fake_xml")


def make_client(server: FakePlex, token: str | None = None, **kwargs: Any) -> PlexClient:
    """A client with test-friendly timing: no backoff sleeps, short timeouts."""
    options: dict[str, Any] = {"backoff": 0.0, "timeout": (2.0, 10.0)}
    options.update(kwargs)
    return PlexClient(server.url, server.token if token is None else token, **options)


def all_albums(client: PlexClient, section: str, page_size: int | None = None) -> list[PlexAudiobook]:
    return [album for page in client.albums(section, page_size=page_size) for album in page.items]


# ------------------------------------------------------------------------------ happy paths


def test_identity_reports_machine_identifier_version_and_name(fake: FakePlex) -> None:
    ident = make_client(fake).identity()
    assert ident.machine_identifier == fake.machine_identifier
    assert ident.version and ident.version.startswith("1.")
    assert ident.name == "Fake Plex"


def test_identity_without_a_valid_token_still_identifies_but_has_no_name(fake: FakePlex) -> None:
    ident = make_client(fake, token="not-a-token").identity()
    assert ident.machine_identifier == fake.machine_identifier
    assert ident.name is None


def test_sections_json_and_xml_agree_and_carry_locations(fake: FakePlex, fake_xml: FakePlex) -> None:
    json_sections = make_client(fake).sections()
    xml_sections = make_client(fake_xml).sections()
    assert json_sections == xml_sections
    by_id = {s.id: s for s in json_sections}
    assert by_id[fake.music_section_id].title == "Audiobooks"
    assert by_id[fake.music_section_id].type == "artist"
    assert by_id[fake.music_section_id].locations == ("/data/audiobooks",)
    assert {s.type for s in json_sections} == {"movie", "artist"}
    music = make_client(fake).music_sections()
    assert [s.title for s in music] == ["Music", "Audiobooks"]


def test_section_item_count_is_a_size_zero_query(fake: FakePlex) -> None:
    assert make_client(fake).section_item_count(fake.music_section_id) == ITEMS
    (logged,) = fake.requests_to(ALL_PATH)
    assert "X-Plex-Container-Size=0" in logged.query and "type=9" in logged.query


def test_section_item_count_over_xml(fake_xml: FakePlex) -> None:
    assert make_client(fake_xml).section_item_count(fake_xml.music_section_id) == ITEMS


def test_albums_pages_of_500_take_three_requests_and_return_every_album(fake: FakePlex) -> None:
    pages = list(make_client(fake).albums(fake.music_section_id))
    shape = [(p.offset, len(p.items), p.total_size) for p in pages]
    assert shape == [(0, 500, ITEMS), (500, 500, ITEMS), (1000, 234, ITEMS)]
    logged = fake.requests_to(ALL_PATH)
    assert len(logged) == 3
    assert all("includeGuids=1" in r.query and "type=9" in r.query for r in logged)
    keys = [a.rating_key for p in pages for a in p.items]
    assert len(set(keys)) == ITEMS
    assert set(keys) == {str(a.rating_key) for a in fake.albums(fake.music_section_id)}


def test_xml_and_json_yield_identical_records(fake: FakePlex, fake_xml: FakePlex) -> None:
    from_json = all_albums(make_client(fake), fake.music_section_id)
    from_xml = all_albums(make_client(fake_xml), fake_xml.music_section_id)
    assert len(from_json) == ITEMS
    assert from_json == from_xml
    # prefer_json=False asks for XML from the JSON-capable server: same records again.
    assert all_albums(make_client(fake, prefer_json=False), fake.music_section_id, 700) == from_json


def test_album_records_carry_the_fields_plex_has(fake: FakePlex) -> None:
    records = {a.rating_key: a for a in all_albums(make_client(fake), fake.music_section_id)}
    fakes = {str(a.rating_key): a for a in fake.albums()}
    with_asin = next(a for a in fakes.values() if "audnexus://" in a.guid)
    record = records[str(with_asin.rating_key)]
    assert record.asin == with_asin.guid.split("://")[1][:10]
    assert record.guids[0] == with_asin.guid
    assert record.title == with_asin.title and record.author == with_asin.author
    assert record.added_at == with_asin.added_at

    narrated = next(a for a in fakes.values() if a.narrator and a.author)
    assert records[str(narrated.rating_key)].narrator == narrated.narrator

    anonymous = next(a for a in fakes.values() if a.author is None)
    assert records[str(anonymous.rating_key)].author is None

    long_one = next(a for a in fakes.values() if a.duration and a.duration > 2**31)
    assert records[str(long_one.rating_key)].duration == long_one.duration

    no_duration = next(a for a in fakes.values() if a.duration is None)
    assert records[str(no_duration.rating_key)].duration is None

    via_child = next(a for a in fakes.values() if a.extra_guids and a.extra_guids[0].startswith("audible://"))
    child_record = records[str(via_child.rating_key)]
    assert child_record.asin == via_child.extra_guids[0].split("://")[1]
    assert child_record.guids == (via_child.guid, via_child.extra_guids[0])

    local = next(a for a in fakes.values() if a.guid.startswith("local://"))
    assert records[str(local.rating_key)].asin is None
    assert all(r.file_path is None for r in records.values())  # listings carry no paths


def test_unusable_items_are_skipped_and_counted() -> None:
    with FakePlex(items=20, seed=3) as small:
        small.add_album("", "Nobody")  # no title: skipped, not fatal
        small.add_album("A Real Book", "Somebody")
        pages = list(make_client(small).albums(small.music_section_id))
    assert sum(p.skipped for p in pages) == 1
    assert sum(len(p.items) for p in pages) == 21
    assert "A Real Book" in {a.title for p in pages for a in p.items}


def test_albums_pages_carry_their_offset(fake: FakePlex) -> None:
    pages = make_client(fake).albums(fake.music_section_id, page_size=100)
    page = next(p for p in pages if p.offset == 1200)
    pages.close()
    assert page.offset == 1200 and page.total_size == ITEMS and len(page.items) == 34


def test_recently_added_is_newest_first_in_pages_of_ten(fake: FakePlex) -> None:
    pages = make_client(fake).recently_added(fake.music_section_id)
    first = next(pages)
    added = [a.added_at or 0 for a in first.items]
    assert len(added) == 10 and added == sorted(added, reverse=True)
    newest = max(a.added_at for a in fake.albums())
    assert added[0] == newest
    (logged,) = fake.requests_to(ALL_PATH)
    assert "sort=addedAt%3Adesc" in logged.query and "X-Plex-Container-Size=10" in logged.query


def test_recently_added_is_bounded_by_max_pages(fake: FakePlex) -> None:
    pages = list(make_client(fake).recently_added(fake.music_section_id, page_size=5, max_pages=3))
    assert len(pages) == 3
    assert len(fake.requests_to(ALL_PATH)) == 3


def test_refresh_asks_plex_to_scan_one_folder(fake: FakePlex) -> None:
    folder = "/data/audiobooks/Zoë Lefèvre/Das Boot & Co (Unabridged)"
    make_client(fake).refresh(fake.music_section_id, folder)
    make_client(fake).refresh(fake.music_section_id)
    assert fake.refresh_calls == [(fake.music_section_id, folder), (fake.music_section_id, None)]


def test_metadata_adds_the_folder_and_sums_track_durations(fake: FakePlex, fake_xml: FakePlex) -> None:
    album = next(a for a in fake.albums() if a.duration is None and a.track_count > 3)
    for server in (fake, fake_xml):
        record = make_client(server).metadata(album.rating_key)
        assert record.rating_key == str(album.rating_key)
        assert record.duration == album.true_duration  # the sum of its tracks
        assert record.file_path == folder_of(album, "/data/audiobooks")
        assert record.file_path.startswith("/data/audiobooks/")
    single = next(a for a in fake.albums() if a.duration is not None and a.track_count == 1)
    record = make_client(fake).metadata(single.rating_key)
    assert record.duration == single.duration  # the album's own duration wins
    assert record.file_path == folder_of(single, "/data/audiobooks")


def test_metadata_of_an_unknown_key_is_not_found(fake: FakePlex) -> None:
    with pytest.raises(PlexNotFound) as info:
        make_client(fake).metadata("987654")
    assert info.value.status == 404
    assert len(fake.requests_to("/library/metadata/987654")) == 1  # 4xx: no retry


def test_thumb_returns_image_bytes(fake: FakePlex) -> None:
    album = fake.albums()[0]
    record = make_client(fake).metadata(album.rating_key)
    assert record.thumb
    data, content_type = make_client(fake).thumb(record.thumb)
    assert content_type == "image/png" and data.startswith(b"\x89PNG")


def test_thumb_refuses_absolute_urls(fake: FakePlex) -> None:
    with pytest.raises(ValueError):
        make_client(fake).thumb("http://evil.example/steal")
    with pytest.raises(ValueError):
        make_client(fake).thumb("//evil.example/steal")


def test_connection_test_validates_the_token_and_lists_music_libraries(fake: FakePlex) -> None:
    report = make_client(fake).test_connection()
    assert report.machine_identifier == fake.machine_identifier
    assert report.server_name == "Fake Plex" and report.version
    counts = {s.title: s.item_count for s in report.music_libraries}
    assert counts == {"Music": 12, "Audiobooks": ITEMS}
    assert report.as_dict()["music_libraries"][1]["locations"] == ["/data/audiobooks"]


def test_connection_test_refuses_a_bad_token_even_though_identity_answers(fake: FakePlex) -> None:
    with pytest.raises(PlexAuthError):
        make_client(fake, token="wrong-token-123").test_connection()
    assert fake.requests_to("/identity") and fake.requests_to("/library/sections")


def test_token_travels_in_a_header_never_in_the_url(fake: FakePlex) -> None:
    seen: list[requests.PreparedRequest] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request))
    client = make_client(fake, session=session)
    client.sections()
    next(client.albums(fake.music_section_id, page_size=5, max_pages=1))
    client.metadata(fake.albums()[0].rating_key)
    assert len(seen) >= 4
    for sent in seen:
        assert fake.token not in (sent.url or "") and "X-Plex-Token" not in (sent.url or "")
        assert sent.headers["X-Plex-Token"] == fake.token
        assert sent.headers["Accept"] == "application/json"
        assert sent.headers["X-Plex-Product"] == "plexbooks"


def test_bad_base_urls_are_config_errors_and_pasted_tokens_are_dropped() -> None:
    with pytest.raises(ConfigError):
        PlexClient("plex.local:32400", "t")
    client = PlexClient("http://plex.local:32400/?X-Plex-Token=pasted-secret-token", "t")
    assert client.base_url == "http://plex.local:32400"
    assert "pasted-secret-token" not in repr(client)


# ------------------------------------------------------------------------------ retries


def test_5xx_is_retried_then_succeeds(fake: FakePlex) -> None:
    fake.set_fault(503, on_path="/library/sections", count=2)
    assert make_client(fake, retries=2).sections()
    assert len(fake.requests_to("/library/sections")) == 3


def test_5xx_after_all_retries_is_a_response_error_with_status(fake: FakePlex) -> None:
    fake.set_fault(500, on_path="/library/sections")
    with pytest.raises(PlexHTTPError) as info:
        make_client(fake, retries=2).sections()
    assert info.value.status == 500 and "HTTP 500" in str(info.value)
    assert len(fake.requests_to("/library/sections")) == 3


def test_backoff_grows_between_retries(fake: FakePlex) -> None:
    fake.set_fault(502, on_path="/library/sections", count=2)
    started = time.monotonic()
    make_client(fake, retries=2, backoff=0.1).sections()
    assert time.monotonic() - started >= 0.1 + 0.2 - 0.02  # 0.1 s, then 0.2 s


def test_4xx_is_never_retried(fake: FakePlex) -> None:
    client = make_client(fake, retries=3)
    fake.set_fault("unauthorized", on_path="/library/sections", count=1)
    with pytest.raises(PlexAuthError):
        client.sections()
    assert len(fake.requests_to("/library/sections")) == 1
    with pytest.raises(PlexHTTPError) as info:
        client._request("GET", ALL_PATH, {"type": 9, "X-Plex-Container-Size": "ten"})
    assert info.value.status == 400
    assert len(fake.requests_to(ALL_PATH)) == 1


def test_post_is_never_retried(fake: FakePlex) -> None:
    fake.set_fault(503, on_path="/library/sections/4/refresh")
    with pytest.raises(PlexHTTPError):
        make_client(fake, retries=3)._request("POST", "/library/sections/4/refresh")
    assert len(fake.requests_to("/library/sections/4/refresh")) == 1


def test_a_failing_third_page_fails_the_listing(fake: FakePlex) -> None:
    fake.set_fault(500, on_path="/library/sections/*/all", on_page=2)
    pages = make_client(fake, retries=1).albums(fake.music_section_id)
    assert len(next(pages).items) == 500
    assert len(next(pages).items) == 500
    with pytest.raises(PlexHTTPError):
        next(pages)
    starts = [r.query for r in fake.requests_to(ALL_PATH)]
    assert sum("X-Plex-Container-Start=1000" in q for q in starts) == 2  # tried, retried, gave up


def test_the_next_page_is_prefetched_while_the_caller_holds_the_current_one(fake: FakePlex) -> None:
    gate = threading.Event()
    second = fake.set_fault("hold", on_path=ALL_PATH, on_page=1, count=1, gate=gate)
    pages = make_client(fake).albums(fake.music_section_id)
    try:
        assert len(next(pages).items) == 500
        assert second.entered.wait(10)  # asked for while the caller "stores" the first page
    finally:
        gate.set()
    assert len(next(pages).items) == 500
    pages.close()  # waits for (or cancels) the third page's request; nothing is left running
    assert not [t for t in threading.enumerate() if t.name.startswith("plexbooks-prefetch")]


def test_several_pages_are_asked_for_ahead_while_the_caller_holds_one(fake: FakePlex) -> None:
    gate = threading.Event()
    fourth = fake.set_fault("hold", on_path=ALL_PATH, on_page=3, count=1, gate=gate)
    pages = make_client(fake).albums(fake.music_section_id, page_size=100)
    try:
        assert len(next(pages).items) == 100
        # pages 2, 3 and 4 are asked for, one after the other, while the caller still holds the first
        assert fourth.entered.wait(10)
    finally:
        gate.set()
    keys = [album.rating_key for page in pages for album in page.items]
    assert len(keys) == len(set(keys)) == ITEMS - 100
    starts = [r.query for r in fake.requests_to(ALL_PATH)]
    assert len(starts) == 13  # every page asked for once, none ahead of the end


def test_the_page_after_a_slow_one_is_asked_for_beside_it_not_after_it(fake: FakePlex) -> None:
    release = threading.Event()
    second = fake.set_fault("hold", on_path=ALL_PATH, on_page=1, count=1, gate=release)
    third = fake.set_fault("hold", on_path=ALL_PATH, on_page=2, count=1, gate=release)
    pages = make_client(fake).albums(fake.music_section_id, page_size=100)
    try:
        assert len(next(pages).items) == 100
        assert second.entered.wait(10)
        # Plex is still answering page 2, and page 3 is already asked for: two requests in flight.
        assert third.entered.wait(10)
    finally:
        release.set()
    keys = [album.rating_key for page in pages for album in page.items]
    assert len(keys) == len(set(keys)) == ITEMS - 100  # in order, none lost or repeated
    assert len(fake.requests_to(ALL_PATH)) == 13  # every page asked for once


def test_a_server_capping_page_sizes_loses_and_repeats_nothing_when_pages_are_asked_ahead(fake: FakePlex) -> None:
    fake.set_fault("capped_paging", on_path=ALL_PATH, size=100)
    albums = all_albums(make_client(fake), fake.music_section_id)  # asks for 500 a page, gets 100
    assert len({album.rating_key for album in albums}) == len(albums) == ITEMS
    asked = [int(dict(q.split("=", 1) for q in r.query.split("&"))["X-Plex-Container-Start"])
             for r in fake.requests_to(ALL_PATH)]
    # The pages ahead are guessed from the page length the server sends, not the one asked for.
    assert sorted(asked) == list(range(0, ITEMS, 100))  # each once (two are in flight at a time: any order)


def test_recently_added_never_prefetches(fake: FakePlex) -> None:
    pages = make_client(fake).recently_added(fake.music_section_id)
    next(pages)
    assert not [t for t in threading.enumerate() if t.name.startswith("plexbooks-prefetch")]  # none was submitted
    pages.close()
    assert len(fake.requests_to(ALL_PATH)) == 1


def test_a_dropped_connection_is_retried(fake: FakePlex) -> None:
    fake.set_fault("drop", on_path="/library/sections", count=1)
    assert make_client(fake).sections()
    assert len(fake.requests_to("/library/sections")) == 2


# ------------------------------------------------------------------------------ error paths


def test_unreachable_server() -> None:
    client = PlexClient(f"http://127.0.0.1:{closed_port()}", "secret-token-abc", retries=1, backoff=0)
    with pytest.raises(PlexUnreachable) as info:
        client.sections()
    message = str(info.value)
    assert message.startswith("Plex at http://127.0.0.1:")
    assert "could not be reached" in message and "refused" in message
    assert "Check the server URL and that Plex is running" in message
    assert isinstance(info.value.__cause__, requests.RequestException)
    assert "secret-token-abc" not in message


def test_a_slow_server_times_out_as_unreachable(fake: FakePlex) -> None:
    fake.set_fault("latency", delay=1.0, on_path="/library/sections")
    with pytest.raises(PlexUnreachable) as info:
        make_client(fake, timeout=(2.0, 0.3), retries=0).sections()
    assert "no answer within 0.3 s" in str(info.value)


def test_a_revoked_token_is_an_auth_error(fake: FakePlex) -> None:
    user = fake.add_user("soon-revoked")
    client = make_client(fake, token=user.server_token)
    assert client.sections()
    fake.revoke_token(user.server_token)
    with pytest.raises(PlexAuthError) as info:
        client.sections()
    assert str(info.value) == f"Plex at {fake.url} refused the token: sign in again in Settings"
    assert user.server_token not in str(info.value)


def test_a_connection_dropped_every_time_is_unreachable(fake: FakePlex) -> None:
    fake.set_fault("drop", on_path="/library/sections")
    with pytest.raises(PlexUnreachable) as info:
        make_client(fake, retries=1).sections()
    assert "dropped" in str(info.value)


@pytest.mark.parametrize("xml", [False, True])
def test_a_truncated_body_is_a_response_error(fake: FakePlex, fake_xml: FakePlex, xml: bool) -> None:
    server = fake_xml if xml else fake
    server.set_fault("truncate", on_path="/library/sections", count=1)
    with pytest.raises(PlexResponseError) as info:
        make_client(server).sections()
    assert "cannot read" in str(info.value) and "malformed" in str(info.value)
    assert len(server.requests_to("/library/sections")) == 1


def test_an_html_page_instead_of_json_is_a_response_error(fake: FakePlex) -> None:
    fake.set_fault("html", on_path="/library/sections")
    with pytest.raises(PlexResponseError) as info:
        make_client(fake).sections()
    assert "HTML page" in str(info.value)


def test_an_entity_bomb_is_rejected_fast_with_little_memory(fake_xml: FakePlex) -> None:
    fake_xml.set_fault("entity_bomb", on_path=ALL_PATH)
    client = make_client(fake_xml)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(PlexResponseError) as info:
            next(client.albums(fake_xml.music_section_id, page_size=10, max_pages=1))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "DOCTYPE" in str(info.value)
    assert elapsed < 2.0 and peak < 20 * 1024 * 1024


def test_an_entity_bomb_is_refused_by_the_parser_even_without_the_precheck() -> None:
    import xmltodict

    from plexbooks_plugin.fakeplex.faults import ENTITY_BOMB

    with pytest.raises(ValueError, match="entities are disabled"):
        xmltodict.parse(ENTITY_BOMB, disable_entities=True)


def test_deeply_nested_xml_is_rejected(fake_xml: FakePlex) -> None:
    fake_xml.set_fault("deep_xml", on_path=ALL_PATH, depth=100_000)
    tracemalloc.start()
    try:
        with pytest.raises(PlexResponseError) as info:
            next(make_client(fake_xml).albums(fake_xml.music_section_id, page_size=10, max_pages=1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "nested deeper than 64" in str(info.value)
    assert peak < 20 * 1024 * 1024


def test_a_huge_body_is_cut_off_at_the_cap_with_bounded_memory(fake: FakePlex) -> None:
    fake.set_fault("huge", on_path=ALL_PATH, size=200 * 1024 * 1024)
    client = make_client(fake, max_body_bytes=4 * 1024 * 1024)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(PlexResponseError) as info:
            next(client.albums(fake.music_section_id, page_size=10, max_pages=1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than the 4194304 byte limit" in str(info.value)
    assert peak < 20 * 1024 * 1024 and time.monotonic() - started < 5


def test_a_huge_body_hits_the_default_64_mib_cap(fake: FakePlex) -> None:
    fake.set_fault("huge", on_path=ALL_PATH, size=200 * 1024 * 1024)
    started = time.monotonic()
    with pytest.raises(PlexResponseError, match="67108864 byte limit"):
        next(make_client(fake).albums(fake.music_section_id, page_size=10, max_pages=1))
    assert time.monotonic() - started < 10


def test_a_huge_declared_length_is_refused_before_reading(fake: FakePlex) -> None:
    fake.set_fault("huge", on_path=ALL_PATH, size=200 * 1024 * 1024, with_length=True)
    started = time.monotonic()
    with pytest.raises(PlexResponseError, match="209715200 bytes"):
        next(make_client(fake).albums(fake.music_section_id, page_size=10, max_pages=1))
    assert time.monotonic() - started < 2


def test_tokens_never_reach_messages_or_logs(fake: FakePlex, caplog: pytest.LogCaptureFixture) -> None:
    secret = fake.token
    caplog.set_level(logging.DEBUG)
    failures: list[BaseException] = []
    client = make_client(fake, retries=1)
    for fault in ("500", "drop", "truncate", "html", "unauthorized"):
        fake.clear_faults()
        fake.set_fault(fault, on_path="/library/sections")
        try:
            client.sections()
        except Exception as err:  # every one of these must fail, and be inspected below
            failures.append(err)
    fake.clear_faults()
    try:
        PlexClient(f"http://127.0.0.1:{closed_port()}", secret, retries=0).sections()
    except PlexUnreachable as err:
        failures.append(err)
    assert len(failures) == 6
    next(client.albums(fake.music_section_id, page_size=3, max_pages=1))  # success paths log too
    for err in failures:
        for text in (str(err), repr(err), str(err.__cause__), repr(err.__cause__)):
            assert secret not in text
    assert caplog.records, "the client logs retries and requests"
    for record in caplog.records:
        assert secret not in record.getMessage()


# ------------------------------------------------------------------------------ redaction and parsing


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET http://h:32400/library/sections?X-Plex-Token=abcDEF123456&x=1", "abcDEF123456"),
        ("url=/photo/:/transcode?url=/x&token=abcDEF123456", "abcDEF123456"),
        ("headers={'X-Plex-Token': 'abcDEF123456', 'Accept': 'json'}", "abcDEF123456"),
        ("X-Plex-Token: abcDEF123456", "abcDEF123456"),
        ('{"authToken": "abcDEF123456", "id": 1}', "abcDEF123456"),
        ('<user authToken="abcDEF123456" id="1"/>', "abcDEF123456"),
        ("https://plex.tv/api/v2/user?X-Plex-Token=abc-DEF_123456", "abc-DEF_123456"),
    ],
)
def test_redact_masks_tokens(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked and "***" in masked


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "Plex at http://127.0.0.1:32400 answered HTTP 500 for /library/sections"
    assert redact(text) == text


def test_redacting_filter_masks_messages_args_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("plexbooks.test.redact")
    handler_filter = TokenRedactingFilter()
    handler_filter.add_secret("configured-admin-secret")
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="plexbooks.test.redact"):
            logger.info("fetching %s", "http://h/x?X-Plex-Token=tok123456789")
            logger.info("stored token is configured-admin-secret")
            try:
                raise RuntimeError("boom with X-Plex-Token=tok987654321")
            except RuntimeError:
                logger.exception("failed")
    finally:
        caplog.handler.removeFilter(handler_filter)
    text = caplog.text
    assert "tok123456789" not in text and "tok987654321" not in text
    assert "configured-admin-secret" not in text
    assert text.count("***") >= 3


@pytest.mark.parametrize(
    ("guid", "asin"),
    [
        ("com.plexapp.agents.audnexus://B08G9PRS1K_us?lang=en", "B08G9PRS1K"),
        ("com.plexapp.agents.audnexus://b08g9prs1k_uk?lang=en", "B08G9PRS1K"),
        ("com.plexapp.agents.audible://B00ABCDEFG?lang=en", "B00ABCDEFG"),
        ("audible://B0123456XY", "B0123456XY"),
        ("asin://1250237238", "1250237238"),
        ("com.plexapp.agents.audnexus://B08G9PRS1K", "B08G9PRS1K"),
        ("plex://album/5d07ca42403c640290d10d9f", None),
        ("local://12345", None),
        ("mbid://37b4e401-fe8f-4e22-a4ba-13ad9bb33f3b", None),
        ("com.plexapp.agents.audnexus://B08G9PRS1KX_us", None),  # 11 characters: not an ASIN
        ("", None),
    ],
)
def test_asin_from_guid(guid: str, asin: str | None) -> None:
    assert asin_from_guid(guid) == asin


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["/a/b/Book/01.mp3", "/a/b/Book/02.mp3"], "/a/b/Book"),
        (["/a/b/Book/CD1/01.mp3", "/a/b/Book/CD2/01.mp3"], "/a/b/Book"),
        (["/a/b/Book/Book.m4b"], "/a/b/Book"),
        (
            ["C:\\Audiobooks\\Author\\Book\\01.mp3", "C:\\Audiobooks\\Author\\Book\\02.mp3"],
            "C:\\Audiobooks\\Author\\Book",
        ),
        (["/one/x.mp3", "/two/y.mp3"], None),  # only "/" in common: meaningless
        ([], None),
    ],
)
def test_common_directory(files: list[str], expected: str | None) -> None:
    assert common_directory(files) == expected


def test_albums_by_keys_is_one_request_and_skips_missing_keys(fake: FakePlex) -> None:
    keys = [str(a.rating_key) for a in fake.albums()[:3]]
    fake.clear_log()
    albums = make_client(fake).albums_by_keys([*keys, "99999999", keys[0]])
    assert sorted(a.rating_key for a in albums) == sorted(keys)
    assert [r.path for r in fake.request_log] == [f"/library/metadata/{','.join([*keys, '99999999'])}"]
    assert make_client(fake).albums_by_keys(["99999998", "99999999"]) == []  # Plex: 404


def test_album_exists_is_false_only_on_404(fake: FakePlex) -> None:
    key = str(fake.albums()[0].rating_key)
    client = make_client(fake)
    assert client.album_exists(key) is True and client.album_exists("99999999") is False
    fake.set_fault(500, on_path=f"/library/metadata/{key}")
    with pytest.raises(PlexResponseError):
        client.album_exists(key)


def test_albums_since_filters_and_sorts_ascending(fake: FakePlex) -> None:
    newest = max(a.added_at for a in fake.albums())
    pages = list(make_client(fake).albums_since(fake.music_section_id, "addedAt", newest - 1, page_size=5))
    assert [a.added_at for p in pages for a in p.items] == [newest] * len([a for p in pages for a in p.items])
    with pytest.raises(ValueError):
        make_client(fake).albums_since(fake.music_section_id, "title", 0)
