"""The OpenAPI 3 description of the JSON API, served at ``<prefix>/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from .._version import __version__
from ..models import REQUEST_STATUSES
from ..state import url_prefix
from .blueprint import bp
from .forms import MAX_INT_ARG
from .openapi_schemas import (
    BAD_REQUEST,
    FORBIDDEN,
    NO_NUL,
    NOT_CONFIGURED,
    PLEX_FAILED,
    SCHEMAS,
    TOO_LARGE,
    UNAUTHORIZED,
    body,
    failure,
    ref,
    reply,
)

USER: list[dict[str, list[str]]] = [{"plexSession": []}, {"hostKey": []}]
ADMIN: list[dict[str, list[str]]] = [{"plexSession": []}, {"hostKey": []}]


def _admin_paths() -> dict[str, Any]:
    """The admin-only routes: libraries, connection test, scans."""
    return {
        "/api/libraries": {"get": {
            "summary": "List the Plex server's music-type libraries", "tags": ["admin"], "security": ADMIN,
            "x-plexbooks-role": "admin",
            "responses": {
                "200": reply({"type": "array", "items": ref("Library")}, "The music libraries with album counts"),
                "401": UNAUTHORIZED, "403": FORBIDDEN, "409": NOT_CONFIGURED, "502": PLEX_FAILED,
            },
        }},
        "/api/test-connection": {"post": {
            "summary": "Test a server URL and token (default: the stored ones)", "tags": ["admin"],
            "security": ADMIN, "x-plexbooks-role": "admin",
            "requestBody": body("ConnectionTest", {}),
            "responses": {
                "200": reply(ref("ConnectionReport"), "The server answered"),
                "400": BAD_REQUEST, "401": UNAUTHORIZED, "403": FORBIDDEN,
                "409": failure("Nothing stored to test (not_configured), or another URL without its token "
                              "(token_required: the stored token goes only to the stored server)"),
                "502": PLEX_FAILED,
            },
        }},
        "/api/scan": {"post": {
            "summary": "Start a full or recently-added scan", "tags": ["admin"], "security": ADMIN,
            "x-plexbooks-role": "admin",
            "requestBody": body("ScanStart", {"kind": "recent"}),
            "responses": {
                "202": reply(ref("ScanStarted"), "The scan runs in the background"),
                "400": BAD_REQUEST, "401": UNAUTHORIZED, "403": FORBIDDEN,
                "409": reply({"anyOf": [ref("ScanRunning"), ref("Error")]},
                             "A scan is already running (scan_running, with its run_id), or Plex is not configured"),
                "413": TOO_LARGE,
            },
        }},
        "/api/scan/confirm-removal": {"post": {
            "summary": "Apply the removal a full scan held back for confirmation", "tags": ["admin"],
            "security": ADMIN, "x-plexbooks-role": "admin",
            "responses": {
                "200": reply(ref("RemovalConfirmed"), "Removed"),
                "401": UNAUTHORIZED, "403": FORBIDDEN,
                "409": reply({"anyOf": [ref("ScanRunning"), ref("Error")]},
                             "Nothing is pending (nothing_pending), or a scan is running"),
            },
        }},
        "/api/scan/{run_id}/cancel": {"post": {
            "summary": "Cancel a running scan (it ends as cancelled, keeping what it stored)", "tags": ["admin"],
            "security": ADMIN, "x-plexbooks-role": "admin",
            "parameters": [{"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {
                "200": reply(ref("ScanRun"), "The run, now cancelled"), "401": UNAUTHORIZED, "403": FORBIDDEN,
                "404": failure("No such run"), "409": failure("The run is not running (not_running)"),
            },
        }},
        "/api/detection": {"get": {
            "summary": "The notification listener's state and the webhook deliveries", "tags": ["admin"],
            "security": ADMIN, "x-plexbooks-role": "admin",
            "responses": {"200": reply(ref("Detection"), "The state"), "401": UNAUTHORIZED, "403": FORBIDDEN},
        }},
        "/api/scan/{run_id}": {"get": {
            "summary": "A scan's status and progress", "tags": ["admin"], "security": ADMIN,
            "x-plexbooks-role": "admin",
            "parameters": [{"name": "run_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT_ARG}}],
            "responses": {
                "200": reply(ref("ScanRun"), "The run"), "401": UNAUTHORIZED, "403": FORBIDDEN,
                "404": failure("No such run"),
            },
        }},
    }


def _request_paths() -> dict[str, Any]:
    """The tracked requests: create, list (a plain user's own), read one."""
    return {
        "/api/requests": {
            "post": {
                "summary": "Track a request unless Plex has the book or it is already requested",
                "tags": ["user"], "security": USER, "x-plexbooks-role": "user",
                "requestBody": body("NewRequest", {"title": "A Book Nobody Owns", "author": "Nobody In Particular"}),
                "responses": {
                    "201": reply(ref("Request"), "Tracked"),
                    "400": BAD_REQUEST, "401": UNAUTHORIZED,
                    "403": failure("`force` was sent by someone who is not an admin"),
                    "409": reply({"anyOf": [ref("AlreadyAvailable"), ref("AlreadyRequested")]},
                                 "Refused: already in Plex, or already requested"),
                    "413": TOO_LARGE,
                },
            },
            "get": {
                "summary": "Tracked requests, newest first: a plain user's own, all for admins and the host key",
                "tags": ["user"], "security": USER,
                "x-plexbooks-role": "user",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(REQUEST_STATUSES)}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                ],
                "responses": {
                    "200": reply(ref("RequestList"), "The requests"),
                    "400": failure("`status` or `limit` is not one of the documented values", "FieldError"),
                    "401": UNAUTHORIZED,
                },
            },
        },
        "/api/requests/{request_id}": {"get": {
            "summary": "One tracked request (by the host's request id) with its status", "tags": ["user"],
            "security": USER, "x-plexbooks-role": "user",
            "parameters": [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": reply(ref("Request"), "The request"), "401": UNAUTHORIZED,
                          "404": failure("Not tracked, or another user's request (for a plain user)")},
        }},
    }


