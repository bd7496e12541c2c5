"""The console script: happy paths and one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from plexbooks_plugin import store as repo
from plexbooks_plugin.cli import main
from plexbooks_plugin.records import PlexAudiobook


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLEXBOOKS_SECRET_KEY", "cli-test-secret")
    monkeypatch.delenv("PLEXBOOKS_DATABASE_URL", raising=False)
    return CliRunner()


def test_db_upgrade_defaults_to_instance_sqlite(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "instance" / "plexbooks.db").exists()


def test_database_url_from_environment(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEXBOOKS_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert (tmp_path / "env.db").exists()
    assert not (tmp_path / "instance" / "plexbooks.db").exists()


def test_config_set_get_masks_the_token(runner: CliRunner, database_url: str) -> None:
    result = runner.invoke(main, ["config", "set", "plex_token", "SuperSecretToken99", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert "SuperSecretToken99" not in result.output
    result = runner.invoke(main, ["config", "get", "plex_token", "--database-url", database_url])
    assert result.exit_code == 0
    assert result.output.strip() == "****99"
    result = runner.invoke(main, ["config", "set", "full_scan_hours", "12", "--database-url", database_url])
    assert result.output.strip() == "full_scan_hours = 12"
    assert runner.invoke(main, ["config", "get", "full_scan_hours", "--database-url", database_url]).output == "12\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["config", "set", "colour", "blue"], "unknown setting 'colour'"),
        (["config", "get", "colour"], "unknown setting 'colour'"),
        (["config", "set", "plex_url", "ftp://x"], "plex_url: the Plex server URL must start with http"),
        (["config", "set", "library_version", "3"], "managed by plexbooks"),
    ],
)
def test_bad_keys_and_values_are_one_line_exit_2(
    runner: CliRunner, database_url: str, args: list[str], message: str
) -> None:
    result = runner.invoke(main, [*args, "--database-url", database_url])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "url", ["notaurl", "nosuchdb://x/y", "sqlite:////nonexistent-dir/deeper/x.db"]
)
def test_bad_database_url_is_one_line_exit_2(runner: CliRunner, url: str) -> None:
    result = runner.invoke(main, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("plexbooks: error:")
    assert len(result.output.strip().splitlines()) == 1


def test_library_list_json(runner: CliRunner, database_url: str, core) -> None:  # type: ignore[no-untyped-def]
    with core.session() as session:
        repo.upsert_library_page(
            session, "7",
            [PlexAudiobook(rating_key="10", guid="plex://album/a", title="Dune", author="Frank Herbert",
                           duration=2**33, year=1965, asin="B002V1OF70")],
            scan_id=None,
        )
    result = runner.invoke(main, ["library", "list", "--json", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert items == [{
        "rating_key": "10", "section_id": "7", "guid": "plex://album/a", "title": "Dune", "author": "Frank Herbert",
        "narrator": None, "year": 1965, "asin": "B002V1OF70", "duration": 2**33,
    }]


def test_console_script_is_installed(tmp_path: Path) -> None:
    """The real entry point, in a subprocess: the one-line error reaches stderr with exit 2."""
    env = {**os.environ, "PLEXBOOKS_SECRET_KEY": "x"}
    exe = Path(sys.executable).with_name("plexbooks")
    proc = subprocess.run(
        [str(exe), "config", "get", "nope", "--database-url", f"sqlite:///{tmp_path / 'a.db'}"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("plexbooks: error: unknown setting 'nope'")


# ---------------------------------------------------------------- one line per failure (issue 12, item 18)


def _plexbooks(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("plexbooks")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=60,
        env={**os.environ, "PLEXBOOKS_SECRET_KEY": "x", **env},
    )


def test_a_failing_scan_prints_one_line_and_more_with_verbose(tmp_path: Path) -> None:
    """Plex refusing connections: no retry lines, no logged failure, just the error (the details with -v)."""
    db = ["--database-url", f"sqlite:///{tmp_path / 'a.db'}"]
    for key, value in [("plex_url", "http://127.0.0.1:1"), ("plex_token", "tok"), ("library_id", "1")]:
        assert _plexbooks(["config", "set", key, value, *db], tmp_path).returncode == 0
    quiet = _plexbooks(["scan", *db], tmp_path)
    assert quiet.returncode == 1
    assert quiet.stderr.count("\n") == 1, quiet.stderr
    assert quiet.stderr.startswith("plexbooks: error: Plex at http://127.0.0.1:1 could not be reached")
    verbose = _plexbooks(["-v", "scan", *db], tmp_path)
    assert verbose.returncode == 1
    assert "retry 1 of" in verbose.stderr and "Traceback" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1] == quiet.stderr.strip()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--port", "99999"], "Invalid value for '--port': 99999 is not in the range 0<=x<=65535"),
        (["demo", "--items", "-5"], "Invalid value for '--items': -5 is not in the range"),
        (["fake-plex", "--port", "70000"], "Invalid value for '--port'"),
        (["fake-plex", "--items", "-1"], "Invalid value for '--items'"),
        (["config", "set", "full_scan_hours", "-5"], "full_scan_hours: must be between 0.1 and 168 hours"),
        (["config", "get"], "Missing argument 'KEY'"),
        (["nosuchcommand"], "No such command 'nosuchcommand'"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(
    runner: CliRunner, database_url: str, args: list[str], message: str
) -> None:
    extra = ["--database-url", database_url] if args[0] == "config" and len(args) > 2 else []
    result = runner.invoke(main, [*args, *extra])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("plexbooks: error:")


def test_a_postgresql_url_without_its_driver_says_what_to_install(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("psycopg", "psycopg2"):
        monkeypatch.setitem(sys.modules, module, None)  # "not installed"
    for url in ("postgresql+psycopg://plexbooks@127.0.0.1/plexbooks", "postgresql://plexbooks@127.0.0.1/plexbooks"):
        result = runner.invoke(main, ["config", "get", "plex_url", "--database-url", url])
        assert result.exit_code == 2
        assert "pip install plexbooks[postgres]" in result.stderr
        assert result.stderr.count("\n") == 1


def test_help_and_version_still_exit_zero(runner: CliRunner) -> None:
    assert runner.invoke(main, ["--help"]).exit_code == 0
    assert runner.invoke(main, ["config", "set", "--help"]).exit_code == 0
    version = runner.invoke(main, ["--version"])
    assert version.exit_code == 0 and "version" in version.output
