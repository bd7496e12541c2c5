"""The built wheel carries the migrations, templates and manifest: `plexbooks db upgrade` works from it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_and_upgrades_from_another_directory(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (wheel,) = wheel_dir.glob("plexbooks-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "plexbooks_plugin/plugin.yaml" in names
    assert "plexbooks_plugin/migrations/env.py" in names
    assert any(n.startswith("plexbooks_plugin/migrations/versions/0001") for n in names)
    assert "plexbooks_plugin/templates/plexbooks/base.html" in names

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = "import plexbooks_plugin, sys; from plexbooks_plugin.cli import main; sys.argv[0]='plexbooks'; main()"
    env = {**os.environ, "PYTHONPATH": str(target), "PLEXBOOKS_SECRET_KEY": "k"}
    proc = subprocess.run(
        [sys.executable, "-c", code, "db", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "x.db").exists()
    where = subprocess.run(
        [sys.executable, "-c", "import plexbooks_plugin; print(plexbooks_plugin.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        timeout=60,
    )
    assert where.stdout.strip().startswith(str(target)), "the test must run the installed copy, not the checkout"


def test_every_subpackage_is_in_the_wheel() -> None:
    """setup.cfg lists packages by name: a new sub-package left out installs a wheel that cannot import."""
    import configparser

    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    listed = set(parser["options"]["packages"].split())
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "plexbooks_plugin").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert on_disk <= listed, sorted(on_disk - listed)
