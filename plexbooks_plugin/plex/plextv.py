"""Client for plex.tv's v2 API: PIN sign-in, the signed-in account, and its resources (servers)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests

from .._version import __version__
from ..const import DEFAULT_PLEX_APP_URL, DEFAULT_PLEX_TV_URL
from ..errors import PinExpired, PlexResponseError
from . import http
from .http import HttpResult, PlexNotFound, Remote
from .parsing import as_int, as_str


@dataclass(frozen=True, slots=True)
class Pin:
    """A plex.tv sign-in PIN; `auth_token` is filled once the user has signed in."""

    id: int
    code: str
    expires_at: datetime | None = None
    auth_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class PlexAccount:
    """The plex.tv account behind a token."""

    id: int
    uuid: str
    username: str
    email: str | None = None
    thumb: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    """One way to reach a resource: a URI, local or remote, maybe through Plex's relay."""

    uri: str
    local: bool
    relay: bool
    protocol: str | None = None
    address: str | None = None
    port: int | None = None


@dataclass(frozen=True, slots=True)
class PlexResource:
    """A device or server the account can reach; `access_token` is that account's token for it."""

    name: str
    client_identifier: str
    provides: tuple[str, ...]
    owned: bool
    access_token: str | None = field(default=None, repr=False)
    connections: tuple[Connection, ...] = ()
    product: str | None = None

    @property
    def is_server(self) -> bool:
        """True when the resource is a Plex Media Server."""
        return "server" in self.provides


class PlexTV:
    """plex.tv v2 client; every call goes through the same chokepoint as the Media Server client."""

    def __init__(
        self,
        base_url: str = DEFAULT_PLEX_TV_URL,
        app_url: str = DEFAULT_PLEX_APP_URL,
        *,
        client_identifier: str,
        product: str = "plexbooks",
        version: str = __version__,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 15),
        retries: int = 1,
        backoff: float = 0.5,
        max_body_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        if not client_identifier:
            raise ValueError("plex.tv requires a client identifier (one per install)")
        self.base_url = http.normalise_base_url(base_url, "plex.tv URL")
        self.app_url = http.normalise_base_url(app_url, "Plex app URL")
        self.client_identifier = client_identifier
        self.product = product
        self.version = version
        self._own_session = session is None
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_body_bytes = max_body_bytes
        origin = http.origin_of(self.base_url)
        label = "plex.tv" if origin == DEFAULT_PLEX_TV_URL else f"plex.tv ({origin})"
        self.remote = Remote(
            label=label,
            unreachable_hint="Check this server's internet connection and try again",
            auth_hint="sign in with Plex again",
        )

    def __repr__(self) -> str:
        return f"PlexTV({self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session:
            self.session.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        token: str | None = None,
    ) -> Any:
        """Send one plex.tv request and return its decoded JSON (plex.tv does not wrap it in MediaContainer)."""
        headers = {
            "Accept": "application/json",
            "X-Plex-Client-Identifier": self.client_identifier,
            "X-Plex-Product": self.product,
            "X-Plex-Version": self.version,
            "X-Plex-Device-Name": self.product,
        }
        if token:
            headers["X-Plex-Token"] = token
        result: HttpResult = http.send(
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
            max_body_bytes=self.max_body_bytes,
        )
        try:
            return json.loads(result.body)
        except ValueError as err:
            raise PlexResponseError(
                f"{self.remote.label} sent an answer plexbooks cannot read for {path} "
                f"({result.content_type or 'no content type'}, not JSON)"
            ) from err

    # ------------------------------------------------------------------------------ pins

    def create_pin(self, strong: bool = True) -> Pin:
        """Create a sign-in PIN (POST /api/v2/pins; never retried, a retry would make a second PIN)."""
        data = self._request("POST", "/api/v2/pins", params={"strong": "true" if strong else "false"})
        return self._pin(data, "/api/v2/pins")

    def check_pin(self, pin_id: int | str) -> Pin:
        """Poll a PIN; its auth_token is set once the user signed in. Raises PinExpired when gone."""
        path = f"/api/v2/pins/{quote(str(pin_id), safe='')}"
        try:
            data = self._request("GET", path)
        except PlexNotFound as err:
            raise PinExpired(
                "The Plex sign-in code expired or is unknown; start the sign-in again"
            ) from err
        return self._pin(data, path)

    def _pin(self, data: Any, path: str) -> Pin:
        if not isinstance(data, dict) or as_int(data.get("id")) is None or not as_str(data.get("code")):
            raise PlexResponseError(f"{self.remote.label} sent a PIN without id or code for {path}")
        expires_at = _parse_time(data.get("expiresAt"))
        if expires_at is None and (seconds := as_int(data.get("expiresIn"))) is not None:
            expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
        return Pin(
            id=int(data["id"]),
            code=str(data["code"]),
            expires_at=expires_at,
            auth_token=as_str(data.get("authToken")),
        )

    def auth_url(self, code: str, forward_url: str) -> str:
        """The Plex page where the user signs in and approves `code`, then returns to `forward_url`."""
        query = urlencode(
            {
                "clientID": self.client_identifier,
                "code": code,
                "context[device][product]": self.product,
                "forwardUrl": forward_url,
            }
        )
        # The parameters live in the fragment: that is where the Plex web app reads them.
        return f"{self.app_url}/auth#?{query}"

    # ------------------------------------------------------------------------------ account

    def user(self, token: str) -> PlexAccount:
        """The account a token belongs to (GET /api/v2/user)."""
        data = self._request("GET", "/api/v2/user", token=token)
        if not isinstance(data, dict) or as_int(data.get("id")) is None:
            raise PlexResponseError(f"{self.remote.label} sent no account for /api/v2/user")
        username = as_str(data.get("username")) or as_str(data.get("title")) or ""
        return PlexAccount(
            id=int(data["id"]),
            uuid=as_str(data.get("uuid")) or "",
            username=username,
            email=as_str(data.get("email")),
            thumb=as_str(data.get("thumb")),
            title=as_str(data.get("title")),
        )

    def resources(self, token: str) -> list[PlexResource]:
        """The servers and devices the account can reach, with connections and per-resource tokens."""
        path = "/api/v2/resources"
        data = self._request(
            "GET", path, params={"includeHttps": 1, "includeRelay": 1}, token=token
        )
        if not isinstance(data, list):
            raise PlexResponseError(f"{self.remote.label} sent no resource list for {path}")
        resources = []
        for entry in data:
            if not isinstance(entry, dict):
                continue
            ident = as_str(entry.get("clientIdentifier"))
            if not ident:
                continue
            provides = tuple(
                p.strip() for p in str(entry.get("provides") or "").split(",") if p.strip()
            )
            resources.append(
                PlexResource(
                    name=as_str(entry.get("name")) or ident,
                    client_identifier=ident,
                    provides=provides,
                    owned=entry.get("owned") is True or entry.get("owned") in (1, "1"),
                    access_token=as_str(entry.get("accessToken")),
                    connections=tuple(
                        _connection(c) for c in entry.get("connections") or [] if isinstance(c, dict) and c.get("uri")
                    ),
                    product=as_str(entry.get("product")),
                )
            )
        return resources


def _connection(data: dict[str, Any]) -> Connection:
    return Connection(
        uri=str(data["uri"]),
        local=bool(data.get("local")),
        relay=bool(data.get("relay")),
        protocol=as_str(data.get("protocol")),
        address=as_str(data.get("address")),
        port=as_int(data.get("port")),
    )


def _parse_time(value: Any) -> datetime | None:
    """Parse plex.tv's ISO-8601 timestamps ("2024-07-16T17:18:05Z")."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
