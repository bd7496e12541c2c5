"""Plex PIN sign-in, flask-login wiring and role guards (placeholder until the sign-in work lands)."""

from __future__ import annotations

from flask import Flask

from .core import PlexBooksCore


def init_auth(app: Flask, core: PlexBooksCore) -> None:
    """Install sign-in on `app`."""
