"""Plex unreachable, slow, failing, dropping, truncating or answering HTML on any page of a full scan.

Each case: the run ends `failed` with a clear error, no row is removed or changed, no removal is
held back, the lease is free, and the next scan succeeds. The scheduler survives the same failures.
"""

from __future__ import annotations

import html
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from plexbooks_plugin import scanning as scanner
from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.fakeplex import FakeAlbum, FakePlex
from plexbooks_plugin.models import ScanRun
from plexbooks_plugin.scanning import ScanFailed, run_full_scan, run_scan
from plexbooks_plugin.scheduler import JobSpec, PlexBooksScheduler
from tests.fakeplex_fixtures import FakePlexFactory
from tests.viewkit import app_core, sign_in_as

from .helpers import LISTING, closed_port_url, configure, lease_holder, library_keys, run_of, runs, snapshot, wait_until

ITEMS = 25
PAGE = 10
PAGES = {"first": 0, "second": 1, "last": (ITEMS - 1) // PAGE}

# fault kind -> (set_fault keyword arguments, a fragment the run's error must contain)
FAULTS: dict[str, tuple[dict[str, object], str]] = {
    "slow": ({"kind": "latency", "delay": 0.8}, "no answer within 0.5 s"),
    "500": ({"kind": "500"}, "answered HTTP 500"),
    "502": ({"kind": "502"}, "answered HTTP 502"),
    "503": ({"kind": "503"}, "answered HTTP 503"),
    "drop": ({"kind": "drop"}, "dropped in the middle of the answer"),
    "truncated-json": ({"kind": "truncate"}, "the JSON answer is malformed"),
    "truncated-xml": ({"kind": "truncate"}, "the XML answer is malformed"),
    "html": ({"kind": "html"}, "HTML page"),
}


def _mirror(core: PlexBooksCore) -> dict[str, object]:
    summary = run_scan(core, "full", page_size=PAGE)
    assert summary["total"] == ITEMS and summary["warning"] is None
    return summary


def _mirrored(core: PlexBooksCore, factory: FakePlexFactory, **options: Any) -> tuple[FakePlex, PlexBooksCore]:
    """An emulator with ITEMS books, `core` pointed at it, and a first full scan that mirrored them all."""
    fake = factory(items=ITEMS, **options)
    core = configure(core, fake)
    _mirror(core)
    return fake, core


def _failed_run(core: PlexBooksCore, failed: pytest.ExceptionInfo[ScanFailed]) -> ScanRun:
    """The run row of the scan that raised `failed`."""
    assert failed.value.run_id is not None
    return run_of(core, failed.value.run_id)


def _assert_nothing_lost(core: PlexBooksCore, before: dict[str, dict[str, object]]) -> None:
    """Every row of `before` is still there with exactly the same content; nothing duplicated."""
    after = snapshot(core)
    missing = set(before) - set(after)
    assert not missing, f"a failed scan removed rows {sorted(missing)}"
    changed = {key for key in before if after[key] != before[key]}
    assert not changed, f"a failed scan rewrote rows {sorted(changed)}: {[(before[k], after[k]) for k in changed]}"
    keys = library_keys(core)
    assert len(keys) == len(set(keys))
    assert scanner.pending_removal(core) is None
    assert lease_holder(core, scanner.SCAN_LEASE) is None


@pytest.mark.parametrize("page", list(PAGES), ids=list(PAGES))
@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_a_fault_on_any_page_fails_the_run_and_keeps_every_row(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, fault: str, page: str
) -> None:
    fake, core = _mirrored(fast_core, fake_plex_factory, xml_only=fault.endswith("-xml"))
    # Plex changes meanwhile: one book goes (a complete scan would remove it), one arrives.
    gone = str(fake.albums()[3].rating_key)
    fake.remove_album(gone)
    arrived = fake.add_album("A Book Added Meanwhile", "Ada Newcomer", added_at=1_760_000_000)
    before = snapshot(core)
    assert gone in before

    options, expected = FAULTS[fault]
    kwargs = dict(options)
    kind = str(kwargs.pop("kind"))
    # Two matching requests: the first attempt and its one retry (count=None would also do).
    fake.set_fault(kind, on_path=LISTING, on_page=PAGES[page], **kwargs)  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(ScanFailed) as failed:
        run_scan(core, "full", page_size=PAGE)
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"the failing scan took {elapsed:.1f} s"

    run = _failed_run(core, failed)
    assert run.status == "failed" and run.finished_at is not None
    assert run.error and expected in run.error, run.error
    assert str(failed.value) == run.error
    assert fake.token not in run.error
    _assert_nothing_lost(core, before)

    fake.clear_faults()
    summary = run_scan(core, "full", page_size=PAGE)
    assert summary["removed"] == 1 and summary["total"] == ITEMS
    mirrored = snapshot(core)
    assert gone not in mirrored and arrived in mirrored
    assert run_of(core, summary["run_id"]).status == "succeeded"  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["full", "recent"])
