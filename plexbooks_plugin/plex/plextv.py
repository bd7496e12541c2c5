"""Client for plex.tv's v2 API: PIN sign-in, the signed-in account, and its resources (servers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests

from .._version import __version__
from ..const import DEFAULT_PLEX_APP_URL, DEFAULT_PLEX_TV_URL
from ..errors import HomePinRefused, PinExpired, PlexAuthError, PlexResponseError
from . import transport
from .base import PlexHTTPClient
from .parsing import as_int, as_str
from .records import Connection, HomeProfile, Pin, PlexAccount, PlexResource
from .transport import PlexNotFound, Remote


class PlexTV(PlexHTTPClient):
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
        origin = transport.origin_of(transport.normalise_base_url(base_url, "plex.tv URL"))
        super().__init__(
            base_url,
            what="plex.tv URL",
            remote=Remote(
                label="plex.tv" if origin == DEFAULT_PLEX_TV_URL else f"plex.tv ({origin})",
                unreachable_hint="Check this server's internet connection and try again.",
                auth_hint="sign in with Plex again",
            ),
            client_identifier=client_identifier,
            product=product,
            version=version,
            session=session,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_body_bytes=max_body_bytes,
        )
        self.app_url = transport.normalise_base_url(app_url, "Plex app URL")

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        token: str | None = None,
    ) -> Any:
        """Send one plex.tv request and return its decoded JSON (plex.tv does not wrap it in MediaContainer)."""
        headers = self.plex_headers("application/json", token)
        headers["X-Plex-Device-Name"] = self.product
        result = self.send(method, path, params=params, headers=headers)
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
        return _account(self._request("GET", "/api/v2/user", token=token), "/api/v2/user", self.remote.label)

    def home_users(self, token: str) -> list[HomeProfile]:
        """The profiles of the account's Plex Home (GET /api/v2/home/users), the Home's admin first."""
        data = self._request("GET", "/api/v2/home/users", token=token)
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, list):
            raise PlexResponseError(f"{self.remote.label} sent no Home profiles for /api/v2/home/users")
        profiles = [
            HomeProfile(
                id=int(entry["id"]), uuid=str(entry["uuid"]), title=as_str(entry.get("title")) or "Profile",
                admin=entry.get("admin") is True, protected=entry.get("protected") is True,
                restricted=entry.get("restricted") is True, thumb=as_str(entry.get("thumb")),
            )
            for entry in users
            if isinstance(entry, dict) and as_int(entry.get("id")) is not None and as_str(entry.get("uuid"))
        ]
        return sorted(profiles, key=lambda p: not p.admin)

    def switch_home_user(self, token: str, uuid: str, pin: str | None = None) -> tuple[PlexAccount, str]:
        """Switch to a Home profile (POST .../switch); return its account and its own token.

        Raises HomePinRefused when plex.tv wants the profile's PIN (missing or wrong).
        """
        path = f"/api/v2/home/users/{quote(uuid, safe='')}/switch"
        try:
            data = self._request("POST", path, params={"pin": pin} if pin else None, token=token)
        except PlexAuthError as err:
            raise HomePinRefused("plex.tv refused the switch: the profile's PIN is missing or wrong") from err
        profile_token = as_str(data.get("authToken")) if isinstance(data, dict) else None
        if not profile_token:
            raise PlexResponseError(f"{self.remote.label} sent no profile token for the Home switch")
        return _account(data, path, self.remote.label), profile_token

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


def _account(data: Any, path: str, label: str) -> PlexAccount:
    """An account from /api/v2/user (or a Home switch, which answers the same shape)."""
    if not isinstance(data, dict) or as_int(data.get("id")) is None:
        raise PlexResponseError(f"{label} sent no account for {path}")
    return PlexAccount(
        id=int(data["id"]),
        uuid=as_str(data.get("uuid")) or "",
        username=as_str(data.get("username")) or as_str(data.get("title")) or "",
        email=as_str(data.get("email")),
        thumb=as_str(data.get("thumb")),
        title=as_str(data.get("title")),
        home=data.get("home") is True,
        home_size=as_int(data.get("homeSize")) or 1,
        home_admin=data.get("homeAdmin") is True,
    )


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
