"""Editor API: tokens, article revisions, slug redirects, body text and soft deletes.

Revision ID: 20261129_02
Revises: 20261129_01
"""

import re
from collections.abc import Sequence
from html import unescape

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_02"
down_revision: str | None = "20261129_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_token_prefix")),
    )
    op.create_table(
        "article_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_revision_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_token.id"],
            name=op.f("fk_article_revision_token_id_api_token"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_revision")),
    )
    with op.batch_alter_table("article_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_revision_article_id_id"), ["article_id", "id"], unique=False
        )

    op.create_table(
        "article_slug_redirect",
        sa.Column("old_slug", sa.String(length=200), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_slug_redirect_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("old_slug", name=op.f("pk_article_slug_redirect")),
    )
    with op.batch_alter_table("article_slug_redirect", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_slug_redirect_article_id"), ["article_id"], unique=False
        )

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    _fill_body_text()
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=False)


def _fill_body_text() -> None:
    """Existing articles get the plain text of their (already sanitised) body."""
    connection = op.get_bind()
    article = sa.table("article", sa.column("id"), sa.column("body"), sa.column("body_text"))
    tag = re.compile(r"<[^>]*>")
    for article_id, body in connection.execute(sa.select(article.c.id, article.c.body)).all():
        text = " ".join(unescape(tag.sub(" ", body)).split())
        connection.execute(
            article.update().where(article.c.id == article_id).values(body_text=text)
        )


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("body_text")

    with op.batch_alter_table("article_slug_redirect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_slug_redirect_article_id"))

    op.drop_table("article_slug_redirect")
    with op.batch_alter_table("article_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_revision_article_id_id"))

    op.drop_table("article_revision")
    op.drop_table("api_token")
