"""Where a host without a database URL gets plexbooks.db: never inside the installation."""

from __future__ import annotations

import logging
import sysconfig
from pathlib import Path

import pytest
from flask import Flask

from plexbooks_plugin import PlexBooks
from plexbooks_plugin.data_dir import default_database_dir, inside_installation


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PLEXBOOKS_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "plexbooks"


def host(instance: Path) -> Flask:
    app = Flask("nodbhost", instance_path=str(instance))
    app.config.update(TESTING=True, SECRET_KEY="k")
    return app


def test_an_instance_folder_inside_site_packages_is_not_used(
    data_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Calibre-Web's instance folder: an installed package's, inside the virtualenv.
    instance = Path(sysconfig.get_paths()["purelib"]) / "somehost-instance-plexbooks-test"
    assert inside_installation(instance)
    app = host(instance)
    with caplog.at_level(logging.INFO, logger="plexbooks_plugin.data_dir"):
        PlexBooks(app)
    assert app.config["PLEXBOOKS_DATABASE_URL"] == f"sqlite:///{data_home / 'plexbooks.db'}"
    assert (data_home / "plexbooks.db").exists()
    assert not instance.exists()
    assert str(data_home) in caplog.text


def test_a_writable_instance_folder_of_the_host_is_used(data_home: Path, tmp_path: Path) -> None:
    app = host(tmp_path / "instance")
    PlexBooks(app)
    assert app.config["PLEXBOOKS_DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'plexbooks.db'}"
    assert not data_home.exists()


def test_an_unwritable_instance_folder_falls_back(data_home: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert default_database_dir(blocker / "instance") == data_home  # cannot be created under a file


def test_plexbooks_data_dir_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEXBOOKS_DATA_DIR", str(tmp_path / "chosen"))
    assert default_database_dir(tmp_path / "instance") == tmp_path / "chosen"
