"""plexbooks_sessions: server-side sign-in sessions (logout ends them; access is re-checked daily)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "plexbooks_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("plex_token", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plexbooks_sessions")),
    )
    with op.batch_alter_table("plexbooks_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plexbooks_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("plexbooks_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plexbooks_sessions_user_id"))
    op.drop_table("plexbooks_sessions")
