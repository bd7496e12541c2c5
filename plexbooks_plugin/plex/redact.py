"""Masking of Plex tokens in text and log records, so a token never reaches a log file."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"

# Each pattern keeps its group 1 (the "name=" part) and masks what follows.
_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Query strings: ?X-Plex-Token=abc&..., &token=abc, authToken=..., accessToken=...
    re.compile(
        r"((?:[?&;]|\b)(?:X-Plex-Token|token|authToken|auth_token|accessToken|access_token)=)"
        r"([^&\s#\"',;<>]+)",
        re.IGNORECASE,
    ),
    # Header dumps and reprs: "X-Plex-Token: abc", {'X-Plex-Token': 'abc'}
    re.compile(r"(X-Plex-Token[\"']?\s*[:=]\s*[\"']?)([^\s\"',;}&<>]+)", re.IGNORECASE),
    # JSON bodies from plex.tv: "authToken": "abc", "accessToken":"abc", "token": "abc"
    re.compile(
        r"(\"(?:authToken|accessToken|token|auth_token|access_token)\"\s*:\s*\")([^\"]+)",
        re.IGNORECASE,
    ),
    # XML attributes from plex.tv: authToken="abc"
    re.compile(r"(\b(?:authToken|accessToken)=\")([^\"]+)", re.IGNORECASE),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return `text` with X-Plex-Token values, token query parameters and the given secrets masked."""
    if not text:
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK if m.group(2) != MASK else m.group(0), text)
    for secret in secrets:
        # Short strings would mask ordinary words; real Plex tokens are 20 characters.
        if secret and len(secret) >= 6:
            text = text.replace(secret, MASK)
    return text


class TokenRedactingFilter(logging.Filter):
    """A logging filter that masks Plex tokens in a record's message, arguments and traceback.

    Install it on handlers (`handler.addFilter(TokenRedactingFilter())`) to cover every
    logger; a filter on a logger only sees records logged on that very logger.
    """

    def __init__(self, name: str = "", secrets: Iterable[str] = ()) -> None:
        super().__init__(name)
        self._secrets: set[str] = {s for s in secrets if s}

    def add_secret(self, secret: str | None) -> None:
        """Also mask this exact value (e.g. the configured admin token) wherever it appears."""
        if secret:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place with tokens masked; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message, self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatter caches the traceback text in exc_text; filling it here masks it too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


def error_line(err: BaseException, *, typed: bool = False, secrets: Iterable[str] = ()) -> str:
    """The first line of an error's message, tokens masked (driver errors run to many lines of SQL).

    `typed` prefixes the exception's class name (for errors whose message alone says little);
    an error without a message is named by its class.
    """
    text = str(err).strip()
    line = text.splitlines()[0] if text else ""
    if typed:
        return redact(f"{type(err).__name__}: {line}", secrets)
    return redact(line or type(err).__name__, secrets)
