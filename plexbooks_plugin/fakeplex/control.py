"""The emulator's control facade: the test hooks FakePlex offers, grouped by what they control."""

from __future__ import annotations

from collections import deque
from typing import Any

from .accounts import HOME_PIN, Accounts, PlexTvUser
from .faults import Fault, FaultBox, normalise_kind
from .library import SECOND_AUDIOBOOK_SECTION, FakeAlbum, FakeSection
from .state import LoggedRequest, ServerState
from .store import AUDIOBOOK_SECTION, MUSIC_SECTION, FakeLibrary


class StateView:
    """Read access to the emulator's state and identity."""

    state: ServerState

    @property
    def token(self) -> str:
        """The admin (owner's) token."""
        return self.state.token

    @property
    def machine_identifier(self) -> str:
        """The server's machineIdentifier (its clientIdentifier on plex.tv)."""
        return self.state.machine_identifier

    @property
    def server_name(self) -> str:
        """The server's friendly name."""
        return self.state.server_name

    @property
    def xml_only(self) -> bool:
        """Whether the server ignores `Accept: application/json`."""
        return self.state.xml_only

    @property
    def library(self) -> FakeLibrary:
        """The library (sections, artists, albums)."""
        return self.state.library

    @property
    def accounts(self) -> Accounts:
        """The plex.tv accounts and PINs."""
        return self.state.accounts

    @property
    def faults(self) -> FaultBox:
        """The armed faults."""
        return self.state.faults

    @property
    def refresh_calls(self) -> list[tuple[str, str | None]]:
        """(section id, path or None) of every refresh request, oldest first."""
        return self.state.refresh_calls

    @property
    def request_log(self) -> deque[LoggedRequest]:
        """The last 10,000 requests (tokens left out)."""
        return self.state.request_log

    @property
    def host(self) -> str:
        """The address served on."""
        return self.state.host

    @property
    def port(self) -> int | None:
        """The port served on (None before start)."""
        return self.state.port

    @property
    def url(self) -> str:
        """Base URL of both the Media Server and plex.tv (e.g. http://127.0.0.1:54321)."""
        return self.state.url


class LibraryControls(StateView):
    """Look at and change the library, as if Plex had scanned changes (announced on the WebSocket)."""

    @property
    def music_section_id(self) -> str:
        """The id of the audiobook section (a music section, type "artist")."""
        return str(AUDIOBOOK_SECTION)

    @property
    def second_audiobook_section_id(self) -> str | None:
        """The second audiobook library's id ("5"), or None when FakePlex(second_audiobooks=0)."""
        return str(SECOND_AUDIOBOOK_SECTION) if SECOND_AUDIOBOOK_SECTION in self.library.sections else None

    @property
    def songs_section_id(self) -> str:
        """The Music library (a music agent, real albums whose tracks are short songs)."""
        return str(MUSIC_SECTION)

    @property
    def sections(self) -> list[FakeSection]:
        """All sections."""
        return list(self.library.sections.values())

    def albums(self, section_id: str | int | None = None) -> list[FakeAlbum]:
        """The albums of a section (default: the audiobooks), by rating key."""
        sid = int(section_id if section_id is not None else AUDIOBOOK_SECTION)
        with self.library.lock:
            return sorted(
                (a for a in self.library.albums.values() if a.section_id == sid),
                key=lambda a: a.rating_key,
            )

    def album(self, rating_key: str | int) -> FakeAlbum:
        """One album by rating key (KeyError when absent)."""
        return self.library.albums[int(rating_key)]

    def add_album(self, title: str, author: str | None, *, section_id: str | int | None = None, **fields: Any) -> str:
        """Add a book (as if Plex scanned it now) and return its rating key.

        `fields`: narrator, asin, guid, added_at, FakeAlbum attributes (year, duration, summary,
        track_count, updated_at, ...) or raw Plex attributes added to the item as they are.
        """
        artists_before = len(self.library.artists)
        sid = int(section_id) if section_id is not None else AUDIOBOOK_SECTION
        album = self.library.add_album(title, author, section_id=sid, **fields)
        self.state.announcer.album_added(album, new_artist=len(self.library.artists) > artists_before)
        return str(album.rating_key)

    def update_album(self, rating_key: str | int, **fields: Any) -> None:
        """Change a book (title, author, guid, asin, duration, ...); updatedAt moves on."""
        album = self.library.update_album(int(rating_key), **fields)
        self.state.announcer.album_updated(album)

    def remove_album(self, rating_key: str | int) -> None:
        """Remove a book from the library (its tracks, itself and an emptied artist are announced deleted)."""
        library = self.library
        with library.lock:
            album = library.albums[int(rating_key)]
            library.remove_album(album.rating_key)
            emptied = not any(a.artist_key == album.artist_key for a in library.albums.values())
        self.state.announcer.album_removed(album, artist_emptied=emptied)


