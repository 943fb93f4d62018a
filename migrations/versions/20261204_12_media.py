"""The media library: pictures, and the articles and authors showing them.

Revision ID: 20261204_12
Revises: 20261204_11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_12"
down_revision: str | None = "20261204_11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("animated", sa.Boolean(), nullable=False),
        sa.Column("alt", sa.String(length=400), nullable=False),
        sa.Column("caption", sa.String(length=1000), nullable=True),
        sa.Column("credit", sa.String(length=200), nullable=True),
        sa.Column("focal_x", sa.Float(), nullable=False),
        sa.Column("focal_y", sa.Float(), nullable=False),
        sa.Column("text_key", sa.Text(), nullable=False),
        sa.Column("placeholder", sa.Text(), nullable=False),
        sa.Column("dominant_color", sa.String(length=7), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("total_bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_checksum"), ["checksum"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_format"), ["format"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_source_url"), ["source_url"], unique=False)

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("featured_image_media_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_article_featured_image_media_id"),
            ["featured_image_media_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_article_featured_image_media_id_media"),
            "media",
            ["featured_image_media_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_media_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_author_avatar_media_id"), ["avatar_media_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_author_avatar_media_id_media"),
            "media",
            ["avatar_media_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_author_avatar_media_id_media"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_author_avatar_media_id"))
        batch_op.drop_column("avatar_media_id")

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_article_featured_image_media_id_media"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_article_featured_image_media_id"))
        batch_op.drop_column("featured_image_media_id")

    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_source_url"))
        batch_op.drop_index(batch_op.f("ix_media_format"))
        batch_op.drop_index(batch_op.f("ix_media_checksum"))

    op.drop_table("media")
