"""Fixtures of the reliability suite: the Plex emulator, a core with tiny Plex timeouts, request counters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from plexbooks_plugin import signals
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from tests.fakeplex_fixtures import fake_plex_factory  # noqa: F401 - a fixture
from tests.viewkit import build_app, set_api_key

from .helpers import FAST_RETRIES, FAST_TIMEOUT, FastCore


@pytest.fixture
def fast_core(database: Database, box: SecretBox) -> PlexBooksCore:
    """A core whose Plex calls give up fast: 0.5 s connect/read timeouts, one retry after 0.05 s."""
    return FastCore(database, box, plex_timeout=FAST_TIMEOUT, plex_retries=FAST_RETRIES)


@pytest.fixture
def available_counter() -> Iterator[dict[str, list[str]]]:
    """request id -> rating keys of every request_available signal sent during the test."""
    received: dict[str, list[str]] = {}

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.setdefault(str(kwargs["request_id"]), []).append(str(kwargs["rating_key"]))

    signals.request_available.connect(receiver)
    yield received
    signals.request_available.disconnect(receiver)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    """A host app with plexbooks mounted on the test database (CSRF off unless a test builds its own)."""
    return build_app(database_url, tmp_path / "instance")


@pytest.fixture
def key_headers(app: Flask) -> dict[str, str]:
    """The host's API key header (acts as admin, needs no CSRF token)."""
    return set_api_key(app)
