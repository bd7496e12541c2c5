"""Plex clients: the Media Server (`PlexClient`) and plex.tv (`PlexTV`), sharing one HTTP chokepoint.

`transport` is the chokepoint, `base` what both clients share, `parsing` turns answers into records
(`records` here for plex.tv, the package's `records` for the library).
"""

from __future__ import annotations

from ..errors import PinExpired, PlexHTTPError, PlexNotFound
from .client import ConnectionReport, PlexClient
from .parsing import asin_from_guid
from .plextv import PlexTV
from .records import Connection, Pin, PlexAccount, PlexResource
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
