"""A Flask-SQLAlchemy + Flask-Migrate host on the database plexbooks uses: its autogenerate with
`include_object=alembic_include_object` leaves the plugin's tables alone, and their rows survive the
host's upgrades and downgrades. `flask db` commands never start the plugin's scheduler."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from .conftest import run_host
from .hostenv import HostEnv

SCHEDULER_STARTED = "plexbooks scheduler started"
PLUGIN_TABLES = {
    "plexbooks_alembic_version", "plexbooks_catalog", "plexbooks_leases", "plexbooks_library",
    "plexbooks_requests", "plexbooks_scan_runs", "plexbooks_settings", "plexbooks_users",
}


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("empty_database", ["sqlite", "postgresql"], indirect=True)
def test_host_migrations_leave_the_plugin_tables_and_rows_alone(
    host_env: HostEnv, empty_database: str, tmp_path: Path
) -> None:
    url = empty_database
    env = {"HOST_DATABASE_URL": url, "HOST_INSTANCE": str(tmp_path / "instance"),
           "HOST_MIGRATIONS": str(tmp_path / "migrations")}

    def flask(*args: str, **extra: str) -> str:
        output = run_host(host_env, ["-m", "flask", "--app", "fsqla_host:create_app", "db", *args], tmp_path,
                          **env, **extra)
        assert SCHEDULER_STARTED not in output, f"flask db {args[0]} started the scheduler"
        return output

    def plexbooks(*args: str) -> str:
        return run_host(host_env, ["-m", "plexbooks_plugin.cli", *args, "--database-url", url], tmp_path)

    flask("init")  # loading the app migrates the plugin's tables
    assert tables(url) >= PLUGIN_TABLES
    plexbooks("config", "set", "full_scan_hours", "12")

    flask("migrate", "-m", "host shelf")
    (first,) = (tmp_path / "migrations" / "versions").glob("*.py")
    script = first.read_text()
    assert "host_shelf" in script and "create_table" in script
    assert "plexbooks" not in script

    flask("upgrade")
    assert "host_shelf" in tables(url) and tables(url) >= PLUGIN_TABLES

    flask("migrate", "-m", "shelf note", HOST_SCHEMA_V2="1")
    second = next(p for p in (tmp_path / "migrations" / "versions").glob("*.py") if p != first)
    script = second.read_text()
    assert "add_column" in script and "note" in script and "plexbooks" not in script
    flask("upgrade", HOST_SCHEMA_V2="1")

    flask("downgrade", "base", HOST_SCHEMA_V2="1")
    assert "host_shelf" not in tables(url) and tables(url) >= PLUGIN_TABLES
    flask("upgrade", HOST_SCHEMA_V2="1")
    assert "host_shelf" in tables(url)
    assert "No changes in schema detected" in flask("migrate", HOST_SCHEMA_V2="1")
    flask("check", HOST_SCHEMA_V2="1")
    assert plexbooks("config", "get", "full_scan_hours").strip() == "12"

    # Without the snippet, the same host's autogenerate would drop every plugin table.
    with pytest.raises(AssertionError, match=r"remove_table.*Table\(.plexbooks_"):
        flask("check", HOST_SCHEMA_V2="1", HOST_WITHOUT_INCLUDE_OBJECT="1")
