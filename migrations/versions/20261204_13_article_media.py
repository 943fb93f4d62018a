"""The media library's pictures an article's body shows.

Revision ID: 20261204_13
Revises: 20261204_12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_13"
down_revision: str | None = "20261204_12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_media",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_media_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_article_media_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "media_id", name=op.f("pk_article_media")),
    )
    with op.batch_alter_table("article_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_media_media_id"), ["media_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("article_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_media_media_id"))

    op.drop_table("article_media")
