"""The plex.tv half of the emulator: accounts, their tokens, sign-in PINs and resources."""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

STRONG_PIN_SECONDS = 1800
WEAK_PIN_SECONDS = 900
_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def make_token(*parts: object) -> str:
    """A deterministic 20-character token shaped like Plex's."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:20]


def iso(ts: float) -> str:
    """plex.tv's timestamp format: 2024-07-16T17:18:05Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class PlexTvUser:
    """A plex.tv account; `token` is its plex.tv token, `server_token` its token for this server."""

    id: int
    uuid: str
    username: str
    token: str = field(repr=False)
    email: str = ""
    owner: bool = False
    has_access: bool = True
    server_token: str = field(default="", repr=False)

    @property
    def thumb(self) -> str:
        """The avatar URL plex.tv reports."""
        return f"https://plex.tv/users/{self.uuid}/avatar?c=1724402119"


@dataclass(slots=True)
class FakePin:
    """A sign-in PIN as plex.tv keeps it."""

    id: int
    code: str
    client_identifier: str
    product: str
    created_at: float
    expires_in: int
    strong: bool
    auth_token: str | None = field(default=None, repr=False)
    expired: bool = False

    def is_live(self, now: float | None = None) -> bool:
        """False once expired by a test hook or by time."""
        now = time.time() if now is None else now
        return not self.expired and now < self.created_at + self.expires_in

    def as_json(self, now: float | None = None) -> dict[str, Any]:
        """The pin object of POST/GET /api/v2/pins."""
        now = time.time() if now is None else now
        remaining = max(0, math.ceil(self.created_at + self.expires_in - now))  # 1800 when fresh
        return {
            "id": self.id,
            "code": self.code,
            "product": self.product,
            "trusted": False,
            "qr": f"https://plex.tv/api/v2/pins/qr/{self.code}",
            "clientIdentifier": self.client_identifier,
            "location": {
                "code": "US",
                "european_union_member": False,
                "continent_code": "NA",
                "country": "United States",
                "city": "Loopback",
                "time_zone": "America/New_York",
                "postal_code": "00000",
                "in_privacy_restricted_country": False,
                "in_privacy_restricted_region": False,
                "subdivisions": "Localhost",
                "coordinates": "0.0, 0.0",
            },
            "expiresIn": remaining,
            "createdAt": iso(self.created_at),
            "expiresAt": iso(self.created_at + self.expires_in),
            "authToken": self.auth_token,
            "newRegistration": None,
        }


class Accounts:
    """Users, tokens, revocations and PINs; thread-safe (the server answers from many threads)."""

    def __init__(self, admin_token: str, seed: int) -> None:
        self._lock = threading.RLock()
        self._seed = seed
        self._next_user_id = 62735028
        self._next_pin_id = 373040866
        self.users: dict[int, PlexTvUser] = {}
        self.pins: dict[int, FakePin] = {}
        self.revoked: set[str] = set()
        self.owner = self.add_user("plexowner", email="owner@example.com", owner=True, token=admin_token)
        self.shared_user = self.add_user("sharedreader", email="reader@example.com")
        self.stranger = self.add_user("stranger", email="stranger@example.com", has_access=False)

    def add_user(
        self,
        username: str,
        email: str | None = None,
        owner: bool = False,
        has_access: bool = True,
        *,
        token: str | None = None,
    ) -> PlexTvUser:
        """Create a plex.tv account; owners' server token is their plex.tv token."""
        with self._lock:
            uid = self._next_user_id
            self._next_user_id += 1
            user_token = token or make_token("plextv", self._seed, uid, username)
            user = PlexTvUser(
                id=uid,
                uuid=hashlib.sha1(f"{self._seed}:{uid}".encode()).hexdigest()[:16],
                username=username,
                token=user_token,
                email=email or f"{username}@example.com",
                owner=owner,
                has_access=has_access or owner,
                server_token=user_token if owner else make_token("server", self._seed, uid, username),
            )
            self.users[uid] = user
            return user

    def user_by_name(self, name: str) -> PlexTvUser | None:
        """Find a user by username, or by the role names owner/shared/stranger."""
        roles = {"owner": self.owner, "shared": self.shared_user, "stranger": self.stranger}
        if name in roles:
            return roles[name]
        with self._lock:
            return next((u for u in self.users.values() if u.username == name), None)

    def user_for_plextv_token(self, token: str | None) -> PlexTvUser | None:
        """The account a plex.tv token belongs to (None when unknown or revoked)."""
        if not token or token in self.revoked:
            return None
        with self._lock:
            return next((u for u in self.users.values() if u.token == token), None)

    def server_accepts(self, token: str | None) -> bool:
        """Whether the Media Server accepts a token: the owner's or a user with access."""
        if not token or token in self.revoked:
            return False
        with self._lock:
            return any(
                u.has_access and token in (u.token, u.server_token) for u in self.users.values()
            )

    def revoke(self, token: str) -> None:
        """Make a token fail everywhere from now on."""
        with self._lock:
            self.revoked.add(token)

    # ------------------------------------------------------------------------------ pins

    def create_pin(self, client_identifier: str, product: str, strong: bool) -> FakePin:
        """A new PIN: strong ones have 25-character codes and live 30 minutes."""
        with self._lock:
            pin_id = self._next_pin_id
            self._next_pin_id += 7
            length = 25 if strong else 4
            alphabet = _CODE_ALPHABET if strong else _CODE_ALPHABET.upper()
            code = "".join(secrets.choice(alphabet) for _ in range(length))
            pin = FakePin(
                id=pin_id,
                code=code,
                client_identifier=client_identifier,
                product=product,
                created_at=time.time(),
                expires_in=STRONG_PIN_SECONDS if strong else WEAK_PIN_SECONDS,
                strong=strong,
            )
            self.pins[pin_id] = pin
            return pin

    def live_pin(self, pin_id: int) -> FakePin | None:
        """The PIN if it exists and has not expired."""
        with self._lock:
            pin = self.pins.get(pin_id)
            return pin if pin is not None and pin.is_live() else None

    def pin_by_code(self, code: str) -> FakePin | None:
        """The live PIN with this code."""
        with self._lock:
            return next((p for p in self.pins.values() if p.code == code and p.is_live()), None)

    def approve(self, pin_id: int, user: PlexTvUser) -> FakePin:
        """Sign `user` in on a PIN (what the user does on the Plex auth page)."""
        with self._lock:
            pin = self.pins.get(pin_id)
            if pin is None or not pin.is_live():
                raise KeyError(f"no live pin {pin_id}")
            pin.auth_token = user.token
            return pin

    def expire(self, pin_id: int) -> None:
        """Expire a PIN now."""
        with self._lock:
            if pin_id in self.pins:
                self.pins[pin_id].expired = True
