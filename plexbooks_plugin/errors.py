"""Error types raised by plexbooks; every error a caller may see derives from PlexbooksError."""

from __future__ import annotations


class PlexbooksError(Exception):
    """Base class of every plexbooks error; its message is safe to show a user."""


class ConfigError(PlexbooksError):
    """A setting is missing or has a value plexbooks cannot use.

    ``detail`` is the message without the setting's key, for pages that show it beside the field.
    """

    def __init__(self, message: str, *, key: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.detail = detail if detail is not None else message


class PlexUnreachable(PlexbooksError):
    """Plex (a Media Server or plex.tv) could not be reached: refused, DNS, timeout, dropped."""


class PlexAuthError(PlexbooksError):
    """Plex refused the token (HTTP 401 or 403).

    The message is "<what happened>: <what to do>". Callers that know where the reader is (the
    Settings page, the CLI) show ``fact`` (what happened, as a sentence) with their own advice.
    """

    def __init__(self, what: str, hint: str | None = None) -> None:
        super().__init__(f"{what}: {hint}" if hint else what)
        self.fact = what if what.endswith(".") else f"{what}."
        self.hint = hint


class PlexResponseError(PlexbooksError):
    """Plex answered, but with a bad status or a body plexbooks cannot parse."""


class ScanRunning(PlexbooksError):
    """A scan was requested while another one holds the scan lease."""

    def __init__(self, run_id: int | None) -> None:
        super().__init__(f"A scan is already running (run {run_id}).")
        self.run_id = run_id


class PlexHTTPError(PlexResponseError):
    """Plex answered with an unexpected HTTP status (not 2xx, not 401/403)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class PlexNotFound(PlexHTTPError):
    """Plex answered 404: the item, section or pin does not exist (any more)."""


class HomePinRefused(PlexbooksError):
    """plex.tv refused to switch to a Plex Home profile: its PIN is missing or wrong."""


class PinExpired(PlexbooksError):
    """The sign-in PIN is unknown to plex.tv or has expired (plex.tv answered 404)."""


class ScanFailed(PlexbooksError):
    """A scan started and then failed; the run is recorded as failed with the same message."""

    def __init__(self, run_id: int | None, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class ScanStopped(ScanFailed):
    """A scan stopped because it was cancelled or lost its lease: it wrote nothing more, its run's status stands."""
