"""Dedupe digests of views as 64-bit numbers, not 64 characters of hex (on SQLite the
table's own key: a view recorded writes one tree, not a table and an index beside it)

The table is made anew: the digests held (the last 30 minutes' readers) are dropped, so a
reader who viewed an article in the half hour before the upgrade may count once more.

Revision ID: 20261206_19
Revises: 20261205_18
Create Date: 2026-12-06 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_19"
down_revision: str | None = "20261205_18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _seen(digest: sa.types.TypeEngine[object]) -> None:
    op.drop_index(op.f("ix_article_view_seen_until"), table_name="article_view_seen")
    op.drop_table("article_view_seen")
    op.create_table(
        "article_view_seen",
        sa.Column("digest", digest, autoincrement=False, nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_article_view_seen")),
    )
    op.create_index(op.f("ix_article_view_seen_until"), "article_view_seen", ["until"])


def upgrade() -> None:
    _seen(sa.BigInteger().with_variant(sa.Integer(), "sqlite"))


def downgrade() -> None:
    _seen(sa.String(length=64))
