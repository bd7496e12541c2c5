"""plexbooks: Plex Media Server integration for audiobook request managers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .host_alembic import alembic_include_object  # light: no Flask, no SQLAlchemy

if TYPE_CHECKING:
    from .extension import PlexBooks

__all__ = ["PlexBooks", "__version__", "alembic_include_object"]


def __getattr__(name: str) -> Any:
    """Load `PlexBooks` (and with it Flask, SQLAlchemy, Alembic) only when asked for, not for `plex.parsing`."""
    if name == "PlexBooks":
        from .extension import PlexBooks  # deferred on purpose: the heavy web/database stack

        return PlexBooks
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
