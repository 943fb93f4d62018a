"""Full-text search: the normalised article index (FTS5 on SQLite, tsvector on PostgreSQL).

Revision ID: 20261129_05
Revises: 20261129_04
"""

from collections.abc import Sequence

from alembic import op
from sqlmodel import Session

from app.search.index import create_index_tables, drop_index_tables, rebuild_index

revision: str = "20261129_05"
down_revision: str | None = "20261129_04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    create_index_tables(connection)
    # The index is derived data: fill it with today's code, whatever the revision.
    with Session(bind=connection) as session:
        rebuild_index(session)


def downgrade() -> None:
    drop_index_tables(op.get_bind())
