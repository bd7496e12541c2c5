"""plexbooks_webhook_outbox: webhook deliveries to the host, written with each transition to available

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "plexbooks_webhook_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("host_request_id", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plexbooks_webhook_outbox")),
    )
    with op.batch_alter_table("plexbooks_webhook_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plexbooks_webhook_outbox_status"), ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("plexbooks_webhook_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plexbooks_webhook_outbox_status"))
    op.drop_table("plexbooks_webhook_outbox")
