"""A plain Flask host served by gunicorn with several workers (`gunicorn gunicorn_host:app`)."""

from __future__ import annotations

import logging
import os
import time

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from plexbooks_plugin import PlexBooks
from plexbooks_plugin.extension import get_state

logging.basicConfig(level=logging.INFO, format="%(process)d %(name)s %(levelname)s %(message)s")

app = Flask(__name__, instance_path=os.environ["HOST_INSTANCE"])
app.config.update(SECRET_KEY="host-secret", PLEXBOOKS_DATABASE_URL=os.environ["HOST_DATABASE_URL"])
PlexBooks(app)


@app.get("/whoami")
def whoami() -> ResponseReturnValue:
    """This worker's pid and whether its scheduler leads (a short pause spreads requests over workers)."""
    time.sleep(float(request.args.get("pause", "0")))
    scheduler = get_state().scheduler
    return jsonify(pid=os.getpid(), scheduler=scheduler is not None, leader=bool(scheduler and scheduler.is_leader))
