"""Related articles: the articles an editor pins under another, in order

Revision ID: 20261205_18
Revises: 20261205_17
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_18"
down_revision: str | None = "20261205_17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_related",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_related_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["article.id"],
            name=op.f("fk_article_related_related_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "related_id", name=op.f("pk_article_related")),
    )
    op.create_index(op.f("ix_article_related_related_id"), "article_related", ["related_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_article_related_related_id"), table_name="article_related")
    op.drop_table("article_related")
