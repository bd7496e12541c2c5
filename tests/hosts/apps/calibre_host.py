"""Calibre-Web (PyPI `calibreweb`) with plexbooks mounted after Calibre-Web set itself up.

Calibre-Web's own `main()` builds the app with its factory and registers its blueprints; its last
step, starting its server, is where this host mounts plexbooks and serves the app with waitress.
Environment: CALIBRE_DBPATH (config folder), HOST_CALIBRE_LIBRARY (made empty if missing), HOST_PORT,
HOST_PLEX_URL (the emulator), PLEXBOOKS_*.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path

import calibreweb

sys.path.insert(0, str(Path(calibreweb.__file__).parent))  # Calibre-Web imports itself as `cps`
sys.argv = ["cps", "-p", str(Path(os.environ["CALIBRE_DBPATH"]) / "app.db")]

import cps  # noqa: E402
import cps.db  # noqa: E402
import cps.main  # noqa: E402
import waitress  # noqa: E402

from plexbooks_plugin import PlexBooks  # noqa: E402


def serve() -> bool:
    """Stands in for Calibre-Web's own server start: mount plexbooks, then serve."""
    app = cps.app
    app.config.update(
        PLEXBOOKS_PLEX_TV_URL=os.environ["HOST_PLEX_URL"],
        PLEXBOOKS_PLEX_APP_URL=os.environ["HOST_PLEX_URL"],
        PLEXBOOKS_PLEX_TIMEOUT=(2.0, 5.0),
        PLEXBOOKS_PIN_POLL_SECONDS=0,
    )
    PlexBooks(app)
    logging.getLogger("plexbooks_plugin").setLevel(logging.INFO)
    print(f"plexbooks mounted; database {app.config['PLEXBOOKS_DATABASE_URL']}", flush=True)
    waitress.serve(app, host="127.0.0.1", port=int(os.environ["HOST_PORT"]), threads=8)
    return True


def make_empty_library(folder: Path) -> None:
    """An empty Calibre library (metadata.db with Calibre-Web's tables and a library uuid)."""
    from sqlalchemy import create_engine, insert

    folder.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{folder / 'metadata.db'}")
    with engine.begin() as connection:
        # Some of Calibre-Web's models name the schema "calibre" (it attaches metadata.db under that name).
        connection = connection.execution_options(schema_translate_map={"calibre": None})
        cps.db.Base.metadata.create_all(connection)
        connection.execute(insert(cps.db.Library_Id.__table__).values(uuid=str(uuid.uuid4())))
    engine.dispose()


if not (Path(os.environ["HOST_CALIBRE_LIBRARY"]) / "metadata.db").exists():
    make_empty_library(Path(os.environ["HOST_CALIBRE_LIBRARY"]))
cps.web_server.start = serve
cps.main.main()
