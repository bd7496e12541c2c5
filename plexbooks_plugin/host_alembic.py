"""Keep a host's Alembic autogenerate away from the plugin's tables (they have migrations of their own).

Flask-Migrate: ``Migrate(app, db, include_object=alembic_include_object)``.
Plain Alembic: ``context.configure(..., include_object=alembic_include_object)`` in ``env.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TABLE_PREFIX = "plexbooks_"  # every plugin table, and its version table plexbooks_alembic_version

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def plugin_table_name(obj: Any, name: str | None, type_: str) -> str | None:
    """The table an autogenerate object belongs to (the table itself, or an index's/column's table)."""
    if type_ == "table":
        return name
    table = getattr(obj, "table", None)
    return getattr(table, "name", None)


def alembic_include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic ``include_object``: False for plexbooks' tables and everything on them, True otherwise."""
    table = plugin_table_name(obj, name, type_)
    return not (table and table.startswith(TABLE_PREFIX))


def chain_include_object(host_filter: IncludeObject) -> IncludeObject:
    """Combine the host's own ``include_object`` with plexbooks': an object must pass both."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return alembic_include_object(obj, name, type_, reflected, compare_to) and host_filter(
            obj, name, type_, reflected, compare_to
        )

    return include
