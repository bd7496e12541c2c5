"""The settings plexbooks knows: their names, defaults, validation and which ones are secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .errors import ConfigError
from .plex.transport import split_http_url


def _parse_url(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = split_http_url(value, "Plex server URL")
    if parts.username or parts.password:
        raise ConfigError("put the token in plex_token, not in the server URL")
    return value


def _parse_nonempty(value: str) -> str:
    value = value.strip()
    if not value:
        raise ConfigError("a value is required")
    return value


def _positive_number(minimum: float, maximum: float, unit: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        try:
            number = float(value)
        except ValueError as err:
            raise ConfigError(f"expected a number of {unit}, got {value!r}") from err
        if not minimum <= number <= maximum:
            raise ConfigError(f"must be between {minimum:g} and {maximum:g} {unit}")
        return f"{number:g}"

    return parse


def _parse_webhook_url(value: str) -> str:
    value = value.strip()
    if value:
        split_http_url(value, "webhook URL")
    return value


def split_ids(value: str | None) -> list[str]:
    """The section ids of a stored `library_ids` value (empty when unset)."""
    return [part for part in (value or "").split(",") if part]


def _parse_section_ids(value: str) -> str:
    """Comma-separated Plex section ids (digits), duplicates dropped, order kept."""
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise ConfigError("at least one library section id is required, e.g. 5 or 5,7")
    bad = [part for part in ids if not (part.isascii() and part.isdigit())]
    if bad:
        raise ConfigError(f"a library section id is a number, got {bad[0]!r}")
    return ",".join(dict.fromkeys(str(int(part)) for part in ids))


def _parse_section_id(value: str) -> str:
    ids = _parse_section_ids(value)
    if "," in ids:
        raise ConfigError("library_id takes one id; use library_ids for several")
    return ids


def parse_path_map(value: str) -> list[tuple[str, str]]:
    """Read `HOST_PREFIX=PLEX_PREFIX;...` into (host, plex) prefix pairs, longest host prefix first."""
    pairs: list[tuple[str, str]] = []
    for entry in value.split(";"):
        if not entry.strip():
            continue
        host, sep, plex = entry.partition("=")
        host, plex = host.strip(), plex.strip()
        if not sep or not host or not plex:
            raise ConfigError(f"expected HOST_PREFIX=PLEX_PREFIX pairs separated by ';', got {entry.strip()!r}")
        if "=" in plex:
            raise ConfigError(f"one '=' per pair, got {entry.strip()!r}")
        if not _absolute(host) or not _absolute(plex):
            raise ConfigError(f"both prefixes must be absolute paths, got {entry.strip()!r}")
        pairs.append((_trim(host), _trim(plex)))
    hosts = [host for host, _ in pairs]
    if len(set(hosts)) != len(hosts):
        raise ConfigError("a host prefix appears twice")
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def _absolute(path: str) -> bool:
    return path.startswith(("/", "\\")) or (len(path) > 2 and path[1] == ":" and path[2] in "/\\")


def _trim(path: str) -> str:
    return path.rstrip("/\\") or path[:1]


def _parse_path_map(value: str) -> str:
    if not value.strip():
        raise ConfigError("a value is required (clear it with an empty form field)")
    entries = [entry.strip() for entry in value.split(";") if entry.strip()]
    parse_path_map(value)
    return ";".join(entries)


def _parse_bool(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return "true"
    if lowered in ("0", "false", "no", "off"):
        return "false"
    raise ConfigError(f"expected true or false, got {value!r}")


@dataclass(frozen=True)
class SettingSpec:
    """What one setting accepts."""

    key: str
    description: str
    parse: Callable[[str], str]
    default: str | None = None
    secret: bool = False
    public: bool = True  # settable from the CLI and the settings page
    alias_of: str | None = None  # another name of that setting (reads give its first value)


SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec("plex_url", "Plex Media Server URL, e.g. http://192.168.1.10:32400", _parse_url),
        SettingSpec("plex_token", "Plex token with access to the server", _parse_nonempty, secret=True),
        SettingSpec(
            "library_ids", "comma-separated section ids of the audiobook (music-type) libraries, e.g. 5,7",
            _parse_section_ids,
        ),
        SettingSpec(
            "library_id", "one library's section id (alias of library_ids)", _parse_section_id, alias_of="library_ids"
        ),
        SettingSpec(
            "path_map", "host-to-Plex path prefixes, e.g. /downloads/books=/data/audiobooks (pairs separated by ;)",
            _parse_path_map,
        ),
        SettingSpec("full_scan_hours", "hours between full scans", _positive_number(0.1, 24 * 7, "hours"), "6"),
        SettingSpec(
            "recent_scan_minutes",
            "minutes between recently-added polls (0 turns the poll off)",
            _positive_number(0, 24 * 60, "minutes"),
            "5",
        ),
        SettingSpec("refresh_after_import", "ask Plex to scan a folder after an import", _parse_bool, "true"),
        SettingSpec("api_key", "the host's key for the X-Plexbooks-Key header", _parse_nonempty, secret=True),
        SettingSpec("realtime", "listen to the server's notification WebSocket", _parse_bool, "true"),
        SettingSpec("webhook_url", "where to POST request events (empty: no webhook)", _parse_webhook_url),
        SettingSpec("webhook_secret", "HMAC-SHA256 key signing the webhook bodies", _parse_nonempty, secret=True),
        # Internal state, kept with the settings because it is a handful of values.
        SettingSpec("client_identifier", "X-Plex-Client-Identifier of this install", _parse_nonempty, public=False),
        SettingSpec(
            "plex_machine_identifier", "machineIdentifier of the configured server", _parse_nonempty, public=False
        ),
        SettingSpec("recent_watermark", "addedAt of the newest item the last poll saw", _parse_nonempty, public=False),
        SettingSpec(
            "recent_updated_watermark", "updatedAt of the newest item the last poll saw", _parse_nonempty, public=False
        ),
        SettingSpec("realtime_status", "JSON: the notification listener's state", _parse_nonempty, public=False),
        SettingSpec("realtime_reconnect", "when an admin last asked the listener to reconnect", _parse_nonempty,
                    public=False),
        SettingSpec(
            "library_version", "bumped whenever the mirrored library changes", _parse_nonempty, "0", public=False
        ),
        SettingSpec("pending_removal", "JSON of removals awaiting admin confirmation", _parse_nonempty, public=False),
        SettingSpec("demo_database", "true in the demo's own database", _parse_bool, public=False),
        SettingSpec(
            "secret_key_file", "the key file that encrypts the secrets (absolute path)", _parse_nonempty, public=False
        ),
        SettingSpec("pending_removal_keys", "JSON of the rating keys each held-back removal would delete, by library",
                    _parse_nonempty, public=False),
        SettingSpec("path_warning", "JSON of the last import Plex cannot see", _parse_nonempty, public=False),
        SettingSpec("library_titles", "JSON of the music libraries' names by id", _parse_nonempty, public=False),
    )
}

PUBLIC_KEYS = tuple(key for key, spec in SPECS.items() if spec.public and spec.alias_of is None)
SECRET_KEYS = tuple(key for key, spec in SPECS.items() if spec.secret)


def spec_for(key: str) -> SettingSpec:
    """Return the spec of a known setting or raise ConfigError naming the valid keys."""
    try:
        return SPECS[key]
    except KeyError:
        raise ConfigError(f"unknown setting {key!r}; known settings: {', '.join(PUBLIC_KEYS)}") from None


def validate(key: str, value: str) -> str:
    """Return the canonical form of `value` for `key`, or raise ConfigError saying what is wrong."""
    spec = spec_for(key)
    try:
        return spec.parse(value)
    except ConfigError as err:
        raise ConfigError(f"{key}: {err}", key=key, detail=str(err)) from None
