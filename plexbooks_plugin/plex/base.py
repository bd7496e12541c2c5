"""What the Media Server client and the plex.tv client share: identity headers, the HTTP session, the chokepoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from .._version import __version__
from . import transport
from .transport import HttpResult, Remote


class PlexHTTPClient:
    """A client of one Plex host: every request goes through `transport.send` with this client's settings."""

    def __init__(
        self,
        base_url: str,
        *,
        what: str,
        remote: Remote,
        client_identifier: str,
        product: str = "plexbooks",
        version: str = __version__,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 30),
        retries: int = 2,
        backoff: float = 0.5,
        max_body_bytes: int = transport.DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.base_url = transport.normalise_base_url(base_url, what)
        self.remote = remote
        self.client_identifier = client_identifier
        self.product = product
        self.version = version
        self._own_session = session is None
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_body_bytes = max_body_bytes

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"  # never the token

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session:
            self.session.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def plex_headers(self, accept: str, token: str | None) -> dict[str, str]:
        """The headers Plex identifies a client by, and the token (a header, never a query parameter)."""
        headers = {
            "Accept": accept,
            "X-Plex-Product": self.product,
            "X-Plex-Version": self.version,
            "X-Plex-Client-Identifier": self.client_identifier,
        }
        if token:
            headers["X-Plex-Token"] = token
        return headers

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str],
        idempotent: bool | None = None,
        max_body_bytes: int | None = None,
    ) -> HttpResult:
        """Send one request to `base_url + path` through the chokepoint (timeouts, retries, errors, size cap)."""
        return transport.send(
            self.session,
            method,
            self.base_url + path,
            remote=self.remote,
            path=path,
            params=params,
            headers=headers,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            idempotent=idempotent,
            max_body_bytes=max_body_bytes or self.max_body_bytes,
        )
