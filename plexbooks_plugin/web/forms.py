"""Validating what a caller sends: JSON bodies, their fields, query arguments (each mistake is a 400 naming it)."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import request

from .errors import abort_json

#: Most books one POST /api/availability may ask about; hosts may change PLEXBOOKS_AVAILABILITY_MAX.
DEFAULT_AVAILABILITY_MAX = 500


# ------------------------------------------------------------------ request bodies


def json_object() -> dict[str, Any]:
    """Return the JSON object sent as the body, or stop with 400 saying what is wrong."""
    if not request.is_json:
        abort_json(400, "invalid_json", "send a JSON object with Content-Type: application/json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # silent=True only covers ValueError; a deeply nested body would be a 500
        abort_json(400, "invalid_json", "the body is nested too deeply")
    if data is None:
        abort_json(400, "invalid_json", "the body is not valid JSON")
    if not isinstance(data, dict):
        abort_json(400, "invalid_json", "the body must be a JSON object")
    return data


def bad_text_reason(value: str) -> str | None:
    """Why `value` cannot be stored as text (a NUL byte or a lone surrogate), or None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def check_text(value: str, label: str) -> str:
    """Return `value`, or stop with 400 ``invalid_text`` naming `label` when no database could store it."""
    reason = bad_text_reason(value)
    if reason is not None:
        abort_json(400, "invalid_text", f"{label} {reason}", field=label)
    return value


def _type_error(field: str, expected: str) -> NoReturn:
    abort_json(400, "invalid_field", f"{field} must be {expected}", field=field)


def string_field(
    data: dict[str, Any], name: str, *, required: bool = False, max_length: int = 1024, label: str | None = None
) -> str | None:
    """Read an optional (or required) string field, stripped; wrong type or length is a 400 naming it."""
    label = label or name
    value = data.get(name)
    if value is None:
        if required:
            abort_json(400, "invalid_field", f"{label} is required", field=label)
        return None
    if not isinstance(value, str):
        _type_error(label, "a string" + ("" if required else " or null"))
    value = check_text(value, label).strip()
    if required and not value:
        abort_json(400, "invalid_field", f"{label} must not be empty", field=label)
    if len(value) > max_length:
        abort_json(400, "invalid_field", f"{label} is longer than {max_length} characters", field=label)
    return value or None


def bool_field(data: dict[str, Any], name: str, default: bool = False) -> bool:
    """Read an optional boolean field; anything but true/false is a 400 naming it."""
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        _type_error(name, "true or false")
    return value


#: Largest number a query argument may carry: beyond it a page offset no longer fits the database's integers.
MAX_INT_ARG = 2**31 - 1


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Read an integer query-string argument; garbage is a 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort_json(400, "invalid_field", f"{name} must be a whole number", field=name)
    maximum = MAX_INT_ARG if maximum is None else maximum
    if value < minimum or value > maximum:
        abort_json(400, "invalid_field", f"{name} must be between {minimum} and {maximum}", field=name)
    return value
