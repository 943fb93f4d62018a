"""Reader comments, and the approved-comment count on articles.

Revision ID: 20261129_04
Revises: 20261129_03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_04"
down_revision: str | None = "20261129_03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("author_email", sa.String(length=254), nullable=False),
        sa.Column("author_url", sa.String(length=2048), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "spam",
                "trash",
                name="commentstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("held_reason", sa.String(length=32), nullable=True),
        sa.Column("client_ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'spam', 'trash')", name=op.f("ck_comment_status")
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_comment_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comment.id"],
            name=op.f("fk_comment_parent_id_comment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_article_id_author_email_body_hash"),
            ["article_id", "author_email", "body_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_comment_article_id_status_id"),
            ["article_id", "status", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_comment_status_id"), ["status", "id"], unique=False)

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment_count", sa.Integer(), nullable=True))
    op.execute("UPDATE article SET comment_count = 0")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.alter_column("comment_count", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("comment_count")

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_status_id"))
        batch_op.drop_index(batch_op.f("ix_comment_article_id_status_id"))
        batch_op.drop_index(batch_op.f("ix_comment_article_id_author_email_body_hash"))

    op.drop_table("comment")
