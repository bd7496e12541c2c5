"""The plexbooks blueprint with every area's views on it: what the extension (and plugin.yaml) mounts."""

from __future__ import annotations

from flask import Blueprint

# Imported for their routes and hooks on `bp` (each area module adds its views to it at import).
from . import api, auth_views, context, covers, errors, hardening, openapi, pages, settings  # noqa: F401
from .blueprint import bp

__all__ = ["bp", "create_blueprint"]


def create_blueprint() -> Blueprint:
    """Return the plexbooks blueprint (one instance; it may be registered on several apps)."""
    return bp
