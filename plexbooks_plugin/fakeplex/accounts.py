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

HOME_PIN = "2468"  # the protected Home profile's PIN
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
    home_id: int | None = None  # the Plex Home the account belongs to (its admin's id)
    home_admin: bool = False
    managed: bool = False  # a managed profile: no plex.tv login of its own, reached by switching
    pin: str | None = field(default=None, repr=False)  # the profile's Plex Home PIN (protected)

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
        # Plex Home: the owner's, with a managed profile without PIN and one with; another Home's profile.
        self.make_home(self.owner)
        self.kid = self.add_home_user(self.owner, "Kids")
        self.teen = self.add_home_user(self.owner, "Teen", pin=HOME_PIN)
        self.make_home(self.stranger)
        self.other_home_kid = self.add_home_user(self.stranger, "Neighbour Kid", has_access=False)

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

    # ------------------------------------------------------------------------------ Plex Home

    def make_home(self, admin: PlexTvUser) -> None:
        """Make `admin` the administrator of a Plex Home of their own."""
        with self._lock:
            admin.home_id = admin.id
            admin.home_admin = True

    def add_home_user(
        self, admin: PlexTvUser, title: str, *, pin: str | None = None, has_access: bool | None = None
    ) -> PlexTvUser:
        """A managed profile in `admin`'s Home (access to this server like the admin's, unless told)."""
        if admin.home_id is None:
            self.make_home(admin)
        profile = self.add_user(title, email="", has_access=admin.has_access if has_access is None else has_access)
        with self._lock:
            profile.home_id = admin.home_id
            profile.managed = True
            profile.email = ""  # managed profiles have no e-mail address of their own
            profile.pin = pin
        return profile

    def home_members(self, user: PlexTvUser) -> list[PlexTvUser]:
        """The members of `user`'s Home, admin first (a user outside any Home is a Home of one)."""
        if user.home_id is None:
            return [user]
        with self._lock:
            members = [u for u in self.users.values() if u.home_id == user.home_id]
        return sorted(members, key=lambda u: (not u.home_admin, u.id))

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