def test_plex_unreachable_fails_the_run_and_the_next_scan_succeeds(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, kind: str
) -> None:
    fake, core = _mirrored(fast_core, fake_plex_factory)
    before = snapshot(core)
    core.set_setting("plex_url", closed_port_url())
    with pytest.raises(ScanFailed) as failed:
        run_scan(core, kind, page_size=PAGE)
    run = _failed_run(core, failed)
    assert run.status == "failed"
    assert "could not be reached" in (run.error or "") and "refused" in (run.error or ""), run.error
    _assert_nothing_lost(core, before)

    core.set_setting("plex_url", fake.url)
    summary = run_scan(core, kind, page_size=PAGE)
    assert run_of(core, summary["run_id"]).status == "succeeded"  # type: ignore[arg-type]
    assert snapshot(core) == before


def test_a_fault_in_the_recently_added_poll_fails_it_and_keeps_every_row(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    fake, core = _mirrored(fast_core, fake_plex_factory)
    new_keys = [fake.add_album(f"Fresh Arrival {n}", "Noor Fresh", added_at=1_760_000_000 + n) for n in range(3)]
    before = snapshot(core)
    fake.set_fault("truncate", on_path=LISTING)
    with pytest.raises(ScanFailed, match="malformed"):
        run_scan(core, "recent")
    _assert_nothing_lost(core, before)
    assert not set(new_keys) & set(snapshot(core))
    fake.clear_faults()
    summary = run_scan(core, "recent")
    assert summary["new"] == 3 and set(new_keys) <= set(snapshot(core))


@pytest.mark.parametrize("fault", ["503", "drop", "slow", "unreachable"])
def test_the_scheduler_survives_a_failing_scan_and_runs_the_next(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, fault: str
) -> None:
    fake, core = _mirrored(fast_core, fake_plex_factory)
    before = snapshot(core)
    if fault == "unreachable":
        core.set_setting("plex_url", closed_port_url())
    elif fault == "slow":
        fake.set_fault("latency", on_path=LISTING, delay=0.8, count=2)
    else:
        fake.set_fault(fault, on_path=LISTING, count=2)  # the attempt and its retry

    seen_failure: list[int] = []

    def job(c: PlexBooksCore) -> object:
        try:
            return run_full_scan(c)
        except ScanFailed as err:
            seen_failure.append(err.run_id or 0)
            if fault == "unreachable":
                c.set_setting("plex_url", fake.url)  # Plex comes back
            raise

    sched = PlexBooksScheduler(
        core, tick_seconds=0.02, leader_ttl=timedelta(seconds=5),
        jobs=[JobSpec("full_scan", job, lambda _c: 0.05, kind="full")],
        realtime=False,  # the listener's catch-up poll would take the injected faults meant for this job
    )
    sched.start()
    try:
        assert wait_until(
            lambda: any(r.status == "succeeded" and r.id > (seen_failure or [10**9])[0] for r in runs(core)),
            timeout=15,
        ), [(r.id, r.status, r.error) for r in runs(core)]
        assert sched.running and sched.is_leader
        assert sched.failures.get("full_scan", 0) >= 1
        # And it keeps going: more runs after the recovery.
        finished = sched.runs.get("full_scan", 0)
        assert wait_until(lambda: sched.runs.get("full_scan", 0) > finished, timeout=10)
    finally:
        sched.stop(timeout=5)
    history = runs(core)
    failed = [r for r in history if r.status == "failed"]
    assert failed and all(r.error for r in failed)
    assert not [r for r in history if r.status == "running"]
    assert snapshot(core) == before
    with core.session() as session:
        assert repo.lease_holder(session, scanner.SCAN_LEASE) is None


# ------------------------------------------------------------------ token revoked


def test_a_token_revoked_mid_scan_says_sign_in_again_on_the_scan_panel_and_api(
    app: Flask, fake_plex_factory: FakePlexFactory, key_headers: dict[str, str]
) -> None:
    fake, core = _mirrored(app_core(app), fake_plex_factory)
    before = snapshot(core)

    fake.set_fault("unauthorized", on_path=LISTING, on_page=1)  # Plex accepts page 0, then refuses the token
    with pytest.raises(ScanFailed) as failed:
        run_scan(core, "full", page_size=PAGE)
    run = _failed_run(core, failed)
    assert run.status == "failed"
    assert "refused the token" in (run.error or "") and "sign in again" in (run.error or ""), run.error
    assert fake.token not in (run.error or "")
    _assert_nothing_lost(core, before)

    # A token revoked for good: the scan button (the API) starts a run that fails the same way.
    fake.clear_faults()
    fake.revoke_token(fake.token)
    client = app.test_client()
    started = client.post("/plexbooks/api/scan", json={"kind": "full"}, headers=key_headers)
    assert started.status_code == 202, started.get_data(as_text=True)
    run_id = started.get_json()["run_id"]
    assert scanner.wait_for_scan(core, run_id, timeout=10)
    status = client.get(f"/plexbooks/api/scan/{run_id}", headers=key_headers).get_json()
    assert status["status"] == "failed" and "sign in again" in status["error"]
    _assert_nothing_lost(core, before)

    admin = app.test_client()
    sign_in_as(admin, app, "admin", "olivia")
    panel = admin.get("/plexbooks/scan")
    assert panel.status_code == 200
    page = html.unescape(panel.get_data(as_text=True))
    assert "refused the token: sign in again" in page
    assert fake.token not in page


# ------------------------------------------------------------------ library unmounted


def _unmount(fake: FakePlex, keys: list[str]) -> dict[str, FakeAlbum]:
    """Take books out of Plex (a drive that went away); return them so they can come back."""
    albums = {key: fake.album(key) for key in keys}
    for key in keys:
        fake.remove_album(key)
    return albums


def _remount(fake: FakePlex, albums: dict[str, FakeAlbum]) -> None:
    """The drive is back: Plex lists the same books under the same rating keys again."""
    with fake.library.lock:
        for key, album in albums.items():
            fake.library.albums[int(key)] = album
        fake.library._changed()  # the emulator has no public "restore" hook


@pytest.mark.parametrize("gone", ["all", "more-than-half"])
def test_an_unmounted_library_removes_nothing_until_an_admin_confirms(
    app: Flask, fake_plex_factory: FakePlexFactory, key_headers: dict[str, str], gone: str
) -> None:
    fake, core = _mirrored(app_core(app), fake_plex_factory)
    before = snapshot(core)
    keys = sorted(before, key=int)
    vanished = keys if gone == "all" else keys[: ITEMS // 2 + 2]
    _unmount(fake, vanished)

    summary = run_scan(core, "full", page_size=PAGE)
    assert summary["removed"] == 0 and summary["warning"]
    expected = "no albums" if gone == "all" else f"{len(vanished)} of {ITEMS}"
    assert expected in summary["warning"]
    assert snapshot(core) == before
    pending = scanner.pending_removal(core)
    assert pending is not None and pending["count"] == len(vanished)
    # The recently-added poll never removes anything either.
    run_scan(core, "recent")
    assert snapshot(core) == before

    admin = app.test_client()
    sign_in_as(admin, app, "admin", "olivia")
    assert "A removal needs your confirmation" in admin.get("/plexbooks/scan").get_data(as_text=True)

    confirmed = app.test_client().post("/plexbooks/api/scan/confirm-removal", json={}, headers=key_headers)
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert confirmed.get_json()["removed"] == len(vanished)
    after = snapshot(core)
    assert sorted(after, key=int) == [k for k in keys if k not in vanished]
    assert all(after[k] == before[k] for k in after)
    assert scanner.pending_removal(core) is None
    again = app.test_client().post("/plexbooks/api/scan/confirm-removal", json={}, headers=key_headers)
    assert again.status_code == 409


def test_a_full_scan_with_confirm_removal_removes_at_once(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    fake, core = _mirrored(fast_core, fake_plex_factory)
    keys = sorted(snapshot(core), key=int)
    _unmount(fake, keys[:20])
    summary = run_scan(core, "full", page_size=PAGE, confirm_removal=True)
    assert summary["removed"] == 20 and sorted(snapshot(core), key=int) == keys[20:]


def test_a_remounted_library_cancels_the_held_back_removal(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    fake, core = _mirrored(fast_core, fake_plex_factory)
    before = snapshot(core)
    albums = _unmount(fake, list(before))
    assert run_scan(core, "full", page_size=PAGE)["removed"] == 0
    assert scanner.pending_removal(core) is not None
    _remount(fake, albums)
    summary = run_scan(core, "full", page_size=PAGE)
    assert (summary["removed"], summary["warning"]) == (0, None)
    assert scanner.pending_removal(core) is None
    assert scanner.confirm_pending_removal(core) == 0
    assert snapshot(core) == before


def test_confirming_keeps_books_a_later_scan_saw_again(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    fake, core = _mirrored(fast_core, fake_plex_factory)
    before = snapshot(core)
    keys = sorted(before, key=int)
    albums = _unmount(fake, keys)
    run_scan(core, "full", page_size=PAGE)  # held back
    # Part of the drive comes back and the poll sees those books before the admin confirms.
    back = {k: albums[k] for k in keys[:5]}
    for album in back.values():
        album.added_at = 1_760_000_000
    _remount(fake, back)
    run_scan(core, "recent")
    assert scanner.confirm_pending_removal(core) == ITEMS - 5
    assert sorted(snapshot(core), key=int) == keys[:5]
