"""The key of secret settings: one key per database for the host and the CLI (issue 12, item 2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from plexbooks_plugin import store as repo
from plexbooks_plugin.cli import main
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.errors import ConfigError
from plexbooks_plugin.extension import get_core

from .conftest import DatabaseFactory, make_app


@pytest.fixture
def no_key_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No PLEXBOOKS_SECRET_KEY, SECRET_KEY or database variable; a private XDG config folder."""
    for name in ("PLEXBOOKS_SECRET_KEY", "SECRET_KEY", "PLEXBOOKS_DATABASE_URL", "PLEXBOOKS_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    yield tmp_path


def folder(base: Path, name: str) -> Path:
    """A new empty folder."""
    path = base / name
    path.mkdir(parents=True)
    return path


def files_under(path: Path) -> set[str]:
    """Every file below `path`, relative."""
    return {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()}


def cli(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """Run the console script in `cwd`."""
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_from_any_folder_and_a_host_with_its_own_secret_key_agree(
    no_key_variables: Path, database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_factory.new_url()
    db = ["--database-url", url]
    code, _, err = cli(["config", "set", "plex_token", "token-from-the-cli", *db], folder(no_key_variables, "a"),
                       monkeypatch)
    assert code == 0, err
    elsewhere = folder(no_key_variables, "b")
    code, out, err = cli(["config", "get", "plex_token", *db], elsewhere, monkeypatch)
    assert (code, out, err) == (0, "****li\n", "")
    assert files_under(elsewhere) == set()  # no key file left behind
    app = make_app(url, folder(no_key_variables, "host") / "instance", SECRET_KEY="the-host's-own-secret")
    try:
        core = get_core(app)
        assert core.get_setting("plex_token") == "token-from-the-cli"
        core.set_setting("api_key", "host-api-key-1234")  # and the host writes what the CLI reads
    finally:
        get_core(app).db.dispose()
    code, out, _ = cli(["config", "list", *db], folder(no_key_variables, "c"), monkeypatch)
    assert code == 0 and "api_key = ****34" in out


def test_read_only_commands_create_no_files(
    no_key_variables: Path, database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = folder(no_key_variables, "empty")
    code, out, err = cli(["config", "get", "plex_url"], empty, monkeypatch)  # ./instance/plexbooks.db is missing
    assert code == 2 and out == ""
    assert err.startswith("plexbooks: error: no plexbooks database at ") and err.count("\n") == 1
    assert files_under(empty) == set()

    data = folder(no_key_variables, "data")
    url = f"sqlite:///{data / 'plexbooks.db'}"
    assert cli(["config", "set", "plex_token", "tok-123456789", "--database-url", url], data, monkeypatch)[0] == 0
    before = files_under(data)
    reader = folder(no_key_variables, "reader")
    for args in (["config", "get", "plex_token"], ["config", "list"], ["library", "list", "--json"],
                 ["requests", "list"]):
        code, _, err = cli([*args, "--database-url", url], reader, monkeypatch)
        assert code == 0, err
    assert files_under(reader) == set()
    assert files_under(data) == before
    assert files_under(no_key_variables / "xdg") == set() if (no_key_variables / "xdg").exists() else True


def test_a_host_upgrading_from_a_secret_key_derived_key_keeps_working(
    no_key_variables: Path, database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_factory.new_url()
    database = Database(url)
    database.upgrade()
    with database.session() as session:  # what version one stored: a key derived from the host's SECRET_KEY
        repo.set_setting(session, "plex_token", "token-of-version-one", SecretBox("old-host-secret"))
    database.dispose()
    host = make_app(url, no_key_variables / "host" / "instance", SECRET_KEY="old-host-secret")
    assert get_core(host).get_setting("plex_token") == "token-of-version-one"
    get_core(host).db.dispose()
    # The host moved the secret to the key file it recorded, so the CLI and a new SECRET_KEY read it too.
    code, out, err = cli(["config", "get", "plex_token", "--database-url", url], folder(no_key_variables, "cli"),
                         monkeypatch)
    assert (code, out, err) == (0, "****ne\n", "")
    rotated = make_app(url, no_key_variables / "host" / "instance", SECRET_KEY="rotated-session-secret")
    assert get_core(rotated).get_setting("plex_token") == "token-of-version-one"
    get_core(rotated).db.dispose()


def test_a_decryption_failure_names_where_the_key_came_from(
    no_key_variables: Path, database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_factory.new_url()
    host = make_app(url, no_key_variables / "instance")
    get_core(host).set_setting("plex_token", "a-token-123")
    with get_core(host).session() as session:
        key_file = Path(str(repo.get_setting(session, "secret_key_file")))
    get_core(host).db.dispose()
    key_file.write_text("a different key")  # the file was replaced (restored from another machine, say)
    again = make_app(url, no_key_variables / "instance")
    with pytest.raises(ConfigError, match=f"cannot be decrypted with the key file {key_file}"):
        get_core(again).get_setting("plex_token")
    get_core(again).db.dispose()
    monkeypatch.setenv("PLEXBOOKS_SECRET_KEY", "an explicit key")
    explicit = make_app(url, no_key_variables / "instance")
    with pytest.raises(ConfigError, match="cannot be decrypted with PLEXBOOKS_SECRET_KEY or the key file"):
        get_core(explicit).get_setting("plex_token")
    get_core(explicit).db.dispose()
