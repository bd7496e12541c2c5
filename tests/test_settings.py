"""Settings: validation, defaults, and the Plex token encrypted at rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox, mask
from plexbooks_plugin.db import Database
from plexbooks_plugin.errors import ConfigError
from plexbooks_plugin.keys import key_sources, load_ring


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


def test_secret_key_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: Database) -> None:
    """PLEXBOOKS_SECRET_KEY first (config, then environment); else a key file created once, mode 0600.

    Version one used SECRET_KEY as the key; it is now only a key that may still open old secrets.
    """
    monkeypatch.delenv("PLEXBOOKS_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)

    def ring(config: dict[str, str], *, create: bool = True):  # type: ignore[no-untyped-def]
        sources = key_sources(config, database_url="sqlite://", folder=tmp_path)
        with database.session() as session:
            return load_ring(session, sources, create=create)

    assert ring({"PLEXBOOKS_SECRET_KEY": "a", "SECRET_KEY": "b"}).primary.secret == "a"
    monkeypatch.setenv("PLEXBOOKS_SECRET_KEY", "from-env")
    assert ring({}).primary.secret == "from-env"
    monkeypatch.delenv("PLEXBOOKS_SECRET_KEY")
    key_file = tmp_path / "plexbooks.key"
    assert ring({}, create=False).primary is None and not key_file.exists()  # readers create nothing
    with_secret_key = ring({"SECRET_KEY": "b"})
    generated = with_secret_key.primary.secret
    assert [key.secret for key in with_secret_key.fallbacks] == ["b"]
    assert key_file.read_text() == generated and len(generated) > 40
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert ring({}).primary.secret == generated  # generated once, then reused


def test_a_settings_snapshot_reads_what_get_setting_reads(core: PlexBooksCore) -> None:
    """`all_settings` + `setting_from` (how a request reads its settings) answers every key like `get_setting`."""
    from plexbooks_plugin.models import Setting
    from plexbooks_plugin.settings import SPECS

    core.set_settings({"plex_url": "http://plex.local:32400", "plex_token": "tok-secret", "api_key": "k" * 24,
                       "full_scan_hours": "12", "realtime": "off"})
    with core.session() as session:
        # An older install's row under the legacy key, read through library_ids and its alias library_id.
        session.add(Setting(key="library_id", value="7", is_secret=False))
        repo.bump_library_version(session)
    with core.session() as session:
        snapshot = repo.all_settings(session)
        assert snapshot["plex_token"].value != "tok-secret"  # still encrypted in the snapshot
        for key in SPECS:
            assert repo.setting_from(snapshot.get, key, core.box) == repo.get_setting(session, key, core.box), key
        assert repo.setting_from(snapshot.get, "library_id", core.box) == "7"
        assert repo.setting_from(snapshot.get, "plex_token", core.box) == "tok-secret"
        with pytest.raises(ConfigError):  # a secret without the box: refused, as by get_setting
            repo.setting_from(snapshot.get, "plex_token")
