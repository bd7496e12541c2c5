"""When and where the scheduler runs in a host: in the processes that serve, never in a CLI command.

- ``flask db upgrade`` and every other ``flask`` command except ``flask run`` load the app without
  starting the scheduler thread.
- gunicorn ``--preload`` loads the app in the master, which forks the workers: the thread is not
  started there (a thread does not survive a fork, and the master serves nothing). Each worker starts
  its own at fork; the leader lease picks the one that runs jobs.
- Any other fork (a pre-fork server we do not know): the first request in the child starts it.
- Jobs run inside the host app's context: `request_available` receivers they trigger can use the
  host's extensions (a Flask-SQLAlchemy session, say).
- The scheduler stops at interpreter exit (gunicorn's worker exit on SIGTERM included) and hands its
  leader lease back, so the next leader takes over at once instead of waiting for the lease to expire.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from flask import Flask

from .scheduler import DEFAULT_JOBS, PlexBooksScheduler
from .serving import in_flask_cli_command, in_gunicorn_master

log = logging.getLogger(__name__)


def run_in_app_context(app: Flask, func: Callable[[Any], Any], core: Any) -> Any:
    """Run a job inside `app`'s context, so what it sends (request_available) reaches receivers there."""
    with app.app_context():
        return func(core)


class SchedulerStarter:
    """Owns the scheduler of one app (``state.scheduler``): one per process, started where it serves."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.core = state.core
        self.scheduler: PlexBooksScheduler | None = None
        self._pid: int | None = None  # the process the scheduler runs in
        self._stopped_in: int | None = None  # a process that stopped it for good (at exit)
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the scheduler in this process unless it already runs here."""
        if os.getpid() in (self._pid, self._stopped_in):
            return
        with self._lock:
            if os.getpid() in (self._pid, self._stopped_in):
                return
            if self.core.holder_id.split(":")[1:2] != [str(os.getpid())]:
                # A forked child (--preload) must not present its parent's lease holder id: each
                # worker would then believe it holds the leader lease.
                self.core.holder_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
            jobs = [replace(job, func=partial(run_in_app_context, self.state.app, job.func)) for job in DEFAULT_JOBS]
            self.scheduler = PlexBooksScheduler(self.core, jobs=jobs).start()
            self.state.scheduler = self.scheduler
            self._pid = os.getpid()

    def stop(self) -> None:
        """Stop this process's scheduler and release the leader lease (a no-op elsewhere)."""
        if self._stopped_in == os.getpid():
            return  # stopped already (the host's own shutdown, then atexit)
        self._stopped_in = os.getpid()  # a request still being served at exit must not restart it
        if self.scheduler is not None and self._pid == os.getpid():
            self.scheduler.stop()


def install(app: Flask, state: Any) -> SchedulerStarter | None:
    """Arrange for the scheduler of `app` (its PlexBooksState) to run in the serving processes only."""
    if in_flask_cli_command():
        log.debug("plexbooks scheduler not started: a flask CLI command")
        return None
    starter = SchedulerStarter(state)
    app.before_request(starter.ensure_running)  # cheap pid check; starts it in a forked child
    atexit.register(starter.stop)
    if in_gunicorn_master():
        os.register_at_fork(after_in_child=starter.ensure_running)
        log.info("plexbooks scheduler will start in each gunicorn worker (--preload)")
    else:
        starter.ensure_running()
    return starter
