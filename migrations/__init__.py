"""Alembic migrations of the plexbooks tables (shipped inside the wheel)."""
