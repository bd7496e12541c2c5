"""Issue 17 in a browser: the jobs panel (its realtime listener row, cancelling a scan), Open in Plex,
requesters, the phone layout, and axe-core.

Screenshots at 1280 and 390 px go to test-artifacts/screenshots/ (ux-*.png). axe-core comes from the
npm registry (./dev.sh test puts it in .tools/axe); each plugin page must have no serious or critical
violation.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.demo import DemoServer
from plexbooks_plugin.realtime import read_status
from plexbooks_plugin.scheduler import PlexBooksScheduler
from plexbooks_plugin.state import get_core

from ..conftest import DatabaseFactory
from ..reliability.helpers import wait_until as wait_for
from .test_demo_browser import TIMEOUT_MS, browser, catalog_row, shot, wait_until  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
AXE_DIR = ROOT / ".tools" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.10.3"
PLEX_LINK = re.compile(r"/desktop/#!/server/[0-9a-f]+/details\?key=%2Flibrary%2Fmetadata%2F\d+$")


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's axe.min.js, installed from npm into the git-ignored .tools/axe when missing."""
    path = Path(os.environ.get("PLEXBOOKS_AXE_JS", AXE_JS))
    if not path.exists():
        try:
            AXE_DIR.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR),
                            f"axe-core@{AXE_VERSION}"], check=True, timeout=300, capture_output=True)
        except (OSError, subprocess.SubprocessError) as err:
            pytest.fail(f"axe-core is missing and npm could not install it ({err}); run ./dev.sh test, "
                        "or set PLEXBOOKS_AXE_JS to an axe.min.js", pytrace=False)
    return path.read_text(encoding="utf-8")


def axe_problems(page: Any, axe_source: str) -> list[str]:
    """Serious and critical axe-core violations of the page, one line each.

    The source is evaluated from outside the page (page.evaluate), so the plugin's strict
    Content-Security-Policy need not allow an injected script.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({"
        "id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in result
            if v["impact"] in ("serious", "critical")]


@pytest.fixture
def demo(database_factory: DatabaseFactory, tmp_path: Path) -> Iterator[DemoServer]:
    """The demo host and its emulator on free loopback ports, no scheduler."""
    server = DemoServer(items=60, database_url=database_factory.new_url(), instance_path=tmp_path / "instance",
                        scheduler=False)
    server.start(port=0)
    yield server
    server.stop()


def sign_in_as_owner(page: Any, demo: DemoServer) -> None:
    """Through the emulator's Plex page, as the server owner."""
    page.goto(demo.url + "/")
    page.click("#d-signin")
    page.wait_for_url(re.compile(r"/auth"))
    page.get_by_role("button", name=re.compile(r"\(owner\)")).click()
    # The owner's account is a Plex Home: "Who is this?" comes first (walked in test_demo_browser).
    page.wait_for_url(re.compile(r"/login/profile"))
    page.locator('[data-pb-profile="plexowner"]').get_by_role("button").click()
    page.wait_for_url(demo.url + "/")


def catch_ups(core: PlexBooksCore) -> int:
    """How many catch-up polls of the realtime listener have succeeded."""
    with core.session() as session:
        return sum(1 for r in repo.recent_scan_runs(session, limit=50)
                   if r.triggered_by == "realtime" and r.status == "succeeded")


def walk_the_realtime_row(page: Any, demo: DemoServer, core: PlexBooksCore) -> None:
    """The listener (run by a scheduler leader of its own) shows up connected, hears a book, reconnects."""
    from playwright.sync_api import expect

    assert demo.plex is not None
    row = page.locator('#pb-jobs tr[data-pb-job="realtime"]')
    expect(row).to_contain_text("not running")  # the demo runs no scheduler: nobody listens yet
    expect(row.get_by_role("button", name="Reconnect the realtime listener now")).to_be_disabled()
    assert wait_for(lambda: (read_status(core) or {}).get("state") == "connected" and catch_ups(core) >= 1, 20)
    demo.plex.add_album("Heard Over The Socket", "Ada Brand")  # Plex announces it on the WebSocket
    assert wait_for(lambda: (read_status(core) or {}).get("events", 0) >= 1)
    page.reload()
    expect(row).to_have_attribute("data-pb-realtime-state", "connected")
    # The page writes times in the reader's time zone (seconds where they matter).
    expect(row.locator("[data-pb-realtime-status]")).to_contain_text(re.compile(r"connected\s+since \w+ \d+, \d{4}"))
    expect(row.locator("[data-pb-realtime-event]")).to_contain_text(
        re.compile(r"Last notification: \w+ \d+, \d{4}, \d+:\d\d:\d\d\D*\s\(\d+ heard\)"))
    expect(row.locator("[data-pb-realtime-catch-up]")).to_contain_text("succeeded")
    expect(row.locator("[data-pb-realtime-reconnects]")).to_have_text("Reconnects: 0")
    page.locator("#pb-jobs").screenshot(path=str(ROOT / "test-artifacts" / "screenshots" / "ux-06-jobs-realtime.png"))
    row.get_by_role("button", name="Reconnect the realtime listener now").click()
    expect(page.locator('.pb-alert[role="status"]')).to_contain_text("reconnects within a few seconds")
    assert wait_for(lambda: (read_status(core) or {}).get("reconnects") == 1 and catch_ups(core) >= 2, 20)
    page.reload()
    expect(row.locator("[data-pb-realtime-reconnects]")).to_have_text("Reconnects: 1")


