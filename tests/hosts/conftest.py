"""Fixtures for the host tests: the hosts' virtualenv, the emulator, fresh databases, host processes.

Every test here is marked `hosts` (run by default, and by CI); `pytest -m "not hosts"` leaves them out.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from plexbooks_plugin.fakeplex import FakePlex

from .hostenv import HostEnv, build_wheel, ensure_env

APPS = Path(__file__).resolve().parent / "apps"
HOST_SECRET = "hosts-test-secret"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
VENV_TIMEOUT = 600  # creating the venv downloads and installs ~60 packages (about a minute)
_timings: dict[str, float] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder `hosts`, with room for the first one to create the venv."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.hosts)
            item.add_marker(pytest.mark.timeout(VENV_TIMEOUT))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say what building the wheel and the venv took."""
    if _timings:
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in _timings.items())
        terminalreporter.write_line(f"hosts: {parts}")


@pytest.fixture(scope="session")
def host_env(tmp_path_factory: pytest.TempPathFactory) -> HostEnv:
    """The hosts' virtualenv with this checkout's wheel installed."""
    started = time.monotonic()
    wheel = build_wheel(tmp_path_factory.mktemp("wheel"))
    _timings["wheel_built"] = time.monotonic() - started
    env = ensure_env(wheel)
    _timings.update(env.timings)
    return env


@pytest.fixture(scope="session")
def host_plex() -> Iterator[FakePlex]:
    """One emulator for the host processes (30 books)."""
    with FakePlex(items=30, seed=4).start(port=0) as fake:
        yield fake


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def host_environ(host_env: HostEnv, **extra: str) -> dict[str, str]:
    """The environment of a host process: the venv first on PATH, the apps importable, a shared secret."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLEXBOOKS_", "VIRTUAL_ENV", "PYTHON", "FLASK_"))
    }
    env.update(
        PATH=f"{host_env.path / 'bin'}:{env.get('PATH', '')}",
        PYTHONPATH=str(APPS),
        PYTHONDONTWRITEBYTECODE="1",
        PLEXBOOKS_SECRET_KEY=HOST_SECRET,
        **extra,
    )
    return env


def run_host(host_env: HostEnv, args: Sequence[str], cwd: Path, timeout: float = 120, **extra: str) -> str:
    """Run a command of the venv (``python -m ...`` args) to completion; its output, or fail with it."""
    proc = subprocess.run(
        [host_env.python, *args], cwd=cwd, env=host_environ(host_env, **extra),
        capture_output=True, text=True, timeout=timeout,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}:\n{output[-4000:]}"
    return output


class HostProcess:
    """A long-running host (gunicorn, Calibre-Web) with its output in a log file."""

    def __init__(self, host_env: HostEnv, args: Sequence[str], cwd: Path, **extra: str) -> None:
        self.log_path = cwd / f"host-{uuid.uuid4().hex[:6]}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - open for the process's lifetime, closed in terminate/kill
        self.proc = subprocess.Popen(
            [host_env.python, *args], cwd=cwd, env=host_environ(host_env, **extra),
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def output(self) -> str:
        """Everything the host printed so far."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_http(self, url: str, timeout: float = 60) -> None:
        """Wait until `url` answers (any status), failing early with the log when the host died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the host exited {self.proc.returncode}:\n{self.output[-5000:]}")
            try:
                requests.get(url, timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(f"{url} did not answer in {timeout} s:\n{self.output[-5000:]}")

    def terminate(self, timeout: float = 40) -> int:
        """SIGTERM the host (gunicorn: its master) and wait for it to exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        """Stop whatever is left of the host's process group."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()


@pytest.fixture
def start_host(host_env: HostEnv) -> Iterator[Callable[..., HostProcess]]:
    """Start host processes; any still running at the end of the test are killed."""
    started: list[HostProcess] = []

    def start(args: Sequence[str], cwd: Path, **extra: str) -> HostProcess:
        process = HostProcess(host_env, args, cwd, **extra)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def _pg_server_url() -> str:
    return os.environ.get("PLEXBOOKS_TEST_DATABASE_URL") or PG_DEFAULT


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind the test is parametrised with ("sqlite" or "postgresql")."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'host.db'}"
        return
    server = make_url(_pg_server_url())
    name = f"pbhost_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name, query={}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