def _user_paths() -> dict[str, Any]:
    """The routes for signed-in users and the host: library, availability, requests, the hook, this document."""
    return {
        "/api/library": {"get": {
            "summary": "Page through the mirrored library", "tags": ["user"], "security": USER,
            "x-plexbooks-role": "user",
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "pattern": NO_NUL},
                 "description": "title or author words"},
                {"name": "library", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]+$"},
                 "description": "only this library's books (a section id)"},
                {"name": "page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT_ARG, "default": 1}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200,
                                                                 "default": 50}},
            ],
            "responses": {
                "200": reply(ref("LibraryPage"), "One page"), "400": BAD_REQUEST, "401": UNAUTHORIZED,
            },
        }},
        "/api/availability": {"post": {
            "summary": "Is each book already in Plex? Answered from the in-memory index, in order",
            "tags": ["user"], "security": USER, "x-plexbooks-role": "user",
            "requestBody": body("AvailabilityRequest", {"books": [{"title": "Dune", "author": "Frank Herbert"}]}),
            "responses": {
                "200": reply(ref("AvailabilityResults"), "One result per book, same order"),
                "400": BAD_REQUEST, "401": UNAUTHORIZED, "413": TOO_LARGE,
            },
        }},
        **_request_paths(),
        "/api/hooks/download-organized": {"post": {
            "summary": "The host filed a finished download: mark the request downloaded (created if unknown)",
            "tags": ["host"], "security": ADMIN, "x-plexbooks-role": "admin",
            "requestBody": body("DownloadOrganized", {
                "request_id": "host-42", "title": "A Book Nobody Owns", "author": "Nobody In Particular",
                "path": "/audiobooks/Nobody In Particular/A Book Nobody Owns",
            }),
            "responses": {
                "200": reply(ref("HookResult"), "Marked downloaded"), "400": BAD_REQUEST,
                "401": UNAUTHORIZED, "403": FORBIDDEN, "413": TOO_LARGE,
                "500": failure("The request could not be marked downloaded (error: hook_failed); the host may retry"),
            },
        }},
        "/api/openapi.json": {"get": {
            "summary": "This document", "tags": ["meta"], "security": [],
            "responses": {"200": reply({"type": "object", "required": ["openapi", "info", "paths"]}, "OpenAPI 3.1")},
        }},
    }


def openapi_document(prefix: str) -> dict[str, Any]:
    """Build the document for the plugin mounted at `prefix`."""
    schemas = dict(SCHEMAS)
    schemas["ScanStart"] = {
        "type": "object", "properties": {"kind": {"type": "string", "enum": ["full", "recent"], "default": "full"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "plexbooks",
            "version": __version__,
            "description": (
                "Plex Media Server integration for an audiobook request manager. Errors are "
                '`{"error": code, "message": text}`. Browsers sign in with Plex and send the '
                "X-CSRFToken header on POST; a host sends X-Plexbooks-Key instead (acts as admin, no CSRF)."
            ),
        },
        "servers": [{"url": prefix.rstrip("/") or "/"}],
        "paths": {**_admin_paths(), **_user_paths()},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "plexSession": {"type": "apiKey", "in": "cookie", "name": "session",
                                "description": "Signed in with Plex (GET /login)"},
                "hostKey": {"type": "apiKey", "in": "header", "name": "X-Plexbooks-Key",
                            "description": "The host's API key (setting api_key); acts as admin"},
            },
        },
    }


@bp.get("/api/openapi.json")
def openapi_json() -> ResponseReturnValue:
    """The OpenAPI 3 document of the JSON API."""
    return jsonify(openapi_document(request.script_root + url_prefix()))
