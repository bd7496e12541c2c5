"""index plexbooks_library.rating_key

Look-ups by rating key alone (cover proxy, duplicate-request check, request matching) scanned the
whole table: the (section_id, rating_key) unique index cannot serve them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("plexbooks_library", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plexbooks_library_rating_key"), ["rating_key"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("plexbooks_library", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plexbooks_library_rating_key"))
