"""The emulator's notification WebSocket: python-plexapi's AlertListener, timeline states, and the test controls."""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websocket
from websockets.datastructures import Headers
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Request as HandshakeRequest
from websockets.server import ServerProtocol

from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.fakeplex.delayed import Delayed
from plexbooks_plugin.fakeplex.library import track_key
from plexbooks_plugin.fakeplex.websocket import WebSocket
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests

os.environ.setdefault("PLEXAPI_HEADER_IDENTIFIER", "plexbooks-tests")
from plexapi.server import PlexServer

WS_PATH = "/:/websockets/notifications"
WAIT = 5.0

fake = module_fake_plex(items=20, seed=13)
_reset = reset_fake_plex_between_tests("fake")


def ws_url(server: FakePlex, token: str | None = None) -> str:
    url = server.url.replace("http://", "ws://") + WS_PATH
    return f"{url}?X-Plex-Token={token}" if token else url


@pytest.fixture
def client(fake: FakePlex) -> Iterator[websocket.WebSocket]:
    """A raw WebSocket client with the admin token in the X-Plex-Token header."""
    ws = websocket.create_connection(ws_url(fake), header=[f"X-Plex-Token: {fake.token}"], timeout=WAIT)
    assert fake.wait_for_websocket_clients(1, WAIT)
    yield ws
    ws.close()
    assert fake.wait_for_websocket_clients(0, WAIT)


def receive(ws: websocket.WebSocket) -> dict[str, Any]:
    """The next NotificationContainer on a raw client."""
    return json.loads(ws.recv())["NotificationContainer"]  # type: ignore[no-any-return]


