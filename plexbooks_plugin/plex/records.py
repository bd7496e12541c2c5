"""What plex.tv tells plexbooks: sign-in PINs, accounts, and the resources (servers) an account reaches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
    home: bool = False  # a member of a Plex Home
    home_size: int = 1
    home_admin: bool = False


@dataclass(frozen=True, slots=True)
class HomeProfile:
    """One profile of a Plex Home (`/api/v2/home/users`): the Home's admin, a member, or a managed profile."""

    id: int
    uuid: str
    title: str
    admin: bool = False
    protected: bool = False  # switching to it needs the profile's PIN
    restricted: bool = False  # a managed profile (no plex.tv login of its own)
    thumb: str | None = None


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
