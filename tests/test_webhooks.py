"""Webhooks to the host: one signed POST per transition to available, retried until the host answers 2xx."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.scanning import run_scan
from plexbooks_plugin.services.webhooks import available_body, retry_delay, signature, verify_signature
from plexbooks_plugin.webhooks import send_due_webhooks

from .reliability.helpers import wait_until

pytest_plugins = ["tests.fakeplex_fixtures"]

SECRET = "hook-secret-for-tests"


class Receiver:
    """A host endpoint on loopback that records every POST and answers with the queued statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.statuses: list[int] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.received.append((body, dict(self.headers.items())))
                self.send_response(owner.statuses.pop(0) if owner.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/plexbooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def hooked(plex_core: PlexBooksCore, receiver: Receiver) -> PlexBooksCore:
    plex_core.set_setting("webhook_url", receiver.url)
    plex_core.set_setting("webhook_secret", SECRET)
    return plex_core


def flip(core: PlexBooksCore, fake: FakePlex, request_id: str, title: str, author: str) -> str:
    """A downloaded request whose book then arrives in Plex and is found by a poll."""
    with core.session() as session:
        repo.mark_downloaded(session, host_request_id=request_id, title=title, author=author, path="/x")
    key = str(fake.add_album(title, author))
    assert run_scan(core, "recent")["matched"] == 1
    return key


def test_the_body_and_signature() -> None:
    body = available_body(request_id="r1", rating_key="42", title="Dune", author="Frank Herbert")
    assert json.loads(body) == {"event": "request.available", "request_id": "r1", "rating_key": "42",
                                "title": "Dune", "author": "Frank Herbert"}
    header = signature(body.encode(), "k")
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature(body.encode(), "k", header)
    assert not verify_signature(body.encode(), "other", header) and not verify_signature(body.encode(), "k", None)
    assert [retry_delay(n) for n in (1, 2, 3)] == [10, 20, 40] and retry_delay(50) == 3600


def test_a_transition_is_posted_once_signed(hooked: PlexBooksCore, fake_plex: FakePlex, receiver: Receiver) -> None:
    run_scan(hooked, "full")
    run_scan(hooked, "recent")
    key = flip(hooked, fake_plex, "req-7", "The Salt Orchard", "Nadia Frost")
    assert send_due_webhooks(hooked).delivered == 1
    assert len(receiver.received) == 1
    body, headers = receiver.received[0]
    assert json.loads(body) == {"event": "request.available", "request_id": "req-7", "rating_key": key,
                                "title": "The Salt Orchard", "author": "Nadia Frost"}
    assert verify_signature(body, SECRET, headers.get("X-Plexbooks-Signature"))
    # Once per transition: later rounds and later scans send nothing more.
    assert send_due_webhooks(hooked).delivered == 0
    run_scan(hooked, "full")
    send_due_webhooks(hooked, now=repo.now() + timedelta(hours=2))
    assert len(receiver.received) == 1


def test_a_500_is_retried_with_backoff(hooked: PlexBooksCore, fake_plex: FakePlex, receiver: Receiver) -> None:
    run_scan(hooked, "full")
    run_scan(hooked, "recent")
    flip(hooked, fake_plex, "req-8", "Harbor Of Glass", "Juno Marsh")
    receiver.statuses = [500, 502]
    assert send_due_webhooks(hooked).retrying == 1
    assert send_due_webhooks(hooked).retrying == 0  # not due yet: the backoff holds it back
    sent = send_due_webhooks(hooked, now=repo.now() + timedelta(seconds=11))
    assert sent.retrying == 1  # the second try got 502
    assert send_due_webhooks(hooked, now=repo.now() + timedelta(seconds=15)).delivered == 0  # 20 s now
    assert send_due_webhooks(hooked, now=repo.now() + timedelta(seconds=21)).delivered == 1
    assert len(receiver.received) == 3
    assert len({body for body, _h in receiver.received}) == 1  # the same event each time
    with hooked.session() as session:
        [delivery] = repo.recent_webhooks(session)
        assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 3, 200)
        assert repo.webhook_counts(session) == {"pending": 0, "delivered": 1, "failed": 0}


def test_an_unreachable_host_never_blocks_the_scan(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    plex_core.set_setting("webhook_url", "http://127.0.0.1:9/nothing-listens-here")
    run_scan(plex_core, "full")
    run_scan(plex_core, "recent")
    flip(plex_core, fake_plex, "req-9", "Quiet Rooms", "Pia Lund")  # the scan itself sends nothing
    sent = send_due_webhooks(plex_core)
    assert sent.retrying == 1
    with plex_core.session() as session:
        [delivery] = repo.recent_webhooks(session)
        assert delivery.status == "pending" and delivery.last_error


def test_without_a_webhook_url_nothing_is_queued(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    run_scan(plex_core, "recent")
    flip(plex_core, fake_plex, "req-10", "Nobody Listens", "Ola Berg")
    with plex_core.session() as session:
        assert repo.recent_webhooks(session) == []


def test_the_leader_sends_the_outbox_by_itself(hooked: PlexBooksCore, fake_plex: FakePlex, receiver: Receiver) -> None:
    from plexbooks_plugin.scheduler import PlexBooksScheduler

    run_scan(hooked, "full")
    run_scan(hooked, "recent")
    sched = PlexBooksScheduler(hooked, tick_seconds=0.05, leader_ttl=timedelta(seconds=1), jobs=[], realtime=False)
    sched.start()
    try:
        flip(hooked, fake_plex, "req-11", "Lanterns Of Ash", "Rhea Stone")
        assert wait_until(lambda: bool(receiver.received))
        assert len(receiver.received) == 1
    finally:
        sched.stop()
