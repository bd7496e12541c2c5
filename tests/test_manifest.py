"""plugin.yaml: the manifest a host reads must point at things that exist, and work as a loader uses them.

The loader here knows nothing about plexbooks (it is not demo/manifest.py): it imports each entry
and calls it the common way: the extension with the app, the blueprint factory registered under its
url_prefix, jobs and the upgrade with no argument inside the app context.
"""

from __future__ import annotations

import configparser
import importlib
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import create_engine, inspect

import plexbooks_plugin
from plexbooks_plugin.demo.manifest import resolve  # how a host imports the manifest's references
from plexbooks_plugin.extension import get_core
from plexbooks_plugin.fakeplex import FakePlex
from tests.conftest import TEST_SECRET, DatabaseFactory
from tests.fakeplex_fixtures import configure_core

pytest_plugins = ["tests.fakeplex_fixtures"]

ROOT = Path(__file__).resolve().parents[1]


def _dotted_paths(manifest: dict[str, Any]) -> list[str]:
    paths = [manifest["extension"], manifest["blueprint"]["factory"]]
    paths += list(manifest["hooks"].values())
    paths += list(manifest["signals"].values())
    paths += [job["function"] for job in manifest["jobs"]]
    paths.append(manifest["migrations"]["upgrade"])
    return paths


def test_manifest_paths_import() -> None:
    manifest = yaml.safe_load((ROOT / "plugin.yaml").read_text())
    for dotted in _dotted_paths(manifest):
        assert callable(resolve(dotted)) or hasattr(resolve(dotted), "send"), dotted
    importlib.import_module(manifest["migrations"]["package"])
    importlib.import_module(manifest["templates"]["package"])


def test_manifest_matches_package() -> None:
    manifest = yaml.safe_load((ROOT / "plugin.yaml").read_text())
    assert manifest["version"] == plexbooks_plugin.__version__
    assert manifest["blueprint"]["url_prefix"] == "/plexbooks"
    assert manifest["migrations"]["version_table"] == "plexbooks_alembic_version"
    assert {job["name"]: job.get("every_hours", job.get("every_minutes")) for job in manifest["jobs"]} == {
        "full_scan": 6,
        "recent_scan": 5,
    }
    assert manifest["settings_page"] == "/plexbooks/settings"
    assert any(action["url"] == "/plexbooks/api/scan" for action in manifest["admin_actions"])


def test_packaged_manifest_is_the_same_file() -> None:
    packaged = Path(plexbooks_plugin.__file__).parent / "plugin.yaml"
    assert packaged.read_text() == (ROOT / "plugin.yaml").read_text()


def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "plugin.yaml").read_text())


def host(database_url: str, tmp_path: Path) -> Flask:
    app = Flask("loaderhost", instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY=TEST_SECRET, PLEXBOOKS_DATABASE_URL=database_url)
    return app


def load(app: Flask, entries: tuple[str, ...]) -> None:
    """A generic loader: the extension with the app, then the blueprint under its prefix."""
    spec = manifest()
    if "extension" in entries:
        resolve(spec["extension"])(app)
    if "blueprint" in entries:
        blueprint = spec["blueprint"]
        app.register_blueprint(resolve(blueprint["factory"])(), url_prefix=blueprint["url_prefix"])


def test_requires_lists_every_install_requirement() -> None:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    lines = parser["options"]["install_requires"].splitlines()
    required = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    assert manifest()["requires"]["dependencies"] == required
    assert "waitress>=3.0" in required


@pytest.mark.parametrize("entries", [("extension",), ("blueprint",), ("extension", "blueprint")])
def test_extension_blueprint_or_both_mount_once(
    entries: tuple[str, ...], database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    app = host(database_factory.new_url(), tmp_path)
    load(app, entries)
    client = app.test_client()
    assert client.get("/plexbooks/health").get_json() == {"status": "ok"}
    assert get_core(app).get_setting("full_scan_hours") == "6"
    assert [name for name in app.blueprints if "plexbooks" in name] == ["plexbooks"]


def test_blueprint_alone_mounts_under_the_prefix_it_is_registered_with(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    app = host(database_factory.new_url(), tmp_path)
    app.register_blueprint(resolve(manifest()["blueprint"]["factory"])(), url_prefix="/books/plex")
    assert app.test_client().get("/books/plex/health").status_code == 200
    assert app.test_client().get("/plexbooks/health").status_code == 404


def test_blueprint_after_extension_at_another_prefix_says_so(database_factory: DatabaseFactory, tmp_path: Path) -> None:
    app = host(database_factory.new_url(), tmp_path)
    load(app, ("extension",))
    with pytest.raises(ValueError, match="already mounted at /plexbooks"):
        app.register_blueprint(resolve(manifest()["blueprint"]["factory"])(), url_prefix="/elsewhere")


def test_jobs_run_without_arguments_in_the_app_context(
    database_factory: DatabaseFactory, tmp_path: Path, fake_plex: FakePlex
) -> None:
    app = host(database_factory.new_url(), tmp_path)
    load(app, ("extension", "blueprint"))
    configure_core(get_core(app), fake_plex)
    jobs = {job["name"]: resolve(job["function"]) for job in manifest()["jobs"]}
    with app.app_context():
        full = jobs["full_scan"]()
        recent = jobs["recent_scan"]()
    assert isinstance(full, dict) and isinstance(recent, dict), (full, recent)
    assert len(get_core(app).library_index()) == 40
    assert isinstance(jobs["full_scan"](app), dict)  # or given the app
    with pytest.raises(RuntimeError, match="app context"):
        jobs["recent_scan"]()


def test_migrations_upgrade_is_callable_as_named(
    database_factory: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade = resolve(manifest()["migrations"]["upgrade"])
    url = database_factory.new_url()
    upgrade(url)  # a database URL
    monkeypatch.setenv("PLEXBOOKS_DATABASE_URL", database_factory.new_url())
    upgrade()  # no argument, no app: PLEXBOOKS_DATABASE_URL like the CLI
    app = host(url, tmp_path)
    app.config["PLEXBOOKS_AUTO_MIGRATE"] = False
    load(app, ("extension",))
    with app.app_context():
        upgrade()  # the current app's database
    upgrade(app)
    for target in (url, os.environ["PLEXBOOKS_DATABASE_URL"]):
        engine = create_engine(target)
        assert inspect(engine).has_table("plexbooks_settings"), target
        engine.dispose()
