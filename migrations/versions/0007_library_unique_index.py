"""plexbooks_library: the (section_id, rating_key) uniqueness as a unique index instead of a table constraint

A first import drops the library's indexes and builds them once afterwards: inserting 200,000
albums in listing (title) order into a unique index kept up to date row by row rewrote its pages
at every commit (428 MB written against 162 MB when built afterwards). SQLite cannot drop a table
constraint without rebuilding the table; it can drop an index. Same name, same columns, same rule.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "uq_plexbooks_library_section_id_rating_key"


def upgrade() -> None:
    """Apply this revision."""
    # On SQLite the batch rebuilds the table without the constraint (rows copied as they are).
    with op.batch_alter_table("plexbooks_library", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="unique")
        batch_op.create_index(NAME, ["section_id", "rating_key"], unique=True)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("plexbooks_library", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_unique_constraint(NAME, ["section_id", "rating_key"])
