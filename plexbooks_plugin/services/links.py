"""Links into Plex's own web app for a mirrored book."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from ..const import SettingKey

if TYPE_CHECKING:
    from ..core import PlexBooksCore


def plex_web_url(app_url: str, machine_identifier: str | None, rating_key: str | None) -> str | None:
    """The Plex web app's page of one item, or None when the server or the item is unknown.

    Plex's own "share" links have this shape: the item's key (/library/metadata/<ratingKey>) is
    percent-encoded into the fragment, after the server's machineIdentifier.
    """
    if not machine_identifier or not rating_key:
        return None
    key = quote(f"/library/metadata/{rating_key}", safe="")
    return f"{app_url.rstrip('/')}/desktop/#!/server/{quote(machine_identifier, safe='')}/details?key={key}"


class PlexLinker:
    """Builds Open-in-Plex links for one runtime (its app URL and the stored server identifier)."""

    def __init__(self, app_url: str, machine_identifier: str | None) -> None:
        self.app_url = app_url
        self.machine_identifier = machine_identifier

    @classmethod
    def of(cls, core: PlexBooksCore) -> PlexLinker:
        """The linker of a runtime: its plex_app_url and the stored machine identifier."""
        return cls(core.plex_app_url, core.get_setting(SettingKey.PLEX_MACHINE_IDENTIFIER))

    def url(self, rating_key: str | None) -> str | None:
        """The Open-in-Plex link of an item, or None."""
        return plex_web_url(self.app_url, self.machine_identifier, rating_key)
