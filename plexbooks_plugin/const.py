"""Names and numbers every layer shares: setting keys, lease names, default URLs, scan thresholds."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class SettingKey(StrEnum):
    """Keys of the ``plexbooks_settings`` table (a str Enum: the stored keys are these very strings)."""

    PLEX_URL = "plex_url"
    PLEX_TOKEN = "plex_token"
    LIBRARY_IDS = "library_ids"
    LIBRARY_ID = "library_id"  # the one-library alias of library_ids (and the key older installs stored)
    PATH_MAP = "path_map"
    FULL_SCAN_HOURS = "full_scan_hours"
    RECENT_SCAN_MINUTES = "recent_scan_minutes"
    REFRESH_AFTER_IMPORT = "refresh_after_import"
    API_KEY = "api_key"
    CLIENT_IDENTIFIER = "client_identifier"
    PLEX_MACHINE_IDENTIFIER = "plex_machine_identifier"
    RECENT_WATERMARK = "recent_watermark"
    RECENT_UPDATED_WATERMARK = "recent_updated_watermark"
    REALTIME = "realtime"
    WEBHOOK_URL = "webhook_url"
    WEBHOOK_SECRET = "webhook_secret"
    REALTIME_STATUS = "realtime_status"
    REALTIME_RECONNECT = "realtime_reconnect"
    LIBRARY_VERSION = "library_version"
    PENDING_REMOVAL = "pending_removal"
    DEMO_DATABASE = "demo_database"
    SECRET_KEY_FILE = "secret_key_file"
    PENDING_REMOVAL_KEYS = "pending_removal_keys"
    LIBRARY_TITLES = "library_titles"
    PATH_WARNING = "path_warning"


# Cluster-wide leases (rows of plexbooks_leases).
SCAN_LEASE = "scan"
LEADER_LEASE = "scheduler"

DEFAULT_PLEX_TV_URL = "https://plex.tv"
DEFAULT_PLEX_APP_URL = "https://app.plex.tv"

# Long enough for one slow page (30 s read timeout, retries); short enough that a killed
# process frees the lock within minutes. Renewed after every page.
SCAN_LEASE_TTL = timedelta(minutes=3)
DEFAULT_LEADER_TTL = timedelta(seconds=30)
