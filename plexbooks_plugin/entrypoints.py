"""What plugin.yaml points at, each usable the way a generic plugin loader calls it.

- ``extension``: ``PlexBooks(app)`` mounts everything (database, sign-in, blueprint, scheduler).
- ``blueprint.factory``: :func:`blueprint` returns a blueprint whose registration mounts the extension
  (with the ``url_prefix`` it is registered under) when the loader did not call ``extension``, and
  does nothing more when it did: a loader may use either entry or both, in that order.
- ``jobs``: called with no arguments inside the host's app context (or with the app). plexbooks runs
  them itself on its scheduler; a host that runs the manifest's jobs sets ``PLEXBOOKS_SCHEDULER=False``.
- ``migrations.upgrade``: :func:`upgrade` with no argument (the current app, else the CLI's database),
  an app, or a database URL.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, has_app_context
from flask.sansio.app import App

from .db import Database, resolve_database_url
from .extension import EXTENSION_KEY, PlexBooks, get_core
from .scheduler import DEFAULT_JOBS


class _MountingBlueprint(Blueprint):
    """A blueprint with no routes of its own: registering it mounts PlexBooks on the app once."""

    def register(self, app: App, options: dict[str, Any]) -> None:
        prefix = options.get("url_prefix") or self.url_prefix
        if EXTENSION_KEY in app.extensions:
            mounted_at = app.extensions[EXTENSION_KEY].url_prefix
            if prefix and prefix.rstrip("/") != mounted_at.rstrip("/"):
                raise ValueError(f"plexbooks is already mounted at {mounted_at}, not at {prefix}")
            return
        if not isinstance(app, Flask):
            raise TypeError("plexbooks mounts on a Flask app")
        if prefix:
            app.config["PLEXBOOKS_URL_PREFIX"] = prefix.rstrip("/") or "/"
        PlexBooks(app)


def blueprint() -> Blueprint:
    """The manifest's ``blueprint.factory``: register it to mount plexbooks (alone or after the extension)."""
    return _MountingBlueprint("plexbooks_mount", __name__)


def _app(app: Flask | None) -> Flask:
    if app is not None:
        return app
    if not has_app_context():
        raise RuntimeError("call this job inside the host's app context, or pass the app")
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _run_job(name: str, app: Flask | None) -> Any:
    spec = next(job for job in DEFAULT_JOBS if job.name == name)
    return spec.func(get_core(_app(app)))


def full_scan(app: Flask | None = None) -> Any:
    """The manifest's ``full_scan`` job: a full scan of the configured library; returns its summary."""
    return _run_job("full_scan", app)


def recent_scan(app: Flask | None = None) -> Any:
    """The manifest's ``recent_scan`` job: poll the recently added albums; returns its summary."""
    return _run_job("recent_scan", app)


def upgrade(target: Flask | str | None = None) -> None:
    """The manifest's ``migrations.upgrade``: bring plexbooks' tables to the newest revision."""
    if isinstance(target, Flask):
        get_core(target).db.upgrade()
        return
    if target is None and has_app_context() and EXTENSION_KEY in current_app.extensions:
        get_core().db.upgrade()
        return
    database = Database(resolve_database_url(target))
    try:
        database.upgrade()
    finally:
        database.dispose()
