"""Article views by the hour, their dedupe digests and the day's key (most read)

Revision ID: 20261205_17
Revises: 20261205_16
Create Date: 2026-12-05 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_17"
down_revision: str | None = "20261205_16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_view_count",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_view_count_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "hour", name=op.f("pk_article_view_count")),
    )
    op.create_index(op.f("ix_article_view_count_hour"), "article_view_count", ["hour"])
    op.create_table(
        "article_view_seen",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_article_view_seen")),
    )
    op.create_index(op.f("ix_article_view_seen_until"), "article_view_seen", ["until"])
    op.create_table(
        "view_salt",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_view_salt")),
    )


def downgrade() -> None:
    op.drop_table("view_salt")
    op.drop_index(op.f("ix_article_view_seen_until"), table_name="article_view_seen")
    op.drop_table("article_view_seen")
    op.drop_index(op.f("ix_article_view_count_hour"), table_name="article_view_count")
    op.drop_table("article_view_count")