def walk_cancelling_a_scan(page: Any, demo: DemoServer) -> None:
    """A full scan that Plex holds up is cancelled from the jobs panel and ends as cancelled in the history."""
    from playwright.sync_api import expect

    assert demo.plex is not None
    gate = threading.Event()  # the listing waits until the test lets it go
    fault = demo.plex.set_fault("hold", on_path="/library/sections/*/all", count=1, gate=gate)
    try:
        page.locator('#pb-jobs [data-pb-run-now="full"]').click()
        expect(page.locator("[data-pb-progress-status]")).to_have_text("running")
        assert fault.entered.wait(20)  # the scan is inside its listing: only a cancel ends it
        cancel = page.locator("#pb-scan-progress form[data-pb-cancel]")
        expect(cancel).to_be_visible()
        cancel.get_by_role("button", name="Cancel").click()
        expect(page.locator("[data-pb-progress-status]")).to_have_text("cancelled")
        expect(cancel).to_be_hidden()
        expect(page.locator("[data-pb-progress-took]")).to_contain_text("Cancelled after")
        expect(page.locator("#pb-runs tbody tr").first.locator("[data-pb-run-status]")).to_have_text("cancelled")
        expect(page.locator('#pb-jobs [data-pb-run-now="full"]')).to_be_enabled()
    finally:
        gate.set()  # the scan thread goes on, sees its run cancelled and stops
    page.reload()
    expect(page.locator('#pb-jobs tr[data-pb-job="full"]')).to_contain_text("cancelled")
    expect(page.locator("#pb-runs tbody tr").first).to_contain_text("cancelled")
    shot(page, "ux-07-scans-after-cancel")
    page.locator("#pb-jobs").screenshot(path=str(ROOT / "test-artifacts" / "screenshots" / "ux-07-jobs-cancelled.png"))


