"""alembic_include_object keeps autogenerate away from every plexbooks table, index and column."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, Table

from plexbooks_plugin import alembic_include_object
from plexbooks_plugin.host_alembic import chain_include_object

metadata = MetaData()
plugin = Table("plexbooks_settings", metadata, Column("key", Integer, primary_key=True))
host = Table("books", metadata, Column("id", Integer, primary_key=True), Column("plexbooks_note", Integer))
plugin_index = Index("ix_plexbooks_settings_key", plugin.c.key)


def test_plugin_objects_are_left_out_host_objects_kept() -> None:
    assert not alembic_include_object(plugin, "plexbooks_settings", "table", True, None)
    assert not alembic_include_object(None, "plexbooks_alembic_version", "table", True, None)
    assert not alembic_include_object(plugin_index, plugin_index.name, "index", True, None)
    assert not alembic_include_object(plugin.c.key, "key", "column", True, None)
    assert alembic_include_object(host, "books", "table", False, None)
    # A host column whose name merely starts with plexbooks_ is the host's.
    assert alembic_include_object(host.c.plexbooks_note, "plexbooks_note", "column", False, None)


def test_chained_with_the_hosts_own_filter() -> None:
    def host_filter(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return name != "legacy"

    include = chain_include_object(host_filter)
    assert include(host, "books", "table", False, None)
    assert not include(None, "legacy", "table", True, None)
    assert not include(plugin, "plexbooks_settings", "table", True, None)
