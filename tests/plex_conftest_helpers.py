"""Helpers shared by the Plex client and emulator tests: fixture files, shape checks, network guards."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plex"


def fixture_bytes(name: str) -> bytes:
    """Raw bytes of a fixture file (path relative to tests/fixtures/plex)."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    """A JSON fixture, decoded."""
    return json.loads(fixture_bytes(name))


def recorded_pair(name: str) -> dict[str, Any]:
    """One request/response pair of the watchstate capture (e.g. "sections_get_401")."""
    pairs = fixture_json("pms-json/request-response-pairs-with-headers-and-401.json")
    return pairs[name]  # type: ignore[no-any-return]


def closed_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (connection refused, fast)."""
    return f"http://127.0.0.1:{closed_port()}"


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value (bool is not a number here)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _collect(items: list[Any], into: dict[str, set[str]]) -> None:
    for item in items:
        if isinstance(item, Mapping):
            for key, value in item.items():
                into.setdefault(key, set()).add(json_type(value))


def real_metadata_items() -> list[dict[str, Any]]:
    """Every metadata item (anything under MediaContainer.Metadata) in the JSON captures."""
    items: list[dict[str, Any]] = []
    for name in (
        "pms-json/library-section-all-type9-albums.json",
        "pms-json/library-section-all-paged.json",
        "pms-json/library-metadata-item.json",
    ):
        items += fixture_json(name)["MediaContainer"].get("Metadata", [])
    pairs = fixture_json("pms-json/request-response-pairs-with-headers-and-401.json")
    for pair in pairs.values():
        body = pair["response"].get("body")
        if isinstance(body, dict):
            items += body.get("MediaContainer", {}).get("Metadata") or []
    return items


def real_key_types() -> dict[str, dict[str, set[str]]]:
    """JSON types seen per key in the captures, for items and their Media/Part/Image/... children."""
    items = real_metadata_items()
    out: dict[str, dict[str, set[str]]] = {"item": {}}
    _collect(items, out["item"])
    for child in ("Media", "Image", "Genre", "Guid", "Location"):
        out[child] = {}
        _collect([c for i in items for c in i.get(child) or []], out[child])
    out["Part"] = {}
    _collect([p for i in items for m in i.get("Media") or [] for p in m.get("Part") or []], out["Part"])
    sections = recorded_pair("sections_get_200")["response"]["body"]["MediaContainer"]["Directory"]
    out["section"] = {}
    _collect(sections, out["section"])
    out["section.Location"] = {}
    _collect([loc for s in sections for loc in s["Location"]], out["section.Location"])
    return out


def shape_problems(
    item: Mapping[str, Any], real: dict[str, dict[str, set[str]]], kind: str = "item"
) -> list[str]:
    """Keys of an emulator item missing from the captures, or with another JSON type."""
    problems = []
    known = real[kind]
    for key, value in item.items():
        if key not in known:
            problems.append(f"{kind}.{key} never appears in the real captures")
            continue
        if json_type(value) not in known[key]:
            problems.append(f"{kind}.{key} is {json_type(value)}, real captures have {sorted(known[key])}")
        if isinstance(value, list) and key in real and kind == "item":
            for child in value:
                problems += shape_problems(child, real, key)
        if key == "Media" and isinstance(value, list):
            for media in value:
                for part in media.get("Part") or []:
                    problems += shape_problems(part, real, "Part")
    return problems


# ---------------------------------------------------------------------------------------------
# A small JSON-schema checker (jsonschema is not installed): types, properties, items, allOf/anyOf.

_SCHEMA_TYPES = {
    "integer": ("integer",),
    "number": ("integer", "number"),
    "string": ("string",),
    "boolean": ("boolean",),
    "array": ("array",),
    "object": ("object",),
    "null": ("null",),
}


def schema_problems(value: Any, schema: Mapping[str, Any], where: str = "$") -> list[str]:
    """Where `value` disagrees with an OpenAPI schema (only what the schema states is checked)."""
    problems: list[str] = []
    if not isinstance(schema, Mapping) or not schema:
        return problems
    for sub in schema.get("allOf") or []:
        problems += schema_problems(value, sub, where)
    for combinator in ("anyOf", "oneOf"):
        options = schema.get(combinator)
        if options and all(schema_problems(value, opt, where) for opt in options):
            problems.append(f"{where}: matches none of {combinator}")
    stated = schema.get("type")
    if stated:
        allowed = stated if isinstance(stated, list) else [stated]
        names = {n for t in allowed for n in _SCHEMA_TYPES.get(t, (t,))}
        if json_type(value) not in names:
            problems.append(f"{where}: {json_type(value)} where the spec says {allowed}")
            return problems
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                problems += schema_problems(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, element in enumerate(value[:50]):
            problems += schema_problems(element, schema["items"], f"{where}[{index}]")
    return problems


def openapi_schema(path: str) -> dict[str, Any]:
    """The GET 200 JSON schema of a PMS path from the OpenAPI subset fixture."""
    return fixture_json("pms-openapi-1.2.0-subset.json")["paths"][path]  # type: ignore[no-any-return]


@contextlib.contextmanager
def loopback_only() -> Iterator[list[tuple[Any, ...]]]:
    """Refuse any socket connection that is not to 127.0.0.1/::1; yields the refused addresses."""
    refused: list[tuple[Any, ...]] = []
    original = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            refused.append(address if isinstance(address, tuple) else (address,))
            raise OSError(f"test network guard: refusing to connect to {address!r}")
        return original(sock, address)

    socket.socket.connect = guarded  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]
