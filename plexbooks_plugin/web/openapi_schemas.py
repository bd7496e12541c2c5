"""The building blocks of the OpenAPI document: schema helpers, shared error answers and the schemas."""

from __future__ import annotations

from typing import Any

from ..models import REQUEST_STATUSES
from .forms import DEFAULT_AVAILABILITY_MAX


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def reply(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def failure(description: str, schema: str = "Error") -> dict[str, Any]:
    return reply(ref(schema), description)


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


_PLEX_WEB_URL: dict[str, Any] = {
    "type": ["string", "null"], "format": "uri",
    "description": "the book in Plex's web app (Open in Plex); null when Plex lacks it or the server is unknown",
}
#: Text the API stores: no NUL character (400 invalid_text), at most `max_length` characters once stripped.
NO_NUL = "^[^\\x00]*$"
#: A required text: besides the above, at least one character that is not whitespace.
NOT_BLANK = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"


def _text(max_length: int = 1024, *, nullable: bool = False, required: bool = False) -> dict[str, Any]:
    """A string field as `forms.string_field` reads it (stripped, no NUL, capped; required ones not blank)."""
    schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string", "maxLength": max_length,
                              "pattern": NOT_BLANK if required else NO_NUL}
    return schema


def body(schema: str, example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema), "example": example}}}


