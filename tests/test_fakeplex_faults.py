"""The emulator's fault injection: latency, error statuses, cut and hostile bodies, one page only."""

from __future__ import annotations

import json
import time

import pytest
import requests

from plexbooks_plugin.fakeplex import FakePlex
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from tests.fakeplex_http import get

SID = "4"

fake = module_fake_plex(items=300, seed=11)
_reset = reset_fake_plex_between_tests("fake")


def test_fault_latency(fake: FakePlex) -> None:
    fake.set_fault("latency", delay=1.0, on_path="/library/sections", count=1)
    started = time.monotonic()
    assert get(fake, "/library/sections").status_code == 200
    assert time.monotonic() - started >= 1.0
    started = time.monotonic()
    get(fake, "/library/sections")
    assert time.monotonic() - started < 1.0  # used up: no second delay


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fault_status(fake: FakePlex, status: int) -> None:
    fault = fake.set_fault(str(status), on_path="/library/sections", count=2)
    codes = [get(fake, "/library/sections").status_code for _ in range(3)]
    assert codes == [status, status, 200] and fault.hits == 2


def test_fault_on_one_page_only(fake: FakePlex) -> None:
    fake.set_fault(500, on_path="/library/sections/*/all", on_page=2)
    path = f"/library/sections/{SID}/all"
    codes = [
        get(fake, path, params={"type": 9, "X-Plex-Container-Start": start, "X-Plex-Container-Size": 100}).status_code
        for start in (0, 100, 200, 200)
    ]
    assert codes == [200, 200, 500, 500]
    assert get(fake, "/library/sections").status_code == 200  # other paths unaffected


def test_fault_drop_mid_body(fake: FakePlex) -> None:
    fake.set_fault("drop", on_path="/library/sections", count=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(fake, "/library/sections").content  # noqa: B018 - reading the body is the point


def test_fault_truncate(fake: FakePlex) -> None:
    whole = get(fake, "/library/sections").content
    fake.set_fault("truncate", on_path="/library/sections", count=1)
    cut = get(fake, "/library/sections")
    assert cut.status_code == 200 and cut.content == whole[: len(whole) // 2]
    with pytest.raises(ValueError):
        json.loads(cut.content)


def test_fault_html_and_401(fake: FakePlex) -> None:
    fake.set_fault("html", on_path="/identity", count=1)
    page = get(fake, "/identity")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    fake.set_fault("revoked", on_path="/library/sections", count=1)
    assert get(fake, "/library/sections").status_code == 401


def test_fault_hostile_xml(fake: FakePlex) -> None:
    fake.set_fault("entity_bomb", count=1)
    assert b"<!ENTITY lol9" in get(fake, "/identity").content
    fake.set_fault("deep_xml", count=1, depth=1000)
    body = get(fake, "/identity").content
    assert body.count(b"<Directory>") == 1000


def test_fault_huge_body_is_streamed_lazily(fake: FakePlex) -> None:
    fake.set_fault("huge", size=200 * 1024 * 1024, count=1)
    with get(fake, f"/library/sections/{SID}/all", stream=True) as answer:
        assert "Content-Length" not in answer.headers
        first = next(answer.iter_content(1024 * 1024))
    assert first.startswith(b'{"MediaContainer"')
    fake.set_fault("huge", size=200 * 1024 * 1024, with_length=True, count=1)
    with get(fake, "/identity", stream=True) as answer:
        assert answer.headers["Content-Length"] == str(200 * 1024 * 1024)


def test_unknown_fault_kind_is_refused(fake: FakePlex) -> None:
    with pytest.raises(ValueError):
        fake.set_fault("gremlins")
