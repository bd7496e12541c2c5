"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "plexbooks_catalog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("author", sa.String(length=1024), nullable=True),
        sa.Column("narrator", sa.String(length=1024), nullable=True),
        sa.Column("asin", sa.String(length=16), nullable=True),
        sa.Column("is_available", sa.Boolean(), nullable=False),
        sa.Column("matched_rating_key", sa.String(length=64), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plexbooks_catalog")),
        sa.UniqueConstraint(
            "external_id", name=op.f("uq_plexbooks_catalog_external_id")
        ),
    )
    with op.batch_alter_table("plexbooks_catalog", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plexbooks_catalog_asin"), ["asin"], unique=False
        )

    op.create_table(
        "plexbooks_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_plexbooks_leases")),
    )
    op.create_table(
        "plexbooks_library",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.String(length=32), nullable=False),
        sa.Column("rating_key", sa.String(length=64), nullable=False),
        sa.Column("guid", sa.String(length=512), nullable=False),
        sa.Column("asin", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("author", sa.String(length=1024), nullable=True),
        sa.Column("narrator", sa.String(length=1024), nullable=True),
        sa.Column("duration", sa.BigInteger(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("thumb", sa.String(length=1024), nullable=True),
        sa.Column("added_at", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("norm_title", sa.String(length=1024), nullable=False),
        sa.Column("norm_author", sa.String(length=1024), nullable=False),
        sa.Column("last_seen_scan", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("row_updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plexbooks_library")),
        sa.UniqueConstraint(
            "section_id",
            "rating_key",
            name=op.f("uq_plexbooks_library_section_id_rating_key"),
        ),
    )
    with op.batch_alter_table("plexbooks_library", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plexbooks_library_asin"), ["asin"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plexbooks_library_guid"), ["guid"], unique=False
        )
        batch_op.create_index(
            "ix_plexbooks_library_last_seen_scan",
            ["section_id", "last_seen_scan"],
            unique=False,
        )
        batch_op.create_index(
            "ix_plexbooks_library_norm_title", ["norm_title"], unique=False
        )

    op.create_table(
        "plexbooks_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_request_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("author", sa.String(length=1024), nullable=True),
        sa.Column("asin", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("plex_rating_key", sa.String(length=64), nullable=True),
        sa.Column("plex_guid", sa.String(length=512), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("downloaded_path", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(), nullable=True),
        sa.Column("available_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plexbooks_requests")),
        sa.UniqueConstraint(
            "host_request_id", name=op.f("uq_plexbooks_requests_host_request_id")
        ),
    )
    with op.batch_alter_table("plexbooks_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plexbooks_requests_asin"), ["asin"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plexbooks_requests_status"), ["status"], unique=False
        )

    op.create_table(
        "plexbooks_scan_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("warning", sa.Text(), nullable=True),
        sa.Column("triggered_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plexbooks_scan_runs")),
    )
    with op.batch_alter_table("plexbooks_scan_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plexbooks_scan_runs_status"), ["status"], unique=False
        )

    op.create_table(
        "plexbooks_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("is_secret", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_plexbooks_settings")),
    )
    op.create_table(
        "plexbooks_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plex_id", sa.BigInteger(), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=True),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("thumb", sa.String(length=1024), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plexbooks_users")),
        sa.UniqueConstraint("plex_id", name=op.f("uq_plexbooks_users_plex_id")),
    )


def downgrade() -> None:
    """Revert this revision."""

    op.drop_table("plexbooks_users")
    op.drop_table("plexbooks_settings")
    with op.batch_alter_table("plexbooks_scan_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plexbooks_scan_runs_status"))

    op.drop_table("plexbooks_scan_runs")
    with op.batch_alter_table("plexbooks_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plexbooks_requests_status"))
        batch_op.drop_index(batch_op.f("ix_plexbooks_requests_asin"))

    op.drop_table("plexbooks_requests")
    with op.batch_alter_table("plexbooks_library", schema=None) as batch_op:
        batch_op.drop_index("ix_plexbooks_library_norm_title")
        batch_op.drop_index("ix_plexbooks_library_last_seen_scan")
        batch_op.drop_index(batch_op.f("ix_plexbooks_library_guid"))
        batch_op.drop_index(batch_op.f("ix_plexbooks_library_asin"))

    op.drop_table("plexbooks_library")
    op.drop_table("plexbooks_leases")
    with op.batch_alter_table("plexbooks_catalog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plexbooks_catalog_asin"))

    op.drop_table("plexbooks_catalog")
