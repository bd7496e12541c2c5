"""plexbooks: Plex Media Server integration for audiobook request managers."""

from __future__ import annotations

__version__ = "0.1.0"

from .extension import PlexBooks
from .host_alembic import alembic_include_object

__all__ = ["PlexBooks", "__version__", "alembic_include_object"]
