"""Search: on SQLite, a view of how many articles hold each trigram, so the close-spelling
fallback looks for a word's rarest trigrams only (its commonest are in half the corpus).

Revision ID: 20261204_11
Revises: 20261204_10
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261204_11"
down_revision: str | None = "20261204_10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE article_trigram_vocab USING fts5vocab(article_trigram, 'row')"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TABLE article_trigram_vocab")
