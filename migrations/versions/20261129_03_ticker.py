"""Ticker headlines: the breaking-news bar.

Revision ID: 20261129_03
Revises: 20261129_02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_03"
down_revision: str | None = "20261129_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticker_headline",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("lang", sa.String(length=12), nullable=False),
        sa.CheckConstraint(
            "article_id IS NULL OR url IS NULL", name=op.f("ck_ticker_headline_one_link")
        ),
        sa.CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at",
            name=op.f("ck_ticker_headline_window"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_ticker_headline_article_id_article"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticker_headline")),
    )
    with op.batch_alter_table("ticker_headline", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticker_headline_is_active_position_id"),
            ["is_active", "position", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ticker_headline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticker_headline_is_active_position_id"))

    op.drop_table("ticker_headline")
