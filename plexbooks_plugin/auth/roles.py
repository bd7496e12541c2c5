"""The sign-in role rule, as pure functions: who may use plexbooks, and as what."""

from __future__ import annotations

from collections.abc import Iterable

from ..plex.plextv import PlexResource

ROLE_ADMIN = "admin"
ROLE_USER = "user"


def server_role(resources: Iterable[PlexResource], machine_id: str) -> str | None:
    """Owner of the server `machine_id` -> admin, shared with it -> user, no access -> None."""
    match = next((r for r in resources if r.client_identifier == machine_id and r.is_server), None)
    if match is None:
        return None
    return ROLE_ADMIN if match.owned else ROLE_USER


def first_run_role(has_admin: bool, existing_role: str | None) -> str | None:
    """While no server is configured: admin for the first account, or for that same admin again; else None."""
    if not has_admin or existing_role == ROLE_ADMIN:
        return ROLE_ADMIN
    return None
