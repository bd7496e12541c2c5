"""Which Plex libraries plexbooks mirrors: a selection checked against the server; audiobooks told from music."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import settings as setting_specs
from .. import store as repo
from ..const import SettingKey
from ..errors import ConfigError, PlexbooksError
from ..records import PlexSection
from ..settings import split_ids

if TYPE_CHECKING:
    from ..core import PlexBooksCore

log = logging.getLogger(__name__)

# Agents that file books, not songs (Audnexus and its forks, Audible-based ones).
AUDIOBOOK_AGENT_WORDS = ("audnexus", "audible", "audiobook")


def refuse_unknown_sections(ids: Sequence[str], sections: Sequence[PlexSection]) -> None:
    """Raise ConfigError naming the first id that is not a music (`artist`) section of the server."""
    by_id = {str(section.id): section for section in sections}
    for section_id in ids:
        section = by_id.get(section_id)
        if section is None:
            detail = f"this Plex server has no library section {section_id}"
            raise ConfigError(f"library {section_id}: {detail}", key="library_ids", detail=detail)
        if section.type != "artist":
            detail = f"'{section.title}' is a {section.type} library; audiobooks live in Music-type libraries"
            raise ConfigError(f"library {section_id}: {detail}", key="library_ids", detail=detail)


# A chapter runs long: a library whose typical track exceeds this looks like audiobooks.
CHAPTER_MS = 15 * 60_000


def long_tracks(durations: Sequence[int]) -> bool | None:
    """Whether a sample of track durations is chapter-like (median above CHAPTER_MS); None without a sample."""
    if not durations:
        return None
    ordered = sorted(durations)
    return ordered[len(ordered) // 2] > CHAPTER_MS


def _audiobook_agent(section: PlexSection) -> bool:
    agent = (section.agent or "").lower()
    return any(word in agent for word in AUDIOBOOK_AGENT_WORDS)


def _sampled(client: Any, section: PlexSection) -> bool | None:
    """Whether the section's tracks look like chapters; None when they cannot be read (the hint is only a hint)."""
    try:
        return long_tracks(client.track_durations(section.id))
    except PlexbooksError as err:
        log.debug("could not sample the tracks of section %s: %s", section.id, err)
        return None


def audiobook_hint(section: PlexSection, long_tracks: bool | None = None) -> str:
    """Say whether a music library looks like audiobooks ("audiobooks"), music ("music") or cannot tell ("unknown")."""
    agent = (section.agent or "").lower()
    if _audiobook_agent(section):
        return "audiobooks"
    if long_tracks is not None:
        return "audiobooks" if long_tracks else "music"
    if "music" in agent or "lastfm" in agent:
        return "music"
    return "unknown"


def save_library_ids(core: PlexBooksCore, key: str, value: str) -> str | None:
    """Validate `value`, check it against the server when it answers, store it; return a warning or None.

    `key` is `library_ids` or its alias `library_id`. Raises ConfigError for a malformed id or one
    that is not a music library of the server.
    """
    canonical = setting_specs.validate(key, value)
    warning = None
    try:
        with core.plex_client() as client:
            sections = client.sections()
    except ConfigError:
        warning = "no Plex server is configured yet, so the library ids were not checked"
    except PlexbooksError as err:
        warning = f"Plex could not be reached, so the library ids were not checked: {err}"
    else:
        refuse_unknown_sections(split_ids(canonical), sections)
    core.set_setting(key, canonical)
    if warning:
        log.warning("%s", warning)
    return warning


def library_choices(core: PlexBooksCore) -> list[dict[str, Any]]:
    """The server's music libraries with item counts, folders, whether selected and an audiobooks/music hint."""
    selected = set(selected_ids(core))
    choices = []
    titles: dict[str, str] = {}
    with core.plex_client() as client:
        for section in client.music_sections():
            count = section.item_count
            if count is None:
                count = client.section_item_count(section.id)
            hint = audiobook_hint(section, None if _audiobook_agent(section) else _sampled(client, section))
            titles[str(section.id)] = section.title
            choices.append(
                {**section.as_json(), "item_count": count, "selected": str(section.id) in selected, "looks_like": hint}
            )
    with core.session() as session:
        repo.set_json_setting(session, SettingKey.LIBRARY_TITLES, titles)
    return choices


def remember_library_titles(core: PlexBooksCore, client: Any) -> None:
    """Store the music libraries' names (the pages show them); a failure is only logged."""
    try:
        titles = {str(section.id): section.title for section in client.music_sections()}
    except Exception as err:  # only names for the pages: never let them fail a finished scan
        log.debug("library names not refreshed: %s", err)
        return
    with core.session() as session:
        if repo.get_json_setting(session, SettingKey.LIBRARY_TITLES) != titles:
            repo.set_json_setting(session, SettingKey.LIBRARY_TITLES, titles)


def library_titles(core: PlexBooksCore) -> dict[str, str]:
    """The libraries' names by section id, as the last full scan or library listing saw them."""
    with core.session() as session:
        value = repo.get_json_setting(session, SettingKey.LIBRARY_TITLES)
    return value if isinstance(value, dict) else {}


def record_path_warning(core: PlexBooksCore, warning: dict[str, Any] | None) -> None:
    """Remember (or clear) the last import whose folder Plex does not see, for the settings page; never raises."""
    try:
        with core.session() as session:
            current = repo.get_json_setting(session, SettingKey.PATH_WARNING)
            if isinstance(current, dict):
                current = {k: v for k, v in current.items() if k != "recorded_at"}
            if current == warning:
                return  # nothing new: hooks arriving together do not all rewrite the row
            stored = None if warning is None else {**warning, "recorded_at": repo.now().isoformat()}
            repo.set_json_setting(session, SettingKey.PATH_WARNING, stored)
    except Exception as err:  # only a hint for the settings page: the hook's own result already says it
        log.info("could not record the path warning: %s", err)


def path_warning(core: PlexBooksCore) -> dict[str, Any] | None:
    """The last import whose folder Plex does not see (host path, mapped path, suggested mapping), or None."""
    with core.session() as session:
        value = repo.get_json_setting(session, SettingKey.PATH_WARNING)
    return value if isinstance(value, dict) else None


def selected_ids(core: PlexBooksCore) -> list[str]:
    """The selected library section ids, in their stored order."""
    return split_ids(core.get_setting(SettingKey.LIBRARY_IDS))
