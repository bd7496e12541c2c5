"""Blinker signals plexbooks sends (the same mechanism Flask's own signals use)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent once per request when Plex has the book: receivers get
#: ``sender`` (the PlexBooksCore), ``request_id`` (the host's request id) and ``rating_key``.
request_available = _signals.signal("plexbooks.request-available")

#: Sent when someone signs in with Plex, inside that request (so a host may log them into its own
#: login system too): ``sender`` is the Flask app, ``user`` the ``auth.users.PlexbooksUser``.
user_signed_in = _signals.signal("plexbooks.user-signed-in")
