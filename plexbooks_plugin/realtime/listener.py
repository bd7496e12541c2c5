"""The notification listener: one WebSocket to `/:/websockets/notifications`, run by the scheduler leader.

It reconnects with backoff (`decisions.backoff_delay`), catches up with a recently-added poll after
every (re)connection, and hands the albums it hears about to `apply.apply_batch` once `PendingAlbums`
says they are due. Its state is kept in the ``realtime_status`` setting so every process can show it; an
admin's "Reconnect now" (in any process) reaches it through the ``realtime_reconnect`` setting.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from .. import store as repo
from ..background import BackgroundLoop
from ..const import SettingKey
from ..errors import PlexbooksError, ScanRunning
from ..plex.redact import TokenRedactingFilter, error_line
from ..scanning import run_scan
from ..services.libraries import selected_ids
from .apply import apply_batch
from .decisions import PendingAlbums, album_events, backoff_delay, websocket_url

if TYPE_CHECKING:
    from ..core import PlexBooksCore

log = logging.getLogger(__name__)
# websockets logs the handshake headers (the token among them) at DEBUG: its records go through this
# logger, which masks every token the listener has used.
_ws_log = logging.getLogger("plexbooks.realtime.websocket")
_ws_redactor = TokenRedactingFilter()
_ws_log.addFilter(_ws_redactor)

CONFIG_CHECK_SECONDS = 5.0  # how often a connected listener re-reads its settings
CATCH_UP_RETRY_SECONDS = 5.0  # after a catch-up poll could not run (a scan was running)
STATUS_EVERY_SECONDS = 2.0  # event counts are written at most this often


@dataclass(frozen=True)
class ListenerConfig:
    """What the listener connects with; a change means reconnecting."""

    url: str
    token: str
    sections: frozenset[str]
    asked: str = ""  # when an admin last asked to reconnect: a new value means reconnecting now


def realtime_enabled(core: PlexBooksCore) -> bool:
    """Whether the `realtime` setting asks for the notification listener (on unless turned off)."""
    return (core.get_setting(SettingKey.REALTIME) or "true") == "true"


def listener_config(core: PlexBooksCore) -> ListenerConfig | None:
    """The connection settings, or None while realtime is off or Plex or the library is not configured."""
    if not realtime_enabled(core) or not core.plex_configured():
        return None
    sections = frozenset(selected_ids(core))
    if not sections:
        return None
    return ListenerConfig(core.get_setting(SettingKey.PLEX_URL) or "", core.get_setting(SettingKey.PLEX_TOKEN) or "",
                          sections, core.get_setting(SettingKey.REALTIME_RECONNECT) or "")


def ask_to_reconnect(core: PlexBooksCore) -> None:
    """Ask the leader's listener (whichever process holds it) to reconnect and catch up within seconds."""
    core.set_setting(SettingKey.REALTIME_RECONNECT, repo.now().isoformat())


def read_status(core: PlexBooksCore) -> dict[str, Any] | None:
    """The listener's last recorded state (any process may read it), or None if none ever ran."""
    with core.session() as session:
        value = repo.get_json_setting(session, SettingKey.REALTIME_STATUS)
    return value if isinstance(value, dict) else None


