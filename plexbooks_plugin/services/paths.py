"""Host paths to Plex paths: `path_map` prefixes, which library folder a path lies in, a suggested mapping."""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Files Plex's music libraries skip (video containers): a folder of only these never shows up in Plex.
IGNORED_BY_MUSIC_LIBRARIES = frozenset({".mp4", ".m4v", ".mkv", ".avi", ".mov", ".webm", ".wmv", ".mpg", ".mpeg"})
AUDIO_SUFFIXES = frozenset(
    {".m4b", ".m4a", ".mp3", ".aac", ".flac", ".ogg", ".oga", ".opus", ".wav", ".wma", ".aiff", ".ape", ".alac"}
)


def _parts(path: str) -> list[str]:
    return [part for part in path.replace("\\", "/").split("/") if part]


def _windows(path: str) -> bool:
    return "\\" in path and "/" not in path


def _under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or inside it (whole components, either separator)."""
    norm_path = path.replace("\\", "/").rstrip("/")
    norm_prefix = prefix.replace("\\", "/").rstrip("/")
    if _windows(path) or _windows(prefix):
        norm_path, norm_prefix = norm_path.lower(), norm_prefix.lower()
    return norm_path == norm_prefix or norm_path.startswith(norm_prefix + "/") or norm_prefix == ""


def map_path(path: str, pairs: Sequence[tuple[str, str]]) -> str:
    """Rewrite `path` through the first (longest) matching host prefix; unchanged when none matches."""
    for host, plex in sorted(pairs, key=lambda pair: -len(pair[0])):
        if _under(path, host):
            rest = path.replace("\\", "/").rstrip("/")[len(host.replace("\\", "/").rstrip("/")) :].lstrip("/")
            separator = "\\" if _windows(plex) else "/"
            joined = plex.rstrip("/\\") + (separator + rest.replace("/", separator) if rest else "")
            return joined or plex
    return path


def library_of(path: str, locations: Mapping[str, Sequence[str]]) -> str | None:
    """The section whose folders hold `path` (the deepest matching folder wins), or None."""
    best: tuple[int, str] | None = None
    for section, folders in locations.items():
        for folder in folders:
            if _under(path, folder) and (best is None or len(folder) > best[0]):
                best = (len(folder), section)
    return None if best is None else best[1]


def likely_library(path: str, locations: Mapping[str, Sequence[str]]) -> str | None:
    """The section whose folder names share the most trailing names with `path`'s folders, or None on a tie."""
    names = {part.lower() for part in _parts(path)}
    scores: dict[str, int] = {}
    for section, folders in locations.items():
        scores[section] = max((_shared_tail(_parts(folder), names) for folder in folders), default=0)
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def _shared_tail(folder_parts: list[str], names: set[str]) -> int:
    count = 0
    for part in reversed(folder_parts):
        if part.lower() not in names:
            break
        count += 1
    return count


def suggest_mapping(host_folder: str, locations: Iterable[str], depth: int = 2) -> str | None:
    """Guess a `path_map` pair for a book folder Plex does not see, from the library folders' trailing names.

    A host folder `/downloads/audiobooks/Author/Title` and a Plex folder `/data/audiobooks` share the
    name `audiobooks`: `/downloads/audiobooks=/data/audiobooks`. Without a shared name the book folder
    is taken as `<root>/Author/Title` (`depth` names below the root) and the first library folder.
    """
    host = _parts(host_folder)
    folders = [folder for folder in locations if folder]
    if not host or not folders:
        return None
    lead = "/" if host_folder.startswith("/") else ""
    for folder in folders:
        tail = _parts(folder)
        for size in range(len(tail), 0, -1):
            wanted = [part.lower() for part in tail[-size:]]
            for start in range(len(host) - size, -1, -1):
                if [part.lower() for part in host[start : start + size]] == wanted:
                    return f"{lead}{'/'.join(host[: start + size])}={folder.rstrip('/')}"
    if len(host) <= depth:
        return None
    return f"{lead}{'/'.join(host[:-depth])}={folders[0].rstrip('/')}"


def only_ignored_files(names: Iterable[str]) -> list[str]:
    """The media files of a folder listing when every one is a kind Plex music libraries ignore, else []."""
    suffixes = [(name, posixpath.splitext(ntpath.basename(name))[1].lower()) for name in names]
    media = [(name, suffix) for name, suffix in suffixes if suffix in IGNORED_BY_MUSIC_LIBRARIES | AUDIO_SUFFIXES]
    if media and all(suffix in IGNORED_BY_MUSIC_LIBRARIES for _, suffix in media):
        return sorted(name for name, _ in media)
    return []


@dataclass(frozen=True)
class RefreshPlan:
    """What to ask Plex to scan after an import: one folder of a library, or whole libraries."""

    scope: str  # "folder" or "section"
    sections: tuple[str, ...]
    path: str | None = None


def plan_refresh(plex_folder: str, locations: Mapping[str, Sequence[str]], selected: Sequence[str]) -> RefreshPlan:
    """Refresh the folder when a selected library holds it; else the library it most likely belongs to, or all."""
    if not any(locations.get(section) for section in selected):
        # Plex listed no folders for the libraries: nothing to judge by, so trust the path.
        return RefreshPlan("folder", (selected[0],), plex_folder)
    section = library_of(plex_folder, {s: locations.get(s, ()) for s in selected})
    if section is not None:
        return RefreshPlan("folder", (section,), plex_folder)
    if len(selected) == 1:
        return RefreshPlan("section", (selected[0],))
    likely = likely_library(plex_folder, {s: locations.get(s, ()) for s in selected})
    return RefreshPlan("section", (likely,) if likely else tuple(selected))
