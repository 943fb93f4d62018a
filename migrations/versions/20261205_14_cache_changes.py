"""What commits ended of what the public sees (the SQLite workers' response caches read it)

Revision ID: 20261205_14
Revises: 20261204_13
Create Date: 2026-12-05 01:03:32.084294
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_14"
down_revision: str | None = "20261204_13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cache_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_changes")),
    )


def downgrade() -> None:
    op.drop_table("cache_changes")
