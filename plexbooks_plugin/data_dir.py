"""Where a host without a database URL keeps plexbooks' SQLite file.

The host's instance folder when it is writable and not part of an installation (Calibre-Web's
instance folder, say, sits in the virtualenv's site-packages: a reinstall would drop the data);
otherwise a per-user data folder: ``$PLEXBOOKS_DATA_DIR``, else ``$XDG_DATA_HOME/plexbooks``, else
``~/.local/share/plexbooks`` (``%LOCALAPPDATA%\\plexbooks`` on Windows). The choice is logged.
"""

from __future__ import annotations

import logging
import os
import sys
import sysconfig
from pathlib import Path

log = logging.getLogger(__name__)


def installation_dirs() -> list[Path]:
    """Folders that belong to the Python installation: site-packages and, in a virtualenv, the venv."""
    paths = sysconfig.get_paths()
    dirs = [Path(paths[key]) for key in ("purelib", "platlib") if key in paths]
    if sys.prefix != sys.base_prefix:
        dirs.append(Path(sys.prefix))
    return [d.resolve() for d in dirs]


def inside_installation(path: Path) -> bool:
    """Whether `path` lies in site-packages or in the active virtualenv."""
    resolved = path.resolve()
    return any(resolved == d or d in resolved.parents for d in installation_dirs())


def user_data_dir() -> Path:
    """The per-user folder for plexbooks' data."""
    explicit = os.environ.get("PLEXBOOKS_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if os.name == "nt":  # pragma: no cover - Windows
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "plexbooks"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "plexbooks"


def _writable_dir(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def default_database_dir(instance_path: str | Path) -> Path:
    """The folder for plexbooks.db: the instance folder when suitable, else the per-user data folder."""
    instance = Path(instance_path)
    if os.environ.get("PLEXBOOKS_DATA_DIR") is None and not inside_installation(instance) and _writable_dir(instance):
        chosen = instance
    else:
        chosen = user_data_dir()
        chosen.mkdir(parents=True, exist_ok=True)
    log.info("plexbooks keeps its SQLite database in %s (set PLEXBOOKS_DATABASE_URL to choose)", chosen)
    return chosen