UNAUTHORIZED = failure("Not signed in and no valid X-Plexbooks-Key")
FORBIDDEN = failure("Signed in, but this needs an admin (the Plex server owner)")
BAD_REQUEST = failure("The body is not a JSON object, or a field has the wrong type; `field` names it", "FieldError")
TOO_LARGE = failure("The body is larger than the plugin accepts (1 MB by default)")
PLEX_FAILED = failure(
    "Plex could not be reached or refused the token (error: plex_unreachable, plex_unauthorized, plex_error)"
)
NOT_CONFIGURED = failure("Plex or the library is not configured yet (error: not_configured)")

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "FieldError": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "enum": [
                "invalid_json", "invalid_field", "invalid_text", "too_many_books", "csrf_failed", "invalid_settings",
            ]},
            "message": {"type": "string"},
            "field": {"type": "string"},
        },
    },
    "ScanRunning": {
        "type": "object",
        "required": ["error", "message", "run_id"],
        "properties": {
            "error": {"const": "scan_running"}, "message": {"type": "string"}, "run_id": {"type": "integer"},
        },
    },
    "Library": {
        "type": "object",
        "required": ["id", "title", "type", "locations", "item_count"],
        "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "type": {"type": "string", "description": "always `artist`: Plex keeps audiobooks in music libraries"},
            "locations": {"type": "array", "items": {"type": "string"}},
            "item_count": _nullable("integer"),
            "selected": {"type": "boolean", "description": "mirrored by plexbooks (`/api/libraries` only)"},
            "looks_like": {"type": "string", "enum": ["audiobooks", "music", "unknown"],
                           "description": "a hint from the agent and the track lengths (`/api/libraries` only)"},
        },
    },
    "ScanStarted": {"type": "object", "required": ["run_id"], "properties": {"run_id": {"type": "integer"}}},
    "ScanRun": {
        "type": "object",
        "required": ["run_id", "kind", "status", "progress", "summary", "error"],
        "properties": {
            "run_id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["full", "recent"]},
            "status": {"type": "string", "enum": ["running", "succeeded", "failed", "cancelled"]},
            "progress": {
                "type": "object", "required": ["done", "total"],
                "properties": {"done": {"type": "integer"}, "total": _nullable("integer")},
            },
            "summary": {
                "type": ["object", "null"],
                "properties": {k: {"type": "integer"} for k in ("total", "new", "updated", "removed", "matched")},
            },
            "error": _nullable("string"),
            "warning": _nullable("string"),
            "started_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
            "duration_seconds": {"type": ["number", "null"], "description": "from start to finish; null while running"},
            "changes": {
                "type": ["object", "null"], "description": "the summary in the scans page's words",
                "properties": {k: {"type": "integer"} for k in (
                    "badges_gained", "new", "updated", "removed", "requests_completed")},
            },
        },
    },
    "Detection": {
        "type": "object", "required": ["realtime", "webhooks"],
        "properties": {
            "realtime": {
                "type": "object", "required": ["enabled", "state", "events", "reconnects", "can_reconnect"],
                "properties": {
                    "enabled": {"type": "boolean"},
                    "state": {"type": "string", "description": "connecting, connected, refused or disconnected "
                              "(reconnecting at retry_at), off, stopped, not_running (no scheduler leader)"},
                    "connected_since": {"type": ["string", "null"]}, "events": {"type": "integer"},
                    "last_event_at": {"type": ["string", "null"]}, "error": {"type": ["string", "null"]},
                    "retry_in": {"type": ["number", "null"]}, "retry_at": {"type": ["string", "null"]},
                    "reconnects": {"type": "integer"}, "can_reconnect": {"type": "boolean"},
                    "last_catch_up": {"type": ["object", "null"], "description": "the newest catch-up poll's run"},
                },
            },
            "webhooks": {
                "type": "object", "required": ["counts", "recent"],
                "properties": {
                    "target": {"type": ["string", "null"]}, "signed": {"type": "boolean"},
                    "counts": {"type": "object"}, "recent": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    },
    "RemovalConfirmed": {
        "type": "object", "required": ["confirmed", "removed"],
        "properties": {"confirmed": {"type": "boolean"}, "removed": {"type": "integer"}, "run_id": {"type": "integer"}},
    },
    "LibraryItem": {
        "type": "object",
        "required": ["rating_key", "section_id", "guid", "title", "author", "narrator", "year", "asin", "duration"],
        "properties": {
            "rating_key": {"type": "string"}, "section_id": {"type": "string", "description": "its library's id"},
            "guid": {"type": "string"}, "title": {"type": "string"},
            "author": _nullable("string"), "narrator": _nullable("string"), "year": _nullable("integer"),
            "asin": _nullable("string"), "duration": {"type": ["integer", "null"], "description": "milliseconds"},
        },
    },
    "LibraryPage": {
        "type": "object",
        "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": ref("LibraryItem")},
            "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        },
    },
    "Book": {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": _text(required=True), "author": _text(nullable=True),
            "asin": _text(32, nullable=True), "narrator": _text(nullable=True),
        },
    },
    "AvailabilityRequest": {
        "type": "object", "required": ["books"],
        "properties": {"books": {"type": "array", "maxItems": DEFAULT_AVAILABILITY_MAX, "items": ref("Book")}},
    },
    "Availability": {
        "type": "object",
        "required": ["available", "rating_key", "score", "matched_by"],
        "properties": {
            "available": {"type": "boolean"}, "rating_key": _nullable("string"), "score": _nullable("number"),
            "matched_by": {"type": ["string", "null"], "enum": ["asin", "fuzzy", None]},
        },
    },
    "AvailabilityResults": {
        "type": "object", "required": ["results"],
        "properties": {"results": {"type": "array", "items": ref("Availability")}},
    },
    "NewRequest": {
        "type": "object", "required": ["title"],
        "properties": {
            "title": _text(required=True), "author": _text(nullable=True), "asin": _text(32, nullable=True),
            "host_request_id": {
                **_text(128, nullable=True),
                "description": "admins and the host key only (a plain user gets 400): the host's id; made up if absent",
            },
            "requested_by": {
                **_text(255, nullable=True),
                "description": "admins and the host key only: the Plex username the request is for "
                               "(default: the signed-in user)",
            },
            "force": {"type": "boolean", "description": "admins only: skip the duplicate checks"},
        },
    },
    "Request": {
        "type": "object",
        "required": ["request_id", "host_request_id", "title", "author", "asin", "status", "rating_key"],
        "properties": {
            "request_id": {"type": "string", "description": "the host's request id (same as host_request_id)"},
            "host_request_id": {"type": "string"}, "title": {"type": "string"}, "author": _nullable("string"),
            "asin": _nullable("string"), "status": {"type": "string", "enum": list(REQUEST_STATUSES)},
            "rating_key": _nullable("string"), "plex_guid": _nullable("string"),
            "downloaded_path": {
                "type": ["string", "null"], "description": "admins and the host key only: absent for plain users",
            },
            "requested_by": {"type": ["string", "null"], "description": "the Plex username who asked, if known"},
            "plex_web_url": _PLEX_WEB_URL,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "RequestList": {
        "type": "object", "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": ref("Request")}, "total": {"type": "integer"}},
    },
    "AlreadyAvailable": {
        "type": "object",
        "required": ["error", "message", "rating_key"],
        "properties": {
            "error": {"const": "already_available"}, "message": {"type": "string"},
            "rating_key": {"type": "string"}, "score": {"type": "number"}, "matched_by": {"type": "string"},
            "book": {"anyOf": [ref("LibraryItem"), {"type": "null"}]},
            "plex_web_url": _PLEX_WEB_URL,
        },
    },
    "AlreadyRequested": {
        "type": "object",
        "required": ["error", "message", "request_id"],
        "properties": {
            "error": {"const": "already_requested"}, "message": {"type": "string"},
            "request_id": {"type": "string"}, "status": {"type": "string"},
        },
    },
    "DownloadOrganized": {
        "type": "object", "required": ["request_id", "title"],
        "properties": {
            "request_id": {"anyOf": [_text(128, required=True), {"type": "integer"}]}, "title": _text(required=True),
            "author": _text(nullable=True), "path": {**_text(4096, nullable=True), "description": "where it was filed"},
            "asin": _text(32, nullable=True),
        },
    },
    "HookResult": {
        "type": "object", "required": ["request_id", "status"],
        "properties": {
            "request_id": {"type": "string"}, "status": {"type": "string"}, "created": {"type": "boolean"},
            "refresh": {"type": "string", "description": "`requested`, `skipped` or `failed: ...`"},
            "refresh_error": {"type": "string", "description": "why the refresh failed (the request is kept)"},
            "refresh_scope": {"type": "string", "enum": ["folder", "section"],
                              "description": "one folder, or whole libraries when Plex does not see the folder"},
            "refresh_path": {"type": "string", "description": "the folder as Plex sees it (after `path_map`)"},
            "refresh_sections": {"type": "array", "items": {"type": "string"}},
            "path_warning": {"type": "string"}, "suggested_path_map": _nullable("string"),
            "ignored_files": {"type": "array", "items": {"type": "string"},
                              "description": "the imported files, all of kinds Plex music libraries skip"},
            "files_warning": {"type": "string"},
        },
    },
    "ConnectionTest": {
        "type": "object",
        "properties": {
            "url": {
                "type": ["string", "null"], "maxLength": 2048,
                "pattern": "^[ \\t]*https?://[A-Za-z0-9][A-Za-z0-9.-]{0,62}(:[1-9][0-9]{0,3})?/?[ \\t]*$",
                "description": "default: the stored server URL; another URL needs its token",
            },
            "token": {**_text(512, nullable=True),
                      "description": "default: the stored token, which is sent only to the stored URL"},
        },
    },
    "ConnectionReport": {
        "type": "object",
        "required": ["ok", "machine_identifier", "server_name", "version", "music_libraries"],
        "properties": {
            "ok": {"type": "boolean"}, "machine_identifier": {"type": "string"},
            "server_name": _nullable("string"), "version": _nullable("string"),
            "music_libraries": {"type": "array", "items": ref("Library")},
        },
    },
}
