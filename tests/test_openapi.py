"""The OpenAPI document: it covers every API route, and every documented path answers as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin import store as repo
from plexbooks_plugin.extension import get_core
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.scanning import wait_for_scan

from .fakeplex_fixtures import FakePlexFactory, configure_core, fake_plex_factory  # noqa: F401
from .viewkit import add_books, app_core, book, build_app, set_api_key, sign_in_as

PREFIX = "/plexbooks"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    """A host app with plexbooks, CSRF off."""
    return build_app(database_url, tmp_path / "instance")


@pytest.fixture
def document(app: Flask) -> dict[str, Any]:
    """The served OpenAPI document."""
    response = app.test_client().get(f"{PREFIX}/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def conforms(document: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    """Check the top-level shape: the JSON type, required keys, and (for arrays) each item's keys."""
    schema = resolve(document, schema)
    if "anyOf" in schema:
        return any(conforms(document, option, value) for option in schema["anyOf"])
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else (kinds or [])
    if "array" in kinds:
        return isinstance(value, list) and all(conforms(document, schema.get("items", {}), v) for v in value)
    if "object" in kinds or "required" in schema:
        if not isinstance(value, dict):
            return "null" in kinds and value is None
        return set(schema.get("required", [])) <= set(value)
    return True


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (path, method, operation) of the document."""
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def check(document: dict[str, Any], operation: dict[str, Any], response: Any, label: str) -> None:
    """The answer's status is documented for the operation and its JSON has the documented shape."""
    status = str(response.status_code)
    assert status in operation["responses"], f"{label}: {status} is not documented: {response.get_data(as_text=True)}"
    documented = operation["responses"][status]
    content = documented.get("content", {}).get("application/json")
    if content is not None:
        body = response.get_json()
        assert conforms(document, content["schema"], body), f"{label}: {status} body {body} does not match"


def test_every_api_route_is_documented(app: Flask, document: dict[str, Any]) -> None:
    documented = {(PREFIX + path.replace("{", "<").replace("}", ">"), method.upper())
                  for path, method, _ in operations(document)}
    documented_paths = {path for path, _ in documented}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(f"{PREFIX}/api/"):
            continue
        normalised = rule.rule.replace("<int:", "<").replace("<path:", "<")
        assert normalised in documented_paths, f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
            assert (normalised, method) in documented, f"{method} {rule.rule} is not documented"


def test_document_is_openapi_3_with_error_schema(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": PREFIX}]
    assert document["components"]["schemas"]["Error"]["required"] == ["error", "message"]
    for path, method, operation in operations(document):
        assert operation["responses"], f"{method} {path} documents no answer"
        assert operation.get("summary"), f"{method} {path} has no summary"


def test_every_documented_path_answers_as_documented(
    app: Flask, document: dict[str, Any], fake_plex_factory: FakePlexFactory  # noqa: F811
) -> None:
    plex: FakePlex = fake_plex_factory(items=30)
    core = configure_core(app_core(app), plex)
    key = set_api_key(app)
    add_books(app, [book("1", "Dune", "Frank Herbert")], section=plex.music_section_id)
    with core.session() as session:
        run = repo.start_scan_run(session, "full")
        repo.finish_scan_run(session, run.id, status="succeeded",
                             summary={"total": 1, "new": 1, "updated": 0, "removed": 0, "matched": 0})
        repo.create_request(session, title="Tracked", author="Someone", host_request_id="known-1")
    values = {"run_id": str(run.id), "request_id": "known-1"}
    host = app.test_client()
    anonymous = app.test_client()
    user: FlaskClient = app.test_client()
    sign_in_as(user, app, "user")

    for path, method, operation in operations(document):
        url = PREFIX + path.format(**values)
        label = f"{method.upper()} {path}"
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
        send_json = "requestBody" in operation

        # As documented: the host key with the example body.
        response = host.open(url, method=method.upper(), headers=key, json=body if send_json else None)
        check(document, operation, response, label)
        assert response.status_code < 500, f"{label}: {response.status_code}"
        if response.status_code == 202 and path == "/api/scan":
            assert wait_for_scan(get_core(app), response.get_json()["run_id"], timeout=30)

        if operation.get("security"):
            check(document, operation, anonymous.open(url, method=method.upper(), json=body), f"{label} anonymous")
            assert "401" in operation["responses"]
        if operation.get("x-plexbooks-role") == "admin":
            response = user.open(url, method=method.upper(), json=body)
            assert response.status_code == 403, label
            check(document, operation, response, f"{label} as a user")
        if send_json and "400" in operation["responses"]:
            response = host.open(url, method=method.upper(), headers=key, json=["not", "an", "object"])
            assert response.status_code == 400, label
            check(document, operation, response, f"{label} with a bad body")
        if "404" in operation["responses"]:
            missing = PREFIX + path.format(run_id="987654", request_id="never-tracked")
            response = host.open(missing, method=method.upper(), headers=key)
            assert response.status_code == 404, label
            check(document, operation, response, f"{label} unknown id")
