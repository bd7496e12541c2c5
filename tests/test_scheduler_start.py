"""The scheduler runs where the app serves: not in `flask` commands, not again after exit, with its own holder id."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask, current_app, has_app_context
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import Engine, text

from plexbooks_plugin import PlexBooks, scheduler_start
from plexbooks_plugin.extension import get_state
from plexbooks_plugin.scheduler import LEADER_LEASE, JobSpec
from plexbooks_plugin.scheduler_start import SchedulerStarter
from tests.conftest import TEST_SECRET, DatabaseFactory
from tests.reliability.helpers import wait_until


def lease_holders(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT holder FROM plexbooks_leases WHERE name = :n"), {"n": LEADER_LEASE})
        return [row[0] for row in rows]


def starter(app: Flask) -> SchedulerStarter:
    """The app's starter (its before_request hook), whose stop() atexit calls."""
    return next(f.__self__ for f in app.before_request_funcs[None] if isinstance(getattr(f, "__self__", None),
                                                                                   SchedulerStarter))


def host(url: str, tmp_path: Path) -> Flask:
    app = Flask("schedhost", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY=TEST_SECRET, PLEXBOOKS_DATABASE_URL=url, PLEXBOOKS_SCHEDULER=True)
    PlexBooks(app)
    return app


def test_a_flask_command_does_not_start_the_scheduler(database_factory: DatabaseFactory, tmp_path: Path) -> None:
    url = database_factory.new_url()
    built: list[Flask] = []
    cli = FlaskGroup(create_app=lambda: built.append(host(url, tmp_path)) or built[-1])

    @cli.command("noop")
    @with_appcontext
    def noop() -> None:
        """A host command, like `flask db upgrade`."""

    result = CliRunner().invoke(cli, ["noop"])
    assert result.exit_code == 0, result.output
    assert get_state(built[0]).scheduler is None


def test_served_app_runs_it_and_exit_releases_the_lease_for_good(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    app = host(database_factory.new_url(), tmp_path)
    state = get_state(app)
    scheduler = state.scheduler
    assert scheduler is not None and scheduler.running
    assert f":{os.getpid()}:" in scheduler.holder
    assert wait_until(lambda: scheduler.is_leader)  # its thread ticks every second
    assert lease_holders(state.core.db.engine) == [scheduler.holder]
    starter(app).stop()  # what atexit does
    assert lease_holders(state.core.db.engine) == []
    app.test_client().get("/plexbooks/health")  # a request served during shutdown
    assert state.scheduler is scheduler and not scheduler.running


def test_jobs_run_inside_the_host_app_context(
    database_factory: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []

    def probe(core: object) -> None:
        seen.append(current_app._get_current_object() if has_app_context() else None)  # type: ignore[attr-defined]

    monkeypatch.setattr(scheduler_start, "DEFAULT_JOBS", (JobSpec("probe", probe, lambda core: None),))
    app = host(database_factory.new_url(), tmp_path)
    scheduler = get_state(app).scheduler
    try:
        assert not has_app_context()
        assert scheduler.run_job_now("probe")  # from a thread without any context, like the job worker
    finally:
        starter(app).stop()
    assert seen == [app]
