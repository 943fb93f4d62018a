"""An index for each public filter of the article list, in the list's order.

Revision ID: 20261129_07
Revises: 20261129_06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261129_07"
down_revision: str | None = "20261129_06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_is_breaking_published_at"),
            ["is_breaking", "published_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_article_is_exclusive_published_at"),
            ["is_exclusive", "published_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_article_lang_published_at"), ["lang", "published_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_lang_published_at"))
        batch_op.drop_index(batch_op.f("ix_article_is_exclusive_published_at"))
        batch_op.drop_index(batch_op.f("ix_article_is_breaking_published_at"))
