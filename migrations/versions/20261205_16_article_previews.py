"""Draft previews: secret links to an article (or one of its revisions) before it is public

Revision ID: 20261205_16
Revises: 20261205_15
Create Date: 2026-12-05 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_16"
down_revision: str | None = "20261205_15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_preview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_preview_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["article_revision.id"],
            name=op.f("fk_article_preview_revision_id_article_revision"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_token.id"],
            name=op.f("fk_article_preview_token_id_api_token"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_preview")),
        sa.UniqueConstraint("digest", name=op.f("uq_article_preview_digest")),
    )
    op.create_index(
        op.f("ix_article_preview_article_id_id"), "article_preview", ["article_id", "id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_article_preview_article_id_id"), table_name="article_preview")
    op.drop_table("article_preview")
