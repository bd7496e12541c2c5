"""Walk the demo as a newcomer would, in headless Chromium: sign in, set up, scan, badges, requests.

Screenshots of every page (desktop and 390 px phone width) go to test-artifacts/screenshots/.
Debian's Chromium is used (never Playwright's own download); without it this test FAILS on purpose,
with the command that installs it, so CI cannot go green without the browser walk.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plexbooks_plugin.demo import DemoServer

from ..conftest import DatabaseFactory

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 20_000


def chromium_executable() -> str:
    """Debian's Chromium, or a clear failure saying how to install it."""
    for candidate in (os.environ.get("PLEXBOOKS_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail(
        "Chromium is not installed, so the browser walk through the demo cannot run. "
        "Install it with: apt-get install -y chromium (or set PLEXBOOKS_CHROMIUM to a Chromium binary).",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright."""
    executable = chromium_executable()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def demo(database_factory: DatabaseFactory, tmp_path: Path) -> Iterator[DemoServer]:
    """The demo host and its emulator on free loopback ports, with no scheduler (the walk scans by hand)."""
    server = DemoServer(
        items=300, database_url=database_factory.new_url(), instance_path=tmp_path / "instance", scheduler=False,
        PLEXBOOKS_SCAN_ON_SAVE=False,  # the walk starts the first scan itself, on the Scans page
        second_audiobooks=8,
    )
    server.start(port=0)
    yield server
    server.stop()


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_until(page: Any, expression: str) -> None:
    """Poll a JavaScript expression until it is true.

    Not page.wait_for_function: that evaluates its string with eval() inside the page, which the
    plugin's Content-Security-Policy rightly forbids; page.evaluate runs outside the page's CSP.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def catalog_row(page: Any, book: Any) -> Any:
    """The store row of a catalog book."""
    return page.locator(f'.d-book[data-request-id="{book.request_id}"]')


def test_newcomer_walk_through_the_demo(browser: Any, demo: DemoServer) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    state = demo.app.extensions["plexbooks_demo"]  # type: ignore[union-attr]
    owned = [b for b in state.catalog if b.in_fake_plex]
    missing = [b for b in state.catalog if not b.in_fake_plex]
    assert len(state.catalog) >= 24 and len(owned) >= 10 and len(missing) >= 10

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    # The plugin's pages send a strict Content-Security-Policy: Chromium reports anything it blocks.
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)

    # 1. The store before anything is set up: no badge anywhere, a sign-in button.
    page.goto(demo.url + "/")
    expect(page.locator(".d-book")).to_have_count(len(state.catalog))
    expect(page.locator(".d-book .plexbooks-badge:visible")).to_have_count(0)
    shot(page, "01-store-signed-out")

    # 2. Sign in through the emulator's Plex page as the server owner.
    page.click("#d-signin")
    page.wait_for_url(re.compile(r"/auth"))
    shot(page, "02-plex-auth-page")
    page.get_by_role("button", name=re.compile(r"\(owner\)")).click()
    # The owner's account is a Plex Home: plexbooks asks who is signing in.
    expect(page.locator("h1")).to_have_text("Who is this?")
    expect(page.locator("[data-pb-profile]")).to_have_count(3)
    shot(page, "02b-home-profile-picker")
    page.locator('[data-pb-profile="plexowner"]').get_by_role("button").click()
    page.wait_for_url(demo.url + "/")
    expect(page.locator(".d-role")).to_have_text("admin")

    # 3. Settings: test the connection, pick the Audiobooks library, save.
    page.get_by_role("link", name="Plex settings").first.click()
    expect(page.locator("h1")).to_have_text("Settings")
    assert demo.plex is not None and demo.plex.token not in page.content()
    expect(page.locator("[data-pb-token-stored]")).to_be_visible()

    # "Sign in with Plex" lists the account's servers; picking one stores its address and token.
    page.click("#pb-signin-plex")
    page.wait_for_url(re.compile(r"/auth"))
    page.get_by_role("button", name=re.compile(r"\(owner\)")).click()
    picker = page.locator("#pb-server-picker form", has_text="Fake Plex")
    expect(picker).to_be_visible()
    shot(page, "03a-settings-server-picker")
    picker.get_by_role("button", name="Use this server").click()
    expect(page.locator(".pb-alert--ok")).to_contain_text("Connected to Fake Plex")
    expect(page.locator("#pb-server-picker [data-pb-in-use]")).to_have_count(1)
    page.click("#pb-test-connection")
    result = page.locator('#pb-conn-result [data-pb-conn="ok"]')
    expect(result).to_contain_text("Fake Plex")
    audiobooks = page.locator('.pb-library[data-pb-library="4"]')
    expect(audiobooks).to_contain_text("300 albums")
    audiobooks.locator("input[type=checkbox]").check()
    kids = page.locator('.pb-library[data-pb-library="5"]')
    expect(kids).to_contain_text("Kids Audiobooks")
    expect(kids).to_contain_text("/data/kids-audiobooks, /mnt/disk2/kids-audiobooks")
    kids.locator("input[type=checkbox]").check()
    shot(page, "03-settings-connection-tested")
    page.click("#pb-save")
    expect(page.locator(".pb-alert--ok")).to_contain_text("Settings saved")
    # Saved: the list comes back from /api/libraries with the selection and a hint per library.
    expect(page.locator('.pb-library[data-pb-library="5"] input[type=checkbox]')).to_be_checked()
    expect(page.locator('.pb-library[data-pb-library="4"] input[type=checkbox]')).to_be_checked()
    expect(page.locator('.pb-library[data-pb-library="2"] input[type=checkbox]')).not_to_be_checked()
    expect(page.locator('.pb-library[data-pb-library="5"] [data-pb-hint]')).to_have_text("looks like audiobooks")
    expect(page.locator('.pb-library[data-pb-library="2"] [data-pb-hint]')).to_have_text("looks like music")
    shot(page, "03b-settings-libraries-checked")
    assert demo.plex.token not in page.content()
    shot(page, "04-settings-saved")

    # A bad URL is refused next to the field.
    page.fill("#plex_url", "ftp://nas.local")
    page.click("#pb-save")
    expect(page.locator("#plex_url-error")).to_contain_text("http")
    shot(page, "05-settings-validation-error")

    # 4. Scans: scan the library and watch the progress reach the end without a reload.
    page.get_by_role("link", name="Scans").click()
    expect(page.locator("h1")).to_have_text("Library scans")
    page.evaluate("window.__noReload = true")
    page.get_by_role("button", name="Scan library now").click()
    # Both checked libraries: 300 audiobooks and 8 kids' audiobooks.
    expect(page.locator("[data-pb-progress-text]")).to_have_text("308 of 308 books")
    expect(page.locator("[data-pb-progress-status]")).to_have_text("succeeded")
    expect(page.locator("#pb-runs tbody tr").first).to_contain_text("308 new")
    assert page.evaluate("window.__noReload") is True  # the progress came in without a page load
    wait_until(page,  # the bar animates to full width: let it get there before the picture
        "(() => { const b = document.querySelector('[data-pb-progress-bar]');"
        " return b.getBoundingClientRect().width >= b.parentElement.getBoundingClientRect().width - 1; })()"
    )
    shot(page, "06-scan-finished")

    # 5. The store now badges exactly the books Plex has.
    page.goto(demo.url + "/")
    for book in owned:
        expect(catalog_row(page, book).locator(".plexbooks-badge")).to_be_visible()
    for book in missing:
        expect(catalog_row(page, book).locator(".plexbooks-badge")).to_be_hidden()
    shot(page, "07-store-badges")

    # 6. Requesting an owned book is refused; a missing one is requested.
    owned_row = catalog_row(page, owned[0])
    owned_row.get_by_role("button", name="Request").click()
    expect(owned_row.locator("[data-msg]")).to_contain_text("already has")
    wanted = missing[0]
    wanted_row = catalog_row(page, wanted)
    wanted_row.get_by_role("button", name="Request").click()
    expect(wanted_row.locator("[data-msg]")).to_contain_text("Requested")
    request_item = page.locator(f'.d-request[data-request-id="{wanted.request_id}"]')
    expect(request_item.locator(".d-pill")).to_have_text("downloading")
    shot(page, "08-store-requested")

    # 7. The download completes, the book is added to Plex, the poll makes the request available.
    request_item.get_by_role("button", name="Download completes").click()
    expect(request_item.locator(".d-pill")).to_have_text("downloaded")
    request_item.get_by_role("button", name="Add to Plex (simulate import)").click()
    expect(request_item.locator(".d-pill")).to_have_text("available")
    expect(wanted_row.locator(".plexbooks-badge")).to_be_visible()
    expect(page.locator("#d-events")).to_contain_text("is available")
    shot(page, "09-store-request-available")

    # 8. The plugin's library browser, with covers through the proxy and search.
    page.goto(demo.url + "/plexbooks/library")
    expect(page.locator(".pb-book")).to_have_count(24)
    covers = page.locator(".pb-cover img")
    assert covers.count() > 0
    wait_until(
        page,
        "Array.from(document.querySelectorAll('.pb-cover img')).slice(0, 6)"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert demo.plex.token not in page.content()
    shot(page, "10-library")
    page.fill("input[name=q]", wanted.title.split()[-1])
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".pb-book", has_text=wanted.title)).to_be_visible()
    shot(page, "11-library-search")
    # Two libraries are mirrored: each book names its library, and the list filters by library.
    page.fill("input[name=q]", "")
    page.select_option("select[name=library]", label="Kids Audiobooks")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".pb-book")).to_have_count(8)
    expect(page.locator('.pb-book [data-pb-book-library="5"]')).to_have_count(8)
    expect(page.locator(".pb-book").first).to_contain_text("Kids Audiobooks")
    shot(page, "11b-library-kids-filter")
    # Keyboard: the first Tab reaches the skip link, which shows itself with a focus ring.
    page.keyboard.press("Tab")
    skip = page.locator(".pb-skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = page.evaluate("getComputedStyle(document.querySelector('.pb-skip')).outlineStyle")
    assert outline == "solid"
    shot(page, "11a-skip-link-focused")

    # 9. Phone width: the same pages, for a look at the layout.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state(),
                                device_scale_factor=2, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(TIMEOUT_MS)
    for name, path in [("store", "/"), ("settings", "/plexbooks/settings"), ("scans", "/plexbooks/scan"),
                       ("library", "/plexbooks/library")]:
        mobile.goto(demo.url + path)
        mobile.wait_for_load_state("networkidle")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px wide)"
        shot(mobile, f"phone-{name}")
        mobile.screenshot(path=str(SCREENSHOTS / f"phone-{name}-screen.png"))  # what the first screen shows
    phone.close()

    # 10. Signing out from the plugin's header returns to a signed-out store.
    page.goto(demo.url + "/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#d-signin")).to_be_visible()

    # 11. A PIN-protected Home profile: a wrong PIN is said plainly on the picker, the right one signs in.
    page.click("#d-signin")
    page.get_by_role("button", name=re.compile(r"\(owner\)")).click()
    teen = page.locator('[data-pb-profile="Teen"]')
    teen.locator("input[name=pin]").fill("0000")
    teen.get_by_role("button", name="Continue").click()
    expect(page.locator("[data-pb-profile-error]")).to_have_text("That PIN is not right for Teen. Try again.")
    shot(page, "12-home-profile-wrong-pin")
    page.locator('[data-pb-profile="Teen"] input[name=pin]').fill(demo.plex.home_pin)
    page.locator('[data-pb-profile="Teen"]').get_by_role("button", name="Continue").click()
    page.wait_for_url(demo.url + "/")
    expect(page.locator(".d-role")).to_have_text("user")
    shot(page, "13-store-as-teen-profile")
    context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"
    assert not blocked, f"the Content-Security-Policy blocked something: {blocked}"