class RealtimeListener(BackgroundLoop):
    """A daemon thread holding the notification WebSocket while started."""

    thread_name = "plexbooks-realtime"

    def __init__(self, core: PlexBooksCore, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.core = core
        self.clock = clock
        self._ws: ClientConnection | None = None
        self._status: dict[str, Any] = {"state": "stopped", "events": 0}
        self._status_written = 0.0
        self._written_events = 0
        self._catch_up_at: float | None = None
        self._connections = 0
        self.applied_batches = 0

    def stop(self, timeout: float = 5.0) -> None:
        """Close the WebSocket, end the thread and record the state."""
        super().stop(timeout)
        self._set_status("stopped", force=True)

    def _wake(self) -> None:
        ws = self._ws
        if ws is not None:
            try:
                ws.close()
            except Exception:  # closing a dead socket: nothing left to do
                log.debug("closing the notification WebSocket failed", exc_info=True)

    # ------------------------------------------------------------------ the connection loop

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            config = self._config()
            if config is None:
                self._set_status("off", error=None, retry_in=None, retry_at=None)
                self._stop.wait(CONFIG_CHECK_SECONDS)
                continue
            if failures == 0:
                self._set_status("connecting", error=None, retry_in=None, retry_at=None)
            outcome = self._attempt(config)
            if outcome is None:
                failures = 0  # it was connected: the next attempt starts the backoff afresh
                continue
            failures += 1
            if self._back_off(*outcome, failures, config):
                failures = 0  # asked to reconnect now, or the settings changed: start afresh

    def _attempt(self, config: ListenerConfig) -> tuple[str, str] | None:
        """Connect and listen until the connection ends; None if it ended cleanly, else (state, error)."""
        try:
            self._connect_and_listen(config)
            return None
        except InvalidStatus as err:
            return "refused", f"Plex refused the WebSocket (HTTP {err.response.status_code})"
        except (OSError, TimeoutError, WebSocketException, PlexbooksError) as err:
            return "disconnected", error_line(err, typed=True, secrets=(config.token,))
        except Exception as err:  # never let the thread die: log, back off, try again
            log.exception("the notification listener failed")
            return "disconnected", error_line(err, typed=True, secrets=(config.token,))

    def _config(self) -> ListenerConfig | None:
        try:
            return listener_config(self.core)
        except Exception as err:
            log.warning("realtime: could not read the settings: %s", error_line(err))
            return None

    def _back_off(self, state: str, error: str, failures: int, config: ListenerConfig) -> bool:
        """Record the failure and wait out the backoff; True if the settings or a reconnect request cut it short."""
        delay = backoff_delay(failures)
        if self._stop.is_set():
            return False
        log.info("realtime: %s (%s); retrying in %g s", state, error, delay)
        retry_at = (repo.now() + timedelta(seconds=delay)).isoformat()
        self._set_status(state, error=error, retry_in=delay, retry_at=retry_at)
        deadline = self.clock() + delay
        while not self._stop.is_set():
            left = deadline - self.clock()
            if left <= 0:
                return False
            # In slices: an admin's "Reconnect now" must not wait out a 30 s backoff.
            self._stop.wait(min(left, CONFIG_CHECK_SECONDS))
            if not self._stop.is_set() and self._config() != config:
                log.info("realtime: reconnecting now (asked by an admin, or the settings changed)")
                return True
        return False

    def _connect_and_listen(self, config: ListenerConfig) -> None:
        url = websocket_url(config.url)
        headers = {"X-Plex-Token": config.token, "X-Plex-Client-Identifier": self.core.client_identifier()}
        # The token travels in a header only: the URL (logged by websockets on errors) never holds it.
        _ws_redactor.add_secret(config.token)
        with connect(url, additional_headers=headers, open_timeout=10, close_timeout=2, logger=_ws_log,
                     ping_interval=20, ping_timeout=20, max_size=8 * 1024 * 1024) as ws:
            self._ws = ws
            try:
                log.info("realtime: connected to %s", url)
                self._connections += 1
                self._set_status("connected", error=None, since=repo.now().isoformat(), retry_in=None, retry_at=None,
                                 reconnects=self._connections - 1)
                self._catch_up_at = self.clock()  # whatever happened while we were away
                with self.core.plex_client() as client:
                    self._listen(ws, config, client)
            finally:
                self._ws = None

    def _listen(self, ws: ClientConnection, config: ListenerConfig, client: Any) -> None:
        pending = PendingAlbums()
        next_check = self.clock() + CONFIG_CHECK_SECONDS
        while not self._stop.is_set():
            now = self.clock()
            if self._catch_up_at is not None and now >= self._catch_up_at:
                self._catch_up()
            wait = pending.next_due_in(now)
            try:
                text = ws.recv(timeout=min(1.0, wait) if wait is not None else 1.0)
            except TimeoutError:
                text = None
            now = self.clock()
            if text is not None:
                self._heard(text, config, pending, now)
            batch = pending.due(now)
            if batch:
                self._apply(client, batch)
            if now >= next_check:
                next_check = now + CONFIG_CHECK_SECONDS
                fresh = self._config()
                if fresh != config:
                    asked = fresh is not None and fresh.asked != config.asked
                    log.info("realtime: %s; reconnecting",
                             "an admin asked to reconnect" if asked else "the settings changed")
                    return
            self._flush_status()

    def _heard(self, text: str | bytes, config: ListenerConfig, pending: PendingAlbums, now: float) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            log.debug("realtime: a notification that is not JSON was ignored")
            return
        events = album_events(message, config.sections)
        for event in events:
            pending.add(event, now)
        if events:
            self._status["events"] = int(self._status.get("events", 0)) + len(events)
            self._status["last_event_at"] = repo.now().isoformat()

    def _apply(self, client: Any, batch: Any) -> None:
        try:
            applied = apply_batch(self.core, client, batch)
            self.applied_batches += 1
            if applied.matched:
                log.info("realtime: %d requests became available", applied.matched)
        except Exception as err:
            # The albums are not lost: the catch-up poll finds what was added or changed.
            log.warning("realtime: applying %d albums failed (%s); catching up with a poll",
                        len(batch.fetch) + len(batch.check_deleted), error_line(err, typed=True))
            self._catch_up_at = self.clock() + CATCH_UP_RETRY_SECONDS

    def _catch_up(self) -> None:
        try:
            summary = run_scan(self.core, "recent", triggered_by="realtime")
            self._catch_up_at = None
            log.info("realtime: caught up (%s new, %s updated)", summary.get("new"), summary.get("updated"))
        except ScanRunning:
            self._catch_up_at = self.clock() + CATCH_UP_RETRY_SECONDS
        except PlexbooksError as err:
            log.warning("realtime: the catch-up poll failed: %s", err)
            self._catch_up_at = self.clock() + CATCH_UP_RETRY_SECONDS * 6

    # ------------------------------------------------------------------ status

    def _set_status(self, state: str, *, force: bool = False, **fields: Any) -> None:
        changed = state != self._status.get("state") or any(self._status.get(k) != v for k, v in fields.items())
        self._status.update(fields, state=state, holder=self.core.holder_id)
        if changed or force:
            self._write_status()

    def _flush_status(self) -> None:
        if self._status.get("events") != self._written_events and (
            self.clock() - self._status_written >= STATUS_EVERY_SECONDS
        ):
            self._write_status()

    def _write_status(self) -> None:
        self._written_events = int(self._status.get("events", 0))
        self._status_written = self.clock()
        try:
            with self.core.session() as session:
                stored = repo.get_json_setting(session, SettingKey.REALTIME_STATUS)
                if (self._status["state"] == "stopped" and isinstance(stored, dict)
                        and stored.get("holder") not in (None, self.core.holder_id)):
                    return  # another process leads now: its state is the one to show
                repo.set_json_setting(session, SettingKey.REALTIME_STATUS, self._status)
        except Exception as err:  # the status is informative only
            log.debug("realtime: could not record the status: %s", error_line(err))
