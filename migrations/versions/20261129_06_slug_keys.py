"""Slug keys: the matching form of every slug, so look-ups forgive spelling variants.

Revision ID: 20261129_06
Revises: 20261129_05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.text.arabic import search_key

revision: str = "20261129_06"
down_revision: str | None = "20261129_05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("article", "author", "category", "tag")


def upgrade() -> None:
    connection = op.get_bind()
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("slug_key", sa.String(length=200), nullable=True))
        rows = sa.table(name, sa.column("id"), sa.column("slug"), sa.column("slug_key"))
        for row_id, slug in connection.execute(sa.select(rows.c.id, rows.c.slug)).all():
            connection.execute(
                rows.update().where(rows.c.id == row_id).values(slug_key=search_key(slug))
            )
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column("slug_key", existing_type=sa.String(length=200), nullable=False)
            batch_op.create_index(batch_op.f(f"ix_{name}_slug_key"), ["slug_key"], unique=False)


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_slug_key"))
            batch_op.drop_column("slug_key")
