"""The ways a Plex sign-in can end other than signed in: each with a status, a code and words for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..errors import PlexAuthError, PlexbooksError, PlexUnreachable

T = TypeVar("T")


class SigninProblem(PlexbooksError):
    """A sign-in that cannot go on; the view shows `title`/`message` with `status` (JSON: `code`)."""

    def __init__(self, status: int, code: str, title: str, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.title = title
        self.message = message
        self.retry = retry


class SigninPending(PlexbooksError):
    """The PIN is not approved yet; the browser should wait on the pending page."""


def no_signin() -> SigninProblem:
    """The callback came to a browser without a sign-in in progress."""
    return SigninProblem(
        400, "no_signin", "No sign-in in progress",
        "This browser has no Plex sign-in in progress: it may have finished already, expired, or "
        "been started in another browser. Start again from this browser.",
    )


def pin_mismatch() -> SigninProblem:
    """The callback names someone else's PIN."""
    return SigninProblem(
        403, "pin_mismatch", "This sign-in belongs to another browser",
        "The sign-in link does not match the sign-in started in this browser, so it was refused. "
        "Start again from this browser.",
    )


def expired() -> SigninProblem:
    """The PIN expired or was abandoned."""
    return SigninProblem(
        410, "pin_expired", "The Plex sign-in expired",
        "The sign-in with Plex was not completed in time or was abandoned. Try again.",
    )


def admins_only() -> SigninProblem:
    """A non-admin tried to change the Plex server."""
    return SigninProblem(403, "forbidden", "Admins only", "Only the Plex server owner can change the Plex server.")


def not_configured() -> SigninProblem:
    """A second account signed in before the admin connected a server."""
    return SigninProblem(
        503, "not_configured", "plexbooks is not set up yet",
        "The admin has not connected a Plex server yet, so access cannot be checked. Try again later.",
        retry=False,
    )


def no_access(account_name: str, server_name: str) -> SigninProblem:
    """The account cannot reach the configured server."""
    return SigninProblem(
        403, "no_access", f"No access to {server_name}",
        f"The Plex account “{account_name}” has no access to the Plex server “{server_name}” "
        "that this site uses. Ask the server owner to share a library with you, then sign in again.",
    )


def server_unreachable(label: str) -> SigninProblem:
    """The configured server did not answer while checking access."""
    return SigninProblem(
        503, "server_unreachable", "Your Plex server is not answering",
        f"The Plex server at {label} could not be reached, so your access could not "
        "be checked. This is not about your access: check that the server is running and try again.",
    )


def server_unavailable(label: str, err: PlexbooksError) -> SigninProblem:
    """The configured server answered but did not identify itself."""
    return SigninProblem(
        503, "server_unavailable", "Your Plex server could not be checked",
        f"The Plex server at {label} did not identify itself ({err}). Try again shortly.",
    )


def plextv_problem(err: PlexbooksError) -> SigninProblem:
    """Map a plex.tv failure to a 503 that says plex.tv, never "no access"."""
    if isinstance(err, PlexAuthError):
        return SigninProblem(
            401, "plextv_refused", "Plex did not accept the sign-in",
            "plex.tv refused the sign-in token it had just issued. Try signing in again.",
        )
    if isinstance(err, PlexUnreachable):
        detail = "plex.tv could not be reached"
    else:
        detail = "plex.tv answered with something unexpected"
    return SigninProblem(
        503, "plextv_unavailable", "plex.tv is not answering",
        f"{detail}, so the sign-in could not be checked. This is not about your access: try again in a minute.",
    )


def plextv_call(call: Callable[[], T]) -> T:
    """Run one plex.tv call, turning its failure into the sign-in problem that names plex.tv."""
    try:
        return call()
    except PlexbooksError as err:
        raise plextv_problem(err) from err
