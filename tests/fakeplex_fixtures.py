"""Pytest fixtures around the Plex emulator; a test module enables them with:

    pytest_plugins = ["tests.fakeplex_fixtures"]

`fake_plex_factory(items=..., **kwargs)` starts emulators that are stopped after the test;
`fake_plex` is one with 40 books; `plex_core` is the conftest `core` pointed at `fake_plex`.

A module that shares one emulator between its tests declares it with `module_fake_plex`:

    fake = module_fake_plex(items=300, seed=11)      # a module-scoped fixture named `fake`
    _reset = reset_fake_plex_between_tests("fake")   # autouse: faults and request log cleared

PYTEST_DONT_REWRITE: this module has no asserts, and some test modules import it directly before
pytest registers it as a plugin (which would otherwise warn that it cannot be rewritten).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.fakeplex import FakePlex

FakePlexFactory = Callable[..., FakePlex]


def configure_core(core: PlexBooksCore, fake: FakePlex) -> PlexBooksCore:
    """Store the emulator's URL, admin token and audiobook section in `core`'s settings."""
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("library_id", str(fake.music_section_id))
    return core


@pytest.fixture
def fake_plex_factory() -> Iterator[FakePlexFactory]:
    """Start emulators on demand (``factory(items=1500, seed=3)``); all are stopped after the test."""
    started: list[FakePlex] = []

    def make(items: int = 40, seed: int = 1, **kwargs: Any) -> FakePlex:
        fake = FakePlex(items=items, seed=seed, **kwargs).start(port=0)
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture
def fake_plex(fake_plex_factory: FakePlexFactory) -> FakePlex:
    """A running emulator with 40 generated audiobooks."""
    return fake_plex_factory()


@pytest.fixture
def plex_core(core: PlexBooksCore, fake_plex: FakePlex) -> PlexBooksCore:
    """The test core, configured for `fake_plex`."""
    return configure_core(core, fake_plex)


def module_fake_plex(items: int = 40, seed: int = 1, **kwargs: Any) -> Any:
    """A module-scoped fixture serving one emulator to every test of the module (assign it to a name)."""

    @pytest.fixture(scope="module")
    def fixture() -> Iterator[FakePlex]:
        with FakePlex(items=items, seed=seed, **kwargs) as server:
            yield server

    return fixture


def reset_fake_plex_between_tests(*fixture_names: str) -> Any:
    """An autouse fixture that gives each test the named shared emulators without faults or logged requests."""

    @pytest.fixture(autouse=True)
    def fixture(request: pytest.FixtureRequest) -> Iterator[None]:
        servers: list[FakePlex] = [request.getfixturevalue(name) for name in fixture_names or ("fake",)]
        for server in servers:
            server.reset()
        yield
        for server in servers:
            server.clear_faults()

    return fixture