class PlexTvControls(StateView):
    """plex.tv accounts, sign-in PINs and tokens."""

    @property
    def owner(self) -> PlexTvUser:
        """The server owner; their token is the admin token."""
        return self.accounts.owner

    @property
    def shared_user(self) -> PlexTvUser:
        """A user the server is shared with."""
        return self.accounts.shared_user

    @property
    def stranger(self) -> PlexTvUser:
        """A plex.tv user without access to this server."""
        return self.accounts.stranger

    @property
    def kid_profile(self) -> PlexTvUser:
        """A managed profile in the owner's Plex Home, without PIN."""
        return self.accounts.kid

    @property
    def teen_profile(self) -> PlexTvUser:
        """A managed profile in the owner's Plex Home protected by the PIN `home_pin`."""
        return self.accounts.teen

    @property
    def home_pin(self) -> str:
        """The PIN of `teen_profile`."""
        return HOME_PIN

    @property
    def other_home_profile(self) -> PlexTvUser:
        """A managed profile in the stranger's Home (no access to this server)."""
        return self.accounts.other_home_kid

    def add_home_user(
        self, title: str, *, admin: PlexTvUser | None = None, pin: str | None = None, has_access: bool | None = None
    ) -> PlexTvUser:
        """A managed profile in `admin`'s Plex Home (default the owner's), PIN-protected when `pin` is given."""
        return self.accounts.add_home_user(admin or self.owner, title, pin=pin, has_access=has_access)

    def add_user(
        self, username: str, email: str | None = None, owner: bool = False, has_access: bool = True
    ) -> PlexTvUser:
        """Create a plex.tv account (with access to this server unless has_access=False)."""
        return self.accounts.add_user(username, email=email, owner=owner, has_access=has_access)

    def approve_pin(self, pin_id: int | str, user: PlexTvUser | str) -> None:
        """Sign a user in on a PIN, as the Plex auth page would (user or "owner"/"shared"/"stranger")."""
        found = self.accounts.user_by_name(user) if isinstance(user, str) else user
        if found is None:
            raise KeyError(f"no plex.tv user {user!r}")
        self.accounts.approve(int(pin_id), found)

    def expire_pin(self, pin_id: int | str) -> None:
        """Expire a PIN now (plex.tv then answers 404)."""
        self.accounts.expire(int(pin_id))

    def revoke_token(self, token: str) -> None:
        """Make a token fail (401) on the Media Server and plex.tv."""
        self.accounts.revoke(token)


class FaultControls(StateView):
    """Faults to inject, and the log of requests seen."""

    def set_fault(
        self,
        kind: str | int,
        *,
        on_path: str | None = None,
        on_page: int | None = None,
        count: int | None = None,
        delay: float = 0.0,
        status: int | None = None,
        size: int = 200 * 1024 * 1024,
        with_length: bool = False,
        depth: int = 50_000,
    ) -> Fault:
        """Arm a fault (latency, status, drop, truncate, html, entity_bomb, deep_xml, huge, unauthorized)."""
        resolved, code = normalise_kind(kind, status)
        return self.faults.add(
            Fault(
                kind=resolved,
                on_path=on_path,
                on_page=on_page,
                count=count,
                delay=delay,
                status=code,
                size=size,
                with_length=with_length,
                depth=depth,
            )
        )

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self.faults.clear()

    def requests_to(self, path: str) -> list[LoggedRequest]:
        """Logged requests whose path equals (or starts with, for a trailing '*') `path`."""
        if path.endswith("*"):
            return [r for r in list(self.request_log) if r.path.startswith(path[:-1])]
        return [r for r in list(self.request_log) if r.path == path]

    def clear_log(self) -> None:
        """Forget logged requests and refresh calls."""
        self.request_log.clear()
        self.refresh_calls.clear()