def receive_timeline(ws: websocket.WebSocket, state: int) -> list[dict[str, Any]]:
    """The entries of the next timeline message with `state`, skipping activity and status messages."""
    while True:
        message = receive(ws)
        if message["type"] == "timeline" and message["TimelineEntry"][0]["state"] == state:
            return message["TimelineEntry"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------ python-plexapi


def test_python_plexapi_alert_listener_receives_the_library_events(fake: FakePlex) -> None:
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    errors: list[Exception] = []
    plex = PlexServer(fake.url, fake.token, timeout=10)
    listener = plex.startAlertListener(callback=events.put, callbackError=errors.append)
    try:
        assert fake.wait_for_websocket_clients(1, WAIT)
        fake.set_processing_delay(60)  # processed only when the test says so
        key = int(fake.add_album("Signal Fires", "Wren Okafor", track_count=3))
        fake.finish_processing()
        fake.remove_album(key)
        seen: list[tuple[int, int, str]] = []
        deadline = time.monotonic() + WAIT
        while len([s for s in seen if s[0] == 9]) < 5 and time.monotonic() < deadline:
            message = events.get(timeout=WAIT)
            if message["type"] == "timeline":
                seen += [(e["state"], e["type"], e["itemID"]) for e in message["TimelineEntry"]]
    finally:
        listener.stop()
    artist = str(key - 1)  # the new author's artist was created just before the album
    tracks = [str(track_key(key, i)) for i in (1, 2, 3)]
    for state in (0, 1, 5, 9):
        items = {(t, i) for s, t, i in seen if s == state}
        assert items == {(8, artist), (9, str(key))} | {(10, t) for t in tracks}, state
    order = [s for s, _, _ in seen]
    assert order == sorted(order)  # created, progress, processed, deleted
    assert errors == []


# ------------------------------------------------------------------------------ shapes


def test_timeline_entries_have_the_real_shapes(fake: FakePlex, client: websocket.WebSocket) -> None:
    fake.set_processing_delay(0)
    key = fake.add_album("Paper Moons", "Ida Brandt", track_count=1)
    created = receive_timeline(client, 0)
    album = next(e for e in created if e["itemID"] == key)
    assert album == {
        "identifier": "com.plexapp.plugins.library",
        "sectionID": fake.music_section_id,
        "itemID": key,
        "type": 9,
        "title": "Paper Moons",
        "state": 0,
        "parentItemID": album["parentItemID"],
        "metadataState": "created",
        "updatedAt": album["updatedAt"],
    }
    assert isinstance(album["updatedAt"], int) and abs(album["updatedAt"] - time.time()) < 60
    progress = receive_timeline(client, 1)
    track = next(e for e in progress if e["type"] == 10)
    assert track["mediaState"] == "analyzing" and track["rootItemID"] == album["parentItemID"]
    processed = receive_timeline(client, 5)
    assert all("metadataState" not in e and "mediaState" not in e for e in processed)
    assert {e["itemID"] for e in processed} == {e["itemID"] for e in created}


def test_scan_activity_and_status_messages(fake: FakePlex, client: websocket.WebSocket) -> None:
    fake.set_processing_delay(60)  # no "processed" message between the ones counted here
    fake.add_album("Lantern Hours", "Ida Brandt")
    kinds = [receive(client) for _ in range(5)]
    assert [m["type"] for m in kinds] == ["activity", "timeline", "timeline", "activity", "status"]
    started, ended = kinds[0]["ActivityNotification"][0], kinds[3]["ActivityNotification"][0]
    assert (started["event"], ended["event"]) == ("started", "ended") and started["uuid"] == ended["uuid"]
    assert started["Activity"]["type"] == "library.update.section"
    assert started["Activity"]["Context"] == {"librarySectionID": fake.music_section_id}
    assert kinds[4]["StatusNotification"][0]["notificationName"] == "LIBRARY_UPDATE"
    refresh = requests.get(f"{fake.url}/library/sections/{fake.music_section_id}/refresh",
                           headers={"X-Plex-Token": fake.token}, timeout=WAIT)
    assert refresh.status_code == 200
    assert [receive(client)["type"] for _ in range(3)] == ["activity", "activity", "status"]


def test_an_updated_album_is_processed_again(fake: FakePlex, client: websocket.WebSocket) -> None:
    fake.set_processing_delay(0)
    album = fake.albums()[3]
    fake.update_album(album.rating_key, title="A Corrected Title")
    progress = receive_timeline(client, 1)
    processed = receive_timeline(client, 5)
    expected = [(str(album.rating_key), "A Corrected Title")] * 2
    assert [(e["itemID"], e["title"]) for e in progress + processed] == expected


# ------------------------------------------------------------------------------ processing controls


def test_processed_waits_for_the_delay_or_finish_processing(fake: FakePlex, client: websocket.WebSocket) -> None:
    fake.set_processing_delay(60)
    key = fake.add_album("Slow Metadata", "Ida Brandt")
    receive_timeline(client, 1)
    assert fake.timeline_sent(state=5) == []
    before = time.time()
    assert fake.finish_processing() == 1
    stamp, last = fake.notifications_sent_at[-1]
    assert last["TimelineEntry"][0]["state"] == 5 and before <= stamp <= time.time()
    assert {e["itemID"] for e in receive_timeline(client, 5)} >= {key}
    fake.set_processing_delay(0.05)
    fake.add_album("Quick Metadata", "Ida Brandt")
    assert receive_timeline(client, 5)  # arrives by itself after 50 ms


def test_a_library_without_agent_never_reaches_processed(fake: FakePlex, client: websocket.WebSocket) -> None:
    fake.never_process()
    fake.set_processing_delay(0)
    key = fake.add_album("Agentless", "Ida Brandt")
    assert receive_timeline(client, 1)
    fake.finish_processing()
    assert [e for e in fake.timeline_sent(state=5) if e["itemID"] == key] == []
    assert {e["itemID"] for e in fake.timeline_sent(state=0)} >= {key}


# ------------------------------------------------------------------------------ connection controls


def test_token_in_the_query_string_and_refusals(fake: FakePlex) -> None:
    ws = websocket.create_connection(ws_url(fake, fake.token), timeout=WAIT)
    assert fake.wait_for_websocket_clients(1, WAIT)
    ws.close()
    assert fake.wait_for_websocket_clients(0, WAIT)
    for headers, status in (([], 401), (["X-Plex-Token: wrong"], 401)):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(ws_url(fake), header=headers, timeout=WAIT)
        assert refused.value.status_code == status
    for status in (403, 404):
        fake.reject_websockets(status)
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(ws_url(fake, fake.token), timeout=WAIT)
        assert refused.value.status_code == status
    fake.reject_websockets(None)
    websocket.create_connection(ws_url(fake, fake.token), timeout=WAIT).close()


def test_drop_cuts_connections_and_clients_can_reconnect(fake: FakePlex, client: websocket.WebSocket) -> None:
    assert fake.drop_websockets() == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        client.recv()  # no close frame: the connection is simply gone
    assert fake.wait_for_websocket_clients(0, WAIT)
    fake.set_processing_delay(60)
    again = websocket.create_connection(ws_url(fake, fake.token), timeout=WAIT)
    try:
        assert fake.wait_for_websocket_clients(1, WAIT)
        fake.add_album("After The Drop", "Ida Brandt")
        assert receive(again)["type"] == "activity"
    finally:
        again.close()


def test_pings_are_answered(client: websocket.WebSocket) -> None:
    client.ping("are you there")
    opcode, frame = client.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_PONG and frame.data == b"are you there"


def test_mute_accepts_but_sends_nothing(fake: FakePlex, client: websocket.WebSocket) -> None:
    fake.set_processing_delay(60)  # nothing delayed may arrive once unmuted
    fake.mute_websockets()
    fake.add_album("Unheard", "Ida Brandt")
    client.ping("hello?")
    client.settimeout(0.3)
    with pytest.raises(websocket.WebSocketTimeoutException):
        client.recv_data_frame(control_frame=True)  # not even a pong
    assert fake.websocket_clients == 1 and fake.timeline_sent(state=0)  # published, not delivered
    fake.mute_websockets(False)
    client.settimeout(WAIT)
    fake.add_album("Heard", "Ida Brandt")
    assert receive(client)["type"] == "activity"


def test_stop_closes_connected_clients_promptly() -> None:
    server = FakePlex(items=3, seed=2).start()
    ws = websocket.create_connection(ws_url(server, server.token), timeout=WAIT)
    assert server.wait_for_websocket_clients(1, WAIT)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and frame.data[:2] == (1001).to_bytes(2, "big")  # going away


# ------------------------------------------------------------------------------ delayed processing


def test_delayed_actions_run_in_due_order_on_one_thread() -> None:
    delayed = Delayed("test-delayed")
    ran: list[str] = []
    done = threading.Event()
    delayed.add(0.2, lambda: (ran.append("late"), done.set()))
    delayed.add(0.05, lambda: ran.append("early"))
    assert done.wait(WAIT) and ran == ["early", "late"]
    delayed.add(60, lambda: ran.append("flushed"))
    delayed.add(30, lambda: ran.append("first flushed"))
    assert delayed.run_all_now() == 2 and ran[2:] == ["first flushed", "flushed"]
    delayed.add(60, lambda: ran.append("never"))
    delayed.clear()
    assert len(delayed) == 0 and delayed.run_all_now() == 0 and "never" not in ran


def test_a_bulk_import_does_not_start_a_thread_per_book() -> None:
    with FakePlex(items=5, seed=6) as server:
        server.set_processing_delay(60)
        threads_before = threading.active_count()
        keys = [server.add_album(f"Bulk Book {i}", f"Bulk Author {i % 9}") for i in range(1500)]
        assert threading.active_count() <= threads_before + 1
        assert server.finish_processing() == 1500
        processed = {e["itemID"] for e in server.timeline_sent(state=5, kind=9)}
        assert processed == set(keys)


def test_sending_while_the_client_closes_is_not_an_error() -> None:
    """A message published while the peer's close frame is being handled is dropped, not raised."""
    server_side, client_side = socket.socketpair()
    protocol = ServerProtocol()
    headers = Headers([("Host", "x"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                       ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")])
    protocol.receive_data(HandshakeRequest("/", headers).serialize())
    protocol.send_response(protocol.accept(protocol.events_received()[0]))
    connection = WebSocket(server_side, protocol)
    assert connection.flush()
    protocol.receive_data(Frame(Opcode.CLOSE, Close(1000, "bye").serialize()).serialize(mask=True))
    protocol.events_received()
    assert connection.send_text('{"NotificationContainer": {}}') is False
    connection.close()  # no error either
    client_side.close()
