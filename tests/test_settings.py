"""Settings: validation, defaults, and the Plex token encrypted at rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox, mask, resolve_secret_key
from plexbooks_plugin.errors import ConfigError


def test_token_round_trip_is_encrypted_at_rest(core: PlexBooksCore) -> None:
    core.set_setting("plex_token", "abcSECRETtoken123")
    assert core.get_setting("plex_token") == "abcSECRETtoken123"
    with core.session() as session:
        raw = repo.raw_setting(session, "plex_token")
    assert raw and "abcSECRETtoken123" not in raw
    assert "SECRET" not in raw


def test_a_different_secret_key_cannot_read_the_token(core: PlexBooksCore) -> None:
    core.set_setting("plex_token", "tok-1234567890")
    other = PlexBooksCore(core.db, SecretBox("another key"))
    with pytest.raises(ConfigError, match="secret key changed"):
        other.get_setting("plex_token")


def test_defaults_and_validation(core: PlexBooksCore) -> None:
    assert core.get_setting("full_scan_hours") == "6"
    assert core.get_setting("recent_scan_minutes") == "5"
    assert core.get_setting("refresh_after_import") == "true"
    core.set_setting("plex_url", "http://192.168.1.5:32400/")
    assert core.get_setting("plex_url") == "http://192.168.1.5:32400"
    core.set_setting("refresh_after_import", "off")
    assert core.get_setting("refresh_after_import") == "false"
    for key, bad in [
        ("plex_url", "ftp://nas/plex"),
        ("plex_url", "javascript:alert(1)"),
        ("full_scan_hours", "often"),
        ("full_scan_hours", "-1"),
        ("refresh_after_import", "maybe"),
    ]:
        with pytest.raises(ConfigError, match=key):
            core.set_setting(key, bad)


def test_unknown_setting_names_the_valid_ones(core: PlexBooksCore) -> None:
    with pytest.raises(ConfigError, match="known settings: plex_url"):
        core.set_setting("colour", "blue")


def test_client_identifier_is_created_once(core: PlexBooksCore) -> None:
    first = core.client_identifier()
    assert first == core.client_identifier()
    assert len(first) == 36


def test_mask_never_reveals_the_secret() -> None:
    assert mask(None) == "(not set)"
    assert "abcdefghijkl" not in mask("abcdefghijkl")
    assert mask("abcdefghijkl").startswith("****")


def test_secret_key_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLEXBOOKS_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert resolve_secret_key({"PLEXBOOKS_SECRET_KEY": "a", "SECRET_KEY": "b"}) == "a"
    assert resolve_secret_key({"SECRET_KEY": "b"}) == "b"
    monkeypatch.setenv("PLEXBOOKS_SECRET_KEY", "from-env")
    assert resolve_secret_key({}) == "from-env"
    monkeypatch.delenv("PLEXBOOKS_SECRET_KEY")
    generated = resolve_secret_key({}, tmp_path)
    key_file = tmp_path / "plexbooks.key"
    assert key_file.read_text() == generated and len(generated) > 40
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert resolve_secret_key({}, tmp_path) == generated  # generated once, then reused
