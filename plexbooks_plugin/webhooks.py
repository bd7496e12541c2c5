"""Sending the webhook outbox to the host: on the scheduler leader, in a thread of its own (never in a scan)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import requests

from . import store as repo
from .background import BackgroundLoop
from .const import SettingKey
from .plex.redact import error_line
from .services.webhooks import SIGNATURE_HEADER, gives_up, retry_delay, signature

if TYPE_CHECKING:
    from .core import PlexBooksCore

log = logging.getLogger(__name__)

SEND_EVERY_SECONDS = 2.0
TIMEOUT = (5.0, 10.0)


@dataclass(frozen=True)
class Sent:
    """What one round of sending did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def send_due_webhooks(
    core: PlexBooksCore, http: requests.Session | None = None, *, now: datetime | None = None
) -> Sent:
    """POST every delivery due at `now` once; record each outcome (delivered, retry later, failed for good)."""
    url = core.get_setting(SettingKey.WEBHOOK_URL)
    if not url:
        return Sent()
    secret = core.get_setting(SettingKey.WEBHOOK_SECRET) or ""
    with core.session() as session:
        due = [(d.id, d.payload, d.attempts) for d in repo.due_webhooks(session, now or repo.now())]
    delivered = retrying = failed = 0
    client = http or requests.Session()
    try:
        for delivery_id, payload, attempts in due:
            ok, status, error = _post(client, url, payload, secret)
            retry_in = None if ok or gives_up(attempts + 1) else retry_delay(attempts + 1)
            with core.session() as session:
                repo.record_webhook_attempt(session, delivery_id, delivered=ok, status_code=status, error=error,
                                            retry_in=retry_in)
            if ok:
                delivered += 1
            elif retry_in is None:
                failed += 1
                log.warning("webhook delivery %d failed for good after %d attempts: %s", delivery_id, attempts + 1,
                            error)
            else:
                retrying += 1
                log.info("webhook delivery %d failed (%s); retrying in %g s", delivery_id, error, retry_in)
    finally:
        if http is None:
            client.close()
    return Sent(delivered, retrying, failed)


def _post(client: requests.Session, url: str, payload: str, secret: str) -> tuple[bool, int | None, str | None]:
    body = payload.encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "plexbooks-webhook"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    try:
        response = client.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as err:
        return False, None, error_line(err, typed=True, secrets=(secret,) if secret else ())
    response.close()
    if 200 <= response.status_code < 300:
        return True, response.status_code, None
    return False, response.status_code, f"the host answered HTTP {response.status_code}"


class WebhookSender(BackgroundLoop):
    """A daemon thread sending the outbox every few seconds while the scheduler leads."""

    thread_name = "plexbooks-webhooks"

    def __init__(self, core: PlexBooksCore, every: float = SEND_EVERY_SECONDS) -> None:
        super().__init__()
        self.core = core
        self.every = every

    def _run(self) -> None:
        with requests.Session() as http:
            while not self._stop.is_set():
                try:
                    send_due_webhooks(self.core, http)
                except Exception as err:  # the loop must outlive a database hiccup
                    log.warning("sending webhooks failed: %s", error_line(err, typed=True))
                self._stop.wait(self.every)
