"""Raw HTTP helpers for the emulator's own tests: GET with the admin token, MediaContainer, plex.tv headers."""

from __future__ import annotations

from typing import Any

import requests

from plexbooks_plugin.fakeplex import FakePlex


def get(fake: FakePlex, path: str, *, as_json: bool = True, token: str | None = "", **kwargs: Any) -> requests.Response:
    """A raw GET with the admin token (token="" means the admin token, None none at all)."""
    headers = dict(kwargs.pop("headers", {}))
    if as_json:
        headers.setdefault("Accept", "application/json")
    if token is not None:
        headers["X-Plex-Token"] = token or fake.token
    return requests.get(fake.url + path, headers=headers, timeout=10, **kwargs)


def container(response: requests.Response) -> dict[str, Any]:
    """The MediaContainer of a 200 JSON answer."""
    assert response.status_code == 200, response.text[:200]
    return response.json()["MediaContainer"]  # type: ignore[no-any-return]


def tv_headers(token: str | None = None, client_id: str = "fakeplex-test") -> dict[str, str]:
    """The headers plex.tv expects (JSON, client identifier, product), with a token when given."""
    headers = {"Accept": "application/json", "X-Plex-Client-Identifier": client_id, "X-Plex-Product": "tests"}
    if token:
        headers["X-Plex-Token"] = token
    return headers
