"""Comments: duplicates by client, not by e-mail address (a key unique per article,
client and text), so the answer to a repost is no oracle for addresses.

Revision ID: 20261204_10
Revises: 20261129_09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_10"
down_revision: str | None = "20261129_09"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_comment_duplicate_key"), ["duplicate_key"])
        batch_op.drop_index(batch_op.f("ix_comment_article_id_author_email_body_hash"))


def downgrade() -> None:
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_article_id_author_email_body_hash"),
            ["article_id", "author_email", "body_hash"],
            unique=False,
        )
        batch_op.drop_constraint(batch_op.f("uq_comment_duplicate_key"), type_="unique")
        batch_op.drop_column("duplicate_key")
