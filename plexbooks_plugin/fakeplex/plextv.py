"""The plex.tv half of the emulator: sign-in PINs, the account, and the resources (servers) it may use."""

from __future__ import annotations

import time
from typing import Any

from werkzeug.wrappers import Request, Response

from . import render
from .accounts import PlexTvUser, iso
from .library import hex_id
from .responses import client_id_of, token_of, tv_error, tv_json
from .state import ServerState

_NO_CLIENT_ID = (400, 1000, "X-Plex-Client-Identifier is missing")


def create_pin(state: ServerState, request: Request) -> Response:
    """POST /api/v2/pins[?strong=true]: a new sign-in PIN (201)."""
    client_id = client_id_of(request)
    if not client_id:
        return tv_error(*_NO_CLIENT_ID)
    strong = (request.args.get("strong") or request.form.get("strong") or "").lower() in ("true", "1")
    product = request.headers.get("X-Plex-Product") or request.args.get("X-Plex-Product") or "0"
    pin = state.accounts.create_pin(client_id, product, strong)
    return tv_json(pin.as_json(), 201)


def pin(state: ServerState, request: Request, pin_id: str) -> Response:
    """GET /api/v2/pins/{id}: the PIN, with authToken once signed in; 404 once expired."""
    client_id = client_id_of(request)
    if not client_id:
        return tv_error(*_NO_CLIENT_ID)
    found = state.accounts.live_pin(int(pin_id)) if pin_id.isdigit() else None
    if found is None or found.client_identifier != client_id:
        return tv_error(404, 1020, "Code not found or expired")
    return tv_json(found.as_json())


def signed_in_user(state: ServerState, request: Request) -> PlexTvUser | Response:
    """The account of a plex.tv request, or plex.tv's 400 (no client id) / 401 (bad token) answer."""
    if not client_id_of(request):
        return tv_error(*_NO_CLIENT_ID)
    user = state.accounts.user_for_plextv_token(token_of(request))
    if user is None:
        return tv_error(401, 1001, "User could not be authenticated")
    return user


def user(state: ServerState, request: Request, account: PlexTvUser) -> Response:
    """GET /api/v2/user: the signed-in account (or Home profile)."""
    return tv_json(user_json(account, len(state.accounts.home_members(account))))


def resources(state: ServerState, request: Request, account: PlexTvUser) -> Response:
    """GET /api/v2/resources: this server (when the account has access), a neighbour's, a player."""
    include_relay = request.args.get("includeRelay") in ("1", "true")
    found: list[dict[str, Any]] = []
    if account.has_access:
        found.append(_server_resource(state, account, include_relay))
    found.append(_neighbour_resource(account, include_relay))
    found.append(_player_resource(account))
    return tv_json(found)


def _server_resource(state: ServerState, user: PlexTvUser, include_relay: bool) -> dict[str, Any]:
    port = state.port or 32400
    plex_direct = f"{state.machine_identifier[:32]}.plex.direct"
    connections = [
        {"protocol": "http", "address": state.host, "port": port, "uri": state.url,
         "local": True, "relay": False, "IPv6": ":" in state.host},
        {"protocol": "https", "address": "203.0.113.7", "port": 32400,
         "uri": f"https://203-0-113-7.{plex_direct}:32400", "local": False, "relay": False, "IPv6": False},
    ]
    if include_relay:
        connections.append(
            {"protocol": "https", "address": "198.51.100.20", "port": 8443,
             "uri": f"https://198-51-100-20.{plex_direct}:8443", "local": False, "relay": True, "IPv6": False}
        )
    owner = state.accounts.owner
    return {
        "name": state.server_name,
        "product": "Plex Media Server",
        "productVersion": render.PMS_VERSION,
        "platform": "Linux",
        "platformVersion": "22.04.4 LTS (Jammy Jellyfish)",
        "device": "PC",
        "clientIdentifier": state.machine_identifier,
        "createdAt": "2020-01-12T15:30:18Z",
        "lastSeenAt": iso(time.time()),
        "provides": "server",
        "ownerId": None if user.owner else owner.id,
        "sourceTitle": None if user.owner else owner.username,
        "publicAddress": "203.0.113.7",
        "accessToken": user.server_token,
        "owned": user.owner,
        "home": user.home_id is not None and user.home_id == owner.home_id,
        "synced": False,
        "relay": True,
        "presence": True,
        "httpsRequired": False,
        "publicAddressMatches": False,
        "dnsRebindingProtection": False,
        "natLoopbackSupported": False,
        "connections": connections,
    }


