"""record who asked for a request: plexbooks_requests.requested_by_name, an index on requested_by

A plain user lists only their own requests (by user id, or by the Plex username the host key named
for someone who had not signed in yet).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("plexbooks_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by_name", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_plexbooks_requests_requested_by"), ["requested_by"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("plexbooks_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plexbooks_requests_requested_by"))
        batch_op.drop_column("requested_by_name")
