"""Webhooks to the host: the body, its signature and the retry schedule (pure functions)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

EVENT_AVAILABLE = "request.available"
SIGNATURE_HEADER = "X-Plexbooks-Signature"
RETRY_FIRST_SECONDS = 10.0
RETRY_MAX_SECONDS = 3600.0
MAX_ATTEMPTS = 12  # about five hours of retries; then the delivery is marked failed for the admin


def available_body(*, request_id: str, rating_key: str, title: str | None, author: str | None) -> str:
    """The exact JSON body of a `request.available` event (this string is what gets signed and sent)."""
    payload: dict[str, Any] = {
        "event": EVENT_AVAILABLE,
        "request_id": request_id,
        "rating_key": rating_key,
        "title": title,
        "author": author,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def signature(body: bytes, secret: str) -> str:
    """The `X-Plexbooks-Signature` value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header: str | None) -> bool:
    """What a host does with the header: compare in constant time."""
    return header is not None and hmac.compare_digest(signature(body, secret), header)


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones (10 s, doubling, at most an hour)."""
    return min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** max(0, min(attempts - 1, 20)))


def gives_up(attempts: int) -> bool:
    """Whether a delivery that failed `attempts` times is marked failed instead of retried."""
    return attempts >= MAX_ATTEMPTS