def user_json(user: PlexTvUser, home_size: int = 1) -> dict[str, Any]:
    """`/api/v2/user` in the shape of the real capture (service tokens left out)."""
    return {
        "id": user.id,
        "uuid": user.uuid,
        "username": user.username,
        "title": user.username,
        "email": user.email,
        "friendlyName": "",
        "locale": None,
        "confirmed": True,
        "joinedAt": 1552593531,
        "emailOnlyAuth": False,
        "hasPassword": True,
        "protected": user.pin is not None,
        "thumb": user.thumb,
        "authToken": user.token,
        "mailingListStatus": "unsubscribed",
        "mailingListActive": False,
        "scrobbleTypes": "",
        "country": "US",
        "subscription": {
            "active": user.owner,
            "subscribedAt": "2019-03-16T15:20:12Z" if user.owner else None,
            "status": "Active" if user.owner else "Inactive",
            "paymentService": None,
            "plan": "lifetime" if user.owner else None,
            "features": ["federated-auth", "home", "lyrics"] if user.owner else [],
        },
        "subscriptionDescription": None,
        "restricted": user.managed,
        "anonymous": False,
        "home": user.home_id is not None,
        "guest": False,
        "homeSize": home_size,
        "homeAdmin": user.home_admin,
        "maxHomeSize": 15,
        "rememberExpiresAt": 1725611719,
        "profile": {
            "autoSelectAudio": True,
            "defaultAudioLanguage": "en",
            "defaultSubtitleLanguage": "en",
            "autoSelectSubtitle": 1,
            "defaultSubtitleAccessibility": 0,
            "defaultSubtitleForced": 0,
            "watchedIndicator": 1,
            "mediaReviewsVisibility": 0,
        },
        "entitlements": [],
        "subscriptions": [],
        "pastSubscriptions": [],
        "trials": [],
        "services": [],
        "adsConsent": None,
        "adsConsentSetAt": None,
        "adsConsentReminderAt": None,
        "experimentalFeatures": False,
        "twoFactorEnabled": False,
        "backupCodesCreated": False,
        "attributionPartner": None,
    }


def _neighbour_resource(user: PlexTvUser, include_relay: bool) -> dict[str, Any]:
    """An unrelated server shared with everybody (it must never be mistaken for ours)."""
    ident = hex_id("neighbour", length=40)
    connections = [
        {"protocol": "https", "address": "192.0.2.44", "port": 32400,
         "uri": f"https://192-0-2-44.{ident[:32]}.plex.direct:32400", "local": False, "relay": False, "IPv6": False}
    ]
    if include_relay:
        connections.append(
            {"protocol": "https", "address": "198.51.100.21", "port": 8443,
             "uri": f"https://198-51-100-21.{ident[:32]}.plex.direct:8443", "local": False, "relay": True,
             "IPv6": False}
        )
    return {
        "name": "Neighbour's Plex",
        "product": "Plex Media Server",
        "productVersion": "1.40.2.8395-c67dce28e",
        "platform": "Windows",
        "platformVersion": "10.0 (Build 19045)",
        "device": "PC",
        "clientIdentifier": ident,
        "createdAt": "2019-12-05T08:50:12Z",
        "lastSeenAt": "2024-09-04T10:25:11Z",
        "provides": "server",
        "ownerId": 2639453,
        "sourceTitle": "neighbour",
        "publicAddress": "192.0.2.44",
        "accessToken": f"neighbour-{user.id}",
        "owned": False,
        "home": False,
        "synced": False,
        "relay": True,
        "presence": True,
        "httpsRequired": True,
        "publicAddressMatches": False,
        "dnsRebindingProtection": True,
        "natLoopbackSupported": True,
        "connections": connections,
    }


def _player_resource(user: PlexTvUser) -> dict[str, Any]:
    """A player device: provides client/player, never a server."""
    return {
        "name": "Living Room TV",
        "product": "Plex for Android (TV)",
        "productVersion": "10.16.0.2131",
        "platform": "Android",
        "platformVersion": "11",
        "device": "SHIELD Android TV",
        "clientIdentifier": hex_id("player", user.id, length=16),
        "createdAt": "2022-03-01T10:00:00Z",
        "lastSeenAt": "2024-09-05T08:12:37Z",
        "provides": "client,player,pubsub-player",
        "ownerId": None,
        "sourceTitle": None,
        "publicAddress": "203.0.113.7",
        "accessToken": f"player-{user.id}",
        "owned": True,
        "home": False,
        "synced": False,
        "relay": False,
        "presence": False,
        "httpsRequired": False,
        "publicAddressMatches": True,
        "dnsRebindingProtection": False,
        "natLoopbackSupported": False,
        "connections": [],
    }
