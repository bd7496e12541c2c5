"""A schemathesis run of the live API against its own OpenAPI document (issue 12 item 11).

The app is served on a loopback port and called over HTTP, once with the host's API key and once as
a signed-in plain user. Bounded: a fixed number of examples per operation and per-call deadline, so the
whole run takes seconds. CSRF is off for the run (the CSRF tests live in test_api/test_auth).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from .viewkit import API_KEY, add_books, book, build_app, set_api_key, sign_in_as

CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
    response_schema_conformance, negative_data_rejection, positive_data_acceptance,
]
#: Examples per operation, caller and mode (valid, invalid): the four runs take seconds each.
MAX_EXAMPLES = 10


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, shared_database_url: str) -> Iterator[dict[str, Any]]:
    """The app on a loopback port, with a small library, the API key, and a signed-in user's cookie."""
    app: Flask = build_app(
        shared_database_url, tmp_path_factory.mktemp("fuzz") / "instance",
        PLEXBOOKS_CONNECTION_TEST_SECONDS=0.5, PLEXBOOKS_SCHEDULER=False,
    )
    set_api_key(app)
    add_books(app, [book("1", "Dune", "Frank Herbert"), book("2", "Foundation", "Isaac Asimov")])
    client = app.test_client()
    sign_in_as(client, app, "user", "fuzzy")
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    yield {"base": base, "key": {"X-Plexbooks-Key": API_KEY}, "cookie": {"Cookie": f"{cookie.key}={cookie.value}"}}
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def api_schema(live: dict[str, Any]) -> Any:
    """The document the live app serves."""
    return schemathesis.openapi.from_url(f"{live['base']}/plexbooks/api/openapi.json")


BOUNDED = settings(max_examples=MAX_EXAMPLES, deadline=2000, suppress_health_check=list(HealthCheck),
                   derandomize=True, database=None)


def _fuzz(api_schema: Any, live: dict[str, Any], caller: str, mode: GenerationMode, seen: list[str]) -> None:
    """Every documented operation, `MAX_EXAMPLES` generated calls each, all checks on every answer."""
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            checks = _checks(caller, operation.label)
            _fuzz_operation(operation, mode, f"{live['base']}/plexbooks", live[caller], checks)
        except Unsatisfiable:
            # An operation with no parameters and no body has no invalid request to make.
            assert mode is GenerationMode.NEGATIVE, operation.label
            seen.append(operation.label)


def _fuzz_operation(
    operation: Any, mode: GenerationMode, base: str, headers: dict[str, str], checks: list[Any]
) -> None:
    """Call one operation with `MAX_EXAMPLES` generated requests and validate every answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @BOUNDED
    def call(case: Any) -> None:
        case.call_and_validate(base_url=base, headers=headers, checks=checks)

    call()


def _checks(caller: str, label: str) -> list[Any]:
    """All checks, with two documented exceptions.

    A plain user may be refused (400) the fields only admins and the host key set; a connection test of a
    generated URL reaches no Plex, which is the documented 502 (its status and body are still checked).
    """
    if caller == "cookie" and label == "POST /api/requests":
        return [check for check in CHECKS if check is not positive_data_acceptance]
    if label == "POST /api/test-connection":
        return [check for check in CHECKS if check is not not_a_server_error]
    return CHECKS


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("caller", ["key", "cookie"], ids=["host_key", "signed_in_user"])
def test_the_live_api_answers_as_documented(
    api_schema: Any, live: dict[str, Any], caller: str, mode: GenerationMode
) -> None:
    no_invalid: list[str] = []
    _fuzz(api_schema, live, caller, mode, no_invalid)
    assert "POST /api/requests" not in no_invalid  # operations with inputs were fuzzed with invalid ones too
