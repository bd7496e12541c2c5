"""The web layer: one module-level blueprint (``bp``), one module per area.

- ``blueprint``: the blueprint itself; ``hardening``: body limit and security headers;
- ``errors``: the one JSON error builder and the error handlers; ``forms``: body and argument validation;
- ``context``: who is asking (for pages) and the template helpers; ``shapes``: the public JSON shapes;
- ``auth_views``, ``pages``, ``settings``, ``api``, ``covers``, ``openapi``: the routes of each area.

The guards (roles, API key, CSRF, rate limit) are in ``plexbooks_plugin.security``.
"""

from __future__ import annotations

from flask import Blueprint

# Imported for their routes and hooks on `bp`.
from . import api, auth_views, context, covers, errors, hardening, openapi, pages, settings  # noqa: F401
from .blueprint import bp

__all__ = ["bp", "create_blueprint"]


def create_blueprint() -> Blueprint:
    """Return the plexbooks blueprint (one instance; it may be registered on several apps)."""
    return bp
