"""The servers of an admin's "Sign in with Plex", for the settings page, and storing the one picked."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import session

from .. import store as repo
from ..core import PlexBooksCore
from ..errors import ConfigError, PlexAuthError, PlexResponseError, PlexUnreachable
from ..plex.client import PlexClient
from ..plex.plextv import Connection, PlexResource
from ..state import STASH_TTL_SECONDS, PlexBooksState, get_state
from .install import redactor

log = logging.getLogger(__name__)

SERVERS_SESSION_KEY = "plexbooks_signin_servers"
_MAX_STASHED_SERVERS = 20  # keeps the session cookie well under the 4 KB browsers accept
_CONNECTION_ORDER = {"local": 0, "remote": 1, "relay": 2}


def _connection_kind(connection: Connection) -> str:
    if connection.relay:
        return "relay"
    return "local" if connection.local else "remote"


def public_servers(resources: Sequence[PlexResource]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Split plex.tv resources into the servers a page may show (no token) and their tokens by identifier."""
    servers: list[dict[str, Any]] = []
    tokens: dict[str, str] = {}
    for resource in resources:
        if not resource.is_server or not resource.client_identifier:
            continue
        connections = sorted(
            ({"uri": str(c.uri), "kind": _connection_kind(c)} for c in resource.connections if c.uri),
            key=lambda c: _CONNECTION_ORDER[c["kind"]],  # sorted() is stable: Plex's order survives within a kind
        )
        servers.append({
            "name": resource.name, "client_identifier": resource.client_identifier,
            "owned": bool(resource.owned), "connections": connections[:8],
        })
        if resource.access_token:
            tokens[resource.client_identifier] = resource.access_token
        if len(servers) >= _MAX_STASHED_SERVERS:
            break
    servers.sort(key=lambda s: (not s["owned"], str(s["name"]).lower()))
    return servers, tokens


def stash_servers(state: PlexBooksState, resources: Sequence[PlexResource]) -> None:
    """Remember this sign-in's servers: the list in the session, their tokens in the in-process stash."""
    servers, tokens = public_servers(resources)
    forget_servers(state)
    session[SERVERS_SESSION_KEY] = {"key": state.stash.put(tokens), "servers": servers, "at": time.time()}


def forget_servers(state: PlexBooksState) -> None:
    """Drop this session's stashed servers and their tokens."""
    stashed = session.pop(SERVERS_SESSION_KEY, None)
    if stashed and stashed.get("key"):
        state.stash.discard(str(stashed["key"]))


def signin_servers() -> list[dict[str, Any]]:
    """Return the servers of the last "sign in with Plex" of this admin session, for the settings page.

    Each is ``{"name", "client_identifier", "owned", "connections": [{"uri", "kind"}]}`` with
    connections ordered local, remote, relay. Never contains a token. Empty when none or expired.
    """
    stashed = session.get(SERVERS_SESSION_KEY)
    if not stashed or time.time() - float(stashed.get("at", 0)) > STASH_TTL_SECONDS:
        return []
    return list(stashed.get("servers") or [])


@dataclass(frozen=True)
class PickedServer:
    """The server an admin picked after signing in with Plex, now stored in the settings."""

    url: str
    name: str
    client_identifier: str
    changed_server: bool  # True when it replaced a different server: the library choice must be redone


def _candidate_uris(server: dict[str, Any], uri: str | None) -> list[str]:
    uris = [c["uri"] for c in server["connections"]]
    if uri is not None:
        if uri not in uris:
            raise ConfigError(f"{uri} is not one of the addresses Plex lists for {server['name']}")
        uris = [uri]
    if not uris:
        raise ConfigError(f"Plex lists no address for {server['name']}; enter the server URL by hand")
    return uris


def pick_server_from_signin(client_identifier: str, uri: str | None = None, *, probe: bool = True) -> PickedServer:
    """Store the picked server's URL, its (encrypted) token and machine identifier from the last sign-in.

    Call it from an admin-only view in a request of the admin's session. Without `uri` the server's
    connections are tried in order (local, remote, relay) and the first one that answers as this
    server wins; with `uri` only that one (it must be one of the listed connections). `probe=False`
    skips the test and takes `uri` or the first connection as is. Raises ConfigError when the sign-in
    expired or the server is not listed, PlexUnreachable when no connection answers.
    """
    state = get_state()
    stashed = session.get(SERVERS_SESSION_KEY) or {}
    server = next((s for s in signin_servers() if s["client_identifier"] == client_identifier), None)
    if server is None:
        raise ConfigError("that server is not among the servers of your last Plex sign-in; sign in with Plex again")
    token = state.stash.get(str(stashed.get("key", "")), client_identifier)
    if not token:
        raise ConfigError("the Plex sign-in expired before a server was picked; sign in with Plex again")
    uris = _candidate_uris(server, uri)
    redactor().add_secret(token)
    chosen = uris[0] if not probe else _first_answering(state.core, uris, token, client_identifier, server["name"])
    previous = store_server(state.core, chosen, token, client_identifier)
    log.info("Plex server %s picked at %s", server["name"], chosen)
    return PickedServer(
        url=chosen, name=str(server["name"]), client_identifier=client_identifier,
        changed_server=bool(previous) and previous != client_identifier,
    )


def store_server(core: PlexBooksCore, url: str, token: str, machine_id: str) -> str | None:
    """Write the server's URL, token and machine identifier in one transaction; return the previous identifier."""
    with core.session() as db:
        previous = repo.get_setting(db, "plex_machine_identifier")
        repo.set_setting(db, "plex_url", url, core.box)
        repo.set_setting(db, "plex_token", token, core.box)
        repo.set_setting(db, "plex_machine_identifier", machine_id, core.box)
    return previous


def _first_answering(core: PlexBooksCore, uris: Sequence[str], token: str, machine_id: str, name: str) -> str:
    failures: list[str] = []
    for candidate in uris:
        # Short timeouts, no retries: relay and plex.direct addresses are often unreachable from here.
        client = PlexClient(
            candidate, token, session=core.http_session, timeout=(3.0, 10.0), retries=0,
            client_identifier=core.client_identifier(),
        )
        try:
            found = client.identity().machine_identifier
        except (PlexUnreachable, PlexResponseError, PlexAuthError, ConfigError) as err:
            failures.append(f"{urlsplit(candidate).netloc}: {err}")
            continue
        if found == machine_id:
            return candidate
        failures.append(f"{urlsplit(candidate).netloc}: a different server answered")
    raise PlexUnreachable(f"no address of {name} answered: " + "; ".join(failures))
