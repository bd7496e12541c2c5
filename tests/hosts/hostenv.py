"""The hosts' virtualenv: the built plexbooks wheel with real hosts from PyPI, cached in `.hostenv/`.

The venv is keyed on the Python version, the host requirements and plexbooks' own requirements
(read from the wheel), so it is made once and reused; the wheel itself is reinstalled whenever it
changes (it is rebuilt every session, from the checkout, exactly as a user would install it).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("PLEXBOOKS_HOSTENV_DIR", ROOT / ".hostenv"))
HOST_REQUIREMENTS = (
    "calibreweb>=0.6,<0.7",
    "Flask-SQLAlchemy>=3.1",
    "Flask-Migrate>=4.0",
    "gunicorn>=22",
    "psycopg[binary]>=3.1",
)
PIP = ("-m", "pip", "--disable-pip-version-check", "-q")


@dataclass
class HostEnv:
    """A ready virtualenv: its folder, and what building and installing took (seconds)."""

    path: Path
    wheel: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def python(self) -> str:
        """The venv's interpreter (run tools as ``python -m gunicorn`` / ``-m flask``)."""
        return str(self.path / "bin" / "python")

    def script(self, name: str) -> str:
        """A console script of the venv (``plexbooks``)."""
        return str(self.path / "bin" / name)


# Left out of the copy the wheel is built from: a stale build/ would put deleted modules in the wheel.
NOT_SOURCE = (".git", ".venv", ".hostenv", "build", "dist", "tests", "bench", "test-artifacts", "instance",
              "*.egg-info", "__pycache__", ".*_cache", "*.db")


def build_wheel(target: Path) -> Path:
    """Build plexbooks' wheel from a clean copy of the checkout into `target`."""
    source = target / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    subprocess.run(
        [sys.executable, *PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(target), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = target.glob("plexbooks-*.whl")
    return wheel


def wheel_requirements(wheel: Path) -> list[str]:
    """The Requires-Dist lines of the wheel without extras (what pip installs with it)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    return sorted(r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r)


def env_key(wheel: Path) -> str:
    """What the cached venv depends on: the interpreter, the hosts and plexbooks' requirements."""
    payload = json.dumps([sys.version, HOST_REQUIREMENTS, wheel_requirements(wheel)])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def ensure_env(wheel: Path) -> HostEnv:
    """The cached venv for `wheel`, created if needed, with exactly this wheel installed."""
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    key = env_key(wheel)
    env = HostEnv(CACHE / key, wheel)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two sessions in one checkout share the cache
        ready = env.path / ".ready"
        if not ready.exists():
            started = time.monotonic()
            shutil.rmtree(env.path, ignore_errors=True)
            for stale in CACHE.iterdir():  # venvs of older requirement lists
                if stale.is_dir() and stale.name != key:
                    shutil.rmtree(stale, ignore_errors=True)
            _run([sys.executable, "-m", "venv", str(env.path)])
            _run([env.python, *PIP, "install", *HOST_REQUIREMENTS, str(wheel)])
            ready.write_text(key)
            (env.path / ".wheel").write_text(hashlib.sha256(wheel.read_bytes()).hexdigest())
            env.timings["venv_created"] = time.monotonic() - started
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        installed = env.path / ".wheel"
        if not installed.exists() or installed.read_text() != digest:
            started = time.monotonic()
            _run([env.python, *PIP, "install", "--no-deps", "--force-reinstall", str(wheel)])
            installed.write_text(digest)
            env.timings["wheel_installed"] = time.monotonic() - started
    return env
