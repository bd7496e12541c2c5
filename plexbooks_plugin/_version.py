"""The package version, in a module of its own so `plex/` can name it without loading Flask or the database."""

from __future__ import annotations

__version__ = "0.1.0"
