"""Plex clients: the Media Server (`PlexClient`) and plex.tv (`PlexTV`), sharing one HTTP chokepoint."""

from __future__ import annotations

from .client import ConnectionReport, PlexClient
from .http import PlexHTTPError, PlexNotFound
from .parsing import asin_from_guid
from .plextv import Connection, Pin, PinExpired, PlexAccount, PlexResource, PlexTV
from .redact import TokenRedactingFilter, redact

__all__ = [
    "Connection",
    "ConnectionReport",
    "Pin",
    "PinExpired",
    "PlexAccount",
    "PlexClient",
    "PlexHTTPError",
    "PlexNotFound",
    "PlexResource",
    "PlexTV",
    "TokenRedactingFilter",
    "asin_from_guid",
    "redact",
]
