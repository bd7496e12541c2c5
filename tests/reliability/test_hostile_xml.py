"""Hostile answers: an XML entity bomb, deeply nested XML or JSON, a 200 MB body, a gzip bomb.

Each is refused within bounded memory (tracemalloc peak) and time, the scan run fails naming the
problem, the mirrored rows stay as they were, and the next scan succeeds.
"""

from __future__ import annotations

import gzip
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import requests_mock

from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.plex.parsing import MAX_XML_DEPTH, parse_container
from plexbooks_plugin.plex.transport import DEFAULT_MAX_BODY_BYTES
from plexbooks_plugin.scanning import ScanFailed, run_scan
from tests.fakeplex_fixtures import FakePlexFactory

from .helpers import FAST_RETRIES, FAST_TIMEOUT, LISTING, configure, run_of, snapshot

ITEMS = 15
PAGE = 10
MIB = 1024 * 1024


def _measured(call: Callable[[], Any]) -> tuple[BaseException | None, int, float]:
    """Run `call`; return the exception it raised, the tracemalloc peak (bytes) and the seconds it took."""
    tracemalloc.start()
    started = time.monotonic()
    error: BaseException | None = None
    try:
        call()
    except Exception as err:
        error = err
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return error, peak, elapsed


# fault -> (set_fault keyword arguments, fragment of the run's error, peak memory bound in MiB)
HOSTILE: dict[str, tuple[dict[str, Any], str, int]] = {
    "entity-bomb": ({"kind": "entity_bomb"}, "DOCTYPE or ENTITY declaration is refused", 24),
    "deep-xml": ({"kind": "deep_xml", "depth": 100_000}, f"nested deeper than {MAX_XML_DEPTH} levels", 32),
    # No Content-Length: read until the 64 MiB cap, never the 200 MB.
    "huge-chunked": ({"kind": "huge", "size": 200 * MIB}, "larger than the", DEFAULT_MAX_BODY_BYTES // MIB + 40),
    # A declared Content-Length over the cap: refused before reading anything.
    "huge-declared": ({"kind": "huge", "size": 200 * MIB, "with_length": True}, "refusing to read it", 24),
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_hostile_answers_are_refused_with_bounded_memory_and_time(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, hostile: str, fmt: str
) -> None:
    fake = fake_plex_factory(items=ITEMS, xml_only=fmt == "xml")
    core = configure(fast_core, fake)
    run_scan(core, "full", page_size=PAGE)
    before = snapshot(core)
    options, expected, max_mib = HOSTILE[hostile]
    kwargs = dict(options)
    fake.set_fault(str(kwargs.pop("kind")), on_path=LISTING, on_page=1, **kwargs)

    error, peak, elapsed = _measured(lambda: run_scan(core, "full", page_size=PAGE))

    assert isinstance(error, ScanFailed), error
    run = run_of(core, error.run_id)  # type: ignore[arg-type]
    assert run.status == "failed" and expected in (run.error or ""), run.error
    assert peak < max_mib * MIB, f"peak {peak / MIB:.1f} MiB"
    assert elapsed < 20, f"{elapsed:.1f} s"
    assert snapshot(core) == before
    fake.clear_faults()
    assert run_scan(core, "full", page_size=PAGE)["total"] == ITEMS


# ------------------------------------------------------------------ bodies the emulator cannot send: requests-mock


@pytest.fixture
def mocked() -> Iterator[tuple[requests.Session, requests_mock.Adapter]]:
    """A requests session whose every call is answered by a requests-mock adapter."""
    session = requests.Session()
    adapter = requests_mock.Adapter()
    session.mount("http://", adapter)
    yield session, adapter
    session.close()


def _album(key: int) -> str:
    return f'{{"ratingKey":"{key}","type":"album","title":"Mock Book {key}","parentTitle":"Mo Mock","guid":"local://{key}"}}'


def _listing(keys: range) -> bytes:
    items = ",".join(_album(k) for k in keys)
    return (
        f'{{"MediaContainer":{{"size":{len(keys)},"totalSize":{len(keys)},"offset":0,"Metadata":[{items}]}}}}'
    ).encode()


@pytest.mark.parametrize("hostile", ["deep-json", "gzip-bomb"])
def test_deep_json_and_a_gzip_bomb_are_refused(
    database: Database, box: SecretBox, mocked: tuple[requests.Session, requests_mock.Adapter], hostile: str
) -> None:
    session, adapter = mocked
    core = PlexBooksCore(database, box, http_session=session, plex_timeout=FAST_TIMEOUT, plex_retries=FAST_RETRIES)
    core.set_setting("plex_url", "http://plex.invalid:32400")
    core.set_setting("plex_token", "mock-token")
    core.set_setting("library_id", "4")
    url = "http://plex.invalid:32400/library/sections/4/all"
    good = {"content": _listing(range(1, 6)), "headers": {"Content-Type": "application/json"}}
    adapter.register_uri("GET", url, **good)
    run_scan(core, "full")
    before = snapshot(core)
    assert len(before) == 5

    if hostile == "deep-json":
        body = b'{"MediaContainer":' + b'{"a":[' * 200_000 + b"]}" * 200_000 + b"}"
        adapter.register_uri("GET", url, content=body, headers={"Content-Type": "application/json"})
        expected = "nested too deeply"
    else:
        # 1 GiB of zeros as 256 gzip members of 4 MiB each: about 1 MiB on the wire.
        bomb = gzip.compress(b"\0" * (4 * MIB), compresslevel=9) * 256
        assert len(bomb) < 2 * MIB
        adapter.register_uri(
            "GET", url, content=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
        )
        expected = "larger than the"

    error, peak, elapsed = _measured(lambda: run_scan(core, "full"))
    assert isinstance(error, ScanFailed), error
    assert expected in (run_of(core, error.run_id).error or "")  # type: ignore[arg-type]
    assert peak < DEFAULT_MAX_BODY_BYTES + 40 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert elapsed < 20
    assert snapshot(core) == before
    adapter.register_uri("GET", url, **good)
    # A rescan's listing sent whole but without Guid children (a server ignoring includeFields):
    # the records are fetched by key.
    adapter.register_uri("GET", "http://plex.invalid:32400/library/metadata/1,2,3,4,5", **good)
    assert run_scan(core, "full")["total"] == 5


def test_parse_limits_directly() -> None:
    """The parser's own guards, without HTTP: external entities, UTF-16 smuggling, deep JSON arrays."""
    external = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><MediaContainer t="&e;"/>'
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><MediaContainer/>'.encode("utf-16")
    deep_array = b'{"MediaContainer":{"Metadata":' + b"[" * 500_000 + b"]" * 500_000 + b"}}"
    for body, ctype in ((external, "text/xml"), (utf16, "text/xml"), (deep_array, "application/json")):
        with pytest.raises(ValueError):
            parse_container(body, ctype)