def test_jobs_links_requesters_phone_layout_and_accessibility(
    browser: Any, demo: DemoServer, axe_source: str,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    assert demo.app is not None and demo.plex is not None
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    problems: dict[str, list[str]] = {}

    # The start page ticks nothing for someone who has not signed in.
    page.goto(demo.url + "/")
    expect(page.locator(".d-steps li.is-done")).to_have_count(0)
    shot(page, "ux-01-store-signed-out")
    sign_in_as_owner(page, demo)
    with demo.app.app_context():
        get_core(demo.app).set_setting("library_id", demo.plex.music_section_id)

    # Jobs panel: Run now on the full scan; the bar is determinate and ends full; history says what changed.
    page.goto(demo.url + "/plexbooks/scan")
    jobs = page.locator("#pb-jobs")
    expect(jobs.locator('tr[data-pb-job="full"]')).to_contain_text("every")
    expect(jobs.locator('tr[data-pb-job="recent"]')).to_be_visible()
    jobs.locator('[data-pb-run-now="full"]').click()
    expect(page.locator("[data-pb-progress-status]")).to_have_text("succeeded")
    track = page.locator("[data-pb-progress-track]")
    expect(track).not_to_have_class(re.compile("indeterminate"))
    expect(track).to_have_attribute("aria-valuenow", track.get_attribute("aria-valuemax") or "x")
    expect(page.locator("[data-pb-progress-took]")).to_contain_text("Finished in")
    first = page.locator("#pb-runs tbody tr").first
    expect(first).to_contain_text("badges gained")
    expect(first).to_contain_text("requests completed")
    expect(first.locator("[data-pb-run-duration]")).to_contain_text(" s")
    page.reload()  # the jobs panel now shows the run as the last one and its success
    expect(jobs.locator('tr[data-pb-job="full"]')).to_contain_text("succeeded")
    wait_until(page, "(() => { const b = document.querySelector('[data-pb-progress-bar]'); return"
                     " b.getBoundingClientRect().width >= b.parentElement.getBoundingClientRect().width - 1; })()")
    shot(page, "ux-02-scans-jobs-panel")
    problems["scans"] = axe_problems(page, axe_source)

    # The realtime listener's row, then cancelling a full scan that Plex holds up.
    core = get_core(demo.app)
    leader = PlexBooksScheduler(core, tick_seconds=0.1, leader_ttl=timedelta(seconds=2), jobs=[]).start()
    try:
        walk_the_realtime_row(page, demo, core)
        problems["scans (realtime row)"] = axe_problems(page, axe_source)
        walk_cancelling_a_scan(page, demo)
        problems["scans (cancelled)"] = axe_problems(page, axe_source)
        links_requesters_and_phone(browser, context, page, demo, axe_source, problems)
    finally:
        leader.stop()
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
    found = {name: lines for name, lines in problems.items() if lines}
    assert not found, f"axe-core found serious or critical problems: {found}"


def links_requesters_and_phone(
    browser: Any, context: Any, page: Any, demo: DemoServer, axe_source: str,  # noqa: F811
    problems: dict[str, list[str]],
) -> None:
    """Open in Plex, the friendly notice, requesters, settings, and the phone layout."""
    from playwright.sync_api import expect

    assert demo.app is not None and demo.plex is not None
    state = demo.app.extensions["plexbooks_demo"]
    owned = [b for b in state.catalog if b.in_fake_plex]
    missing = [b for b in state.catalog if not b.in_fake_plex]

    # Library: Open in Plex on every book; "the" is too broad; the covers look like books.
    page.goto(demo.url + "/plexbooks/library")
    books = page.locator(".pb-book")
    expect(books).to_have_count(24)
    links = page.locator("[data-pb-open-in-plex]")
    expect(links).to_have_count(24)
    for href in links.evaluate_all("ls => ls.map(l => l.getAttribute('href'))"):
        assert PLEX_LINK.search(href), href
    wait_until(page, "Array.from(document.querySelectorAll('.pb-cover img')).slice(0, 8)"
                     ".every(i => i.complete && i.naturalWidth > 0)")
    shot(page, "ux-03-library")
    problems["library"] = axe_problems(page, axe_source)
    page.goto(demo.url + "/plexbooks/library?q=the")
    expect(page.locator("#pb-search-too-broad")).to_contain_text("too broad")
    problems["library search"] = axe_problems(page, axe_source)

    # Store: an owned book is a friendly notice with its link; a request shows who asked and when.
    page.goto(demo.url + "/")
    owned_row = catalog_row(page, owned[0])
    owned_row.get_by_role("button", name="Request").click()
    notice = owned_row.locator("[data-msg]")
    expect(notice).to_contain_text("already has")
    expect(notice).to_have_class(re.compile("d-msg--info"))
    assert PLEX_LINK.search(notice.locator("[data-open-in-plex]").get_attribute("href") or "")
    owned_row.screenshot(path=str(ROOT / "test-artifacts" / "screenshots" / "ux-04a-friendly-notice.png"))
    wanted_row = catalog_row(page, missing[0])
    wanted_row.get_by_role("button", name="Request").click()
    item = page.locator(f'.d-request[data-request-id="{missing[0].request_id}"]')
    expect(item.locator(".d-request__who")).to_contain_text("just now")
    item.get_by_role("button", name="Download completes").click()
    item.get_by_role("button", name="Add to Plex (simulate import)").click()
    expect(item.locator(".d-pill")).to_have_text("available")
    expect(item.locator("[data-open-in-plex]")).to_have_attribute("href", PLEX_LINK)
    listed = page.evaluate("fetch('/plexbooks/api/requests').then(r => r.json())")["items"]
    who = next(i for i in listed if i["request_id"] == missing[0].request_id).get("requested_by")
    if who:  # the requester arrives with the safety-web branch; shown as soon as the API sends it
        expect(item.locator(".d-request__who")).to_contain_text("Requested by")
    page.reload()
    expect(page.locator(".d-steps li.is-done")).to_have_count(4)
    shot(page, "ux-04-store-requests")

    page.goto(demo.url + "/plexbooks/settings")
    problems["settings"] = axe_problems(page, axe_source)
    shot(page, "ux-05-settings")

    # Phone: Previous and Next on one line; the store's list before its side panels.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state(),
                                device_scale_factor=2, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(TIMEOUT_MS)
    mobile.goto(demo.url + "/plexbooks/library?page=2")
    prev, nxt = mobile.locator(".pb-pager .pb-btn").first, mobile.locator(".pb-pager .pb-btn").last
    prev_box, next_box = prev.bounding_box(), nxt.bounding_box()
    assert prev_box and next_box and abs(prev_box["y"] - next_box["y"]) < 2, (prev_box, next_box)
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile, "ux-phone-library")
    mobile.locator(".pb-pager").screenshot(path=str(ROOT / "test-artifacts" / "screenshots" / "ux-phone-pager.png"))
    problems["library (phone)"] = axe_problems(mobile, axe_source)
    mobile.goto(demo.url + "/")
    catalog_top = mobile.locator("#catalog").bounding_box()
    side_top = mobile.locator(".d-side").bounding_box()
    assert catalog_top and side_top and catalog_top["y"] < side_top["y"], (catalog_top, side_top)
    shot(mobile, "ux-phone-store")
    mobile.goto(demo.url + "/plexbooks/scan")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile, "ux-phone-scans")
    mobile.locator("#pb-jobs").screenshot(path=str(ROOT / "test-artifacts" / "screenshots" / "ux-phone-jobs.png"))
    problems["scans (phone)"] = axe_problems(mobile, axe_source)
    phone.close()


def test_the_accessibility_check_catches_a_page_with_problems(browser: Any, axe_source: str) -> None:  # noqa: F811
    """The check above can fail: a picture without alt text and an unlabelled field are reported."""
    page = browser.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="data:,x"><input type="text"></main></html>')
    problems = axe_problems(page, axe_source)
    page.close()
    assert any(line.startswith("image-alt") for line in problems), problems
    assert any(line.startswith("label") for line in problems), problems
