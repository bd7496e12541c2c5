"""Which kind of process is loading the app: it decides whether plexbooks may start threads there.

- A ``flask`` command other than ``flask run`` (``flask db upgrade``) serves nothing.
- gunicorn's master with ``--preload`` loads the app and then forks the workers: a thread running in it
  during a fork can hold a lock (a log stream's, say) that the child then waits on forever.
- Werkzeug's reloader runs the app twice; only the child serves.
"""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup


def in_flask_cli_command() -> bool:
    """Whether the app is being loaded by a ``flask`` command other than ``flask run``."""
    context = click.get_current_context(silent=True)
    if context is None:
        return False
    if not isinstance(context.find_root().command, FlaskGroup):
        return False  # another click program (``plexbooks demo``, a host's own CLI) that serves
    return context.info_name != "run"


def in_gunicorn_master() -> bool:
    """Whether gunicorn is preloading the app in its master (``--preload``), before forking workers."""
    if "gunicorn" not in sys.modules:
        return False
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "setup" and code.co_filename.endswith(os.path.join("gunicorn", "arbiter.py")):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def is_reloader_parent(app: Flask) -> bool:
    """Werkzeug's reloader runs the app twice; only the child (WERKZEUG_RUN_MAIN) serves."""
    return bool(app.debug) and os.environ.get("WERKZEUG_RUN_MAIN") != "true"
