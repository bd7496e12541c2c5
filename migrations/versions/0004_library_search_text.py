"""recompute plexbooks_library.norm_title with the library search's own folding

norm_title only serves the library page's search and order. It held the matching analysis'
normalised title (edition and series markers and number words rewritten), which cost a first scan
more than storing the row; it now holds `library_search.search_text` (lower-case words without
accents, punctuation or a leading article), and the search folds the query the same way.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plexbooks_plugin.library_search import search_text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_library = sa.table("plexbooks_library", sa.column("id", sa.Integer), sa.column("title", sa.String),
                    sa.column("norm_title", sa.String))


def _rewrite(fold: object) -> None:
    bind = op.get_bind()
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(_library.c.id, _library.c.title).where(_library.c.id > last_id).order_by(_library.c.id).limit(5000)
        ).all()
        if not rows:
            return
        bind.execute(
            _library.update().where(_library.c.id == sa.bindparam("row_id")).values(norm_title=sa.bindparam("norm")),
            [{"row_id": row_id, "norm": fold(title)[:1024]} for row_id, title in rows],  # type: ignore[operator]
        )
        last_id = rows[-1][0]


def upgrade() -> None:
    """Apply this revision."""
    _rewrite(search_text)


def downgrade() -> None:
    """Revert this revision."""
    from plexbooks_plugin.matching import normalize_title

    _rewrite(normalize_title)
