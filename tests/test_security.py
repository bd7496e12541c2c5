"""Unit tests of the guards' building blocks: safe redirects, rate limits, the API key, the token stash, redaction."""

from __future__ import annotations

import logging

import pytest

from plexbooks_plugin import security, state
from plexbooks_plugin.auth import install, users
from plexbooks_plugin.plex.redact import TokenRedactingFilter


@pytest.mark.parametrize(
    "target",
    ["/", "/plexbooks/library", "/plexbooks/library?q=dune&page=2", "/a/b#frag", "/plexbooks/settings"],
)
def test_local_paths_are_safe(target: str) -> None:
    assert security.is_safe_next(target)


@pytest.mark.parametrize(
    "target",
    [
        None, "", "https://evil.example", "http://evil", "//evil", "//evil/path", "\\\\evil", "/\\evil",
        "\\/evil", "/\\/evil", "evil", "javascript:alert(1)", "/\tevil", "/\n/evil", "///evil",
        "https:/evil", " /evil",
    ],
)
def test_foreign_or_tricky_targets_are_refused(target: str | None) -> None:
    assert not security.is_safe_next(target)
    assert security.safe_next(target, "/home") == "/home"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10/minute", (10, 60.0)),
        ("3/second", (3, 1.0)),
        ("100/hour", (100, 3600.0)),
        ("5/30", (5, 30.0)),
        ("7/minutes", (7, 60.0)),
        ("4", (4, 60.0)),
        (12, (12, 60.0)),
        (None, None),
        (0, None),
        ("", None),
        ("0/minute", None),
    ],
)
def test_parse_rate(value: object, expected: tuple[int, float] | None) -> None:
    assert security.parse_rate(value) == expected


def test_parse_rate_rejects_unknown_period() -> None:
    with pytest.raises(ValueError, match="unknown period"):
        security.parse_rate("3/fortnight")


def test_sliding_window_limits_per_key_and_recovers() -> None:
    now = [1000.0]
    limiter = state.SlidingWindowLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.hit("a") for _ in range(3)] == [0, 0, 0]
    wait = limiter.hit("a")
    assert 59 < wait <= 60
    assert limiter.hit("b") == 0  # another address has its own window
    now[0] += 30
    assert 29 < limiter.hit("a") <= 30  # refused hits do not extend the window
    now[0] += 30.5
    assert limiter.hit("a") == 0


def test_api_key_comparison() -> None:
    assert security.api_key_matches("secret-key", "secret-key")
    assert not security.api_key_matches("secret-kez", "secret-key")
    assert not security.api_key_matches("", "secret-key")
    assert not security.api_key_matches("anything", None)  # no key configured: nothing matches
    assert not security.api_key_matches(None, None)


def test_token_stash_expires_and_discards() -> None:
    now = [0.0]
    stash = state.ServerTokenStash(ttl=10, clock=lambda: now[0])
    key = stash.put({"machine-1": "tok-1"})
    assert stash.get(key, "machine-1") == "tok-1"
    assert stash.get(key, "machine-2") is None
    assert stash.get("unknown", "machine-1") is None
    now[0] = 11
    assert stash.get(key, "machine-1") is None
    key = stash.put({"m": "t"})
    stash.discard(key)
    assert stash.get(key, "m") is None


def test_user_ids_are_prefixed() -> None:
    user = users.PlexbooksUser(id=7, plex_id=1234, username="alice", role="admin")
    assert user.get_id() == "plexbooks:7"
    assert user.plexbooks_role == "admin" and user.is_admin and user.plexbooks_user_id == 7


def test_redaction_is_installed_on_plex_loggers_and_root_handlers(caplog: pytest.LogCaptureFixture) -> None:
    handler = logging.StreamHandler()
    redactor = install.install_token_redaction(extra_handlers=[handler])
    assert install.install_token_redaction() is redactor  # idempotent: one shared filter
    for name in ("plexbooks_plugin", "werkzeug", "urllib3", "urllib3.connectionpool", "requests"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, TokenRedactingFilter) for f in filters) == 1
    assert redactor in handler.filters
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").debug('"GET /library?X-Plex-Token=%s HTTP/1.1" 200', "abcdefSECRET")
    assert "abcdefSECRET" not in caplog.text
