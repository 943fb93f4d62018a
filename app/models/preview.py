"""Draft previews: secret links that show an article before it is public."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.models.base import created_at_field


class ArticlePreview(SQLModel, table=True):
    """A preview link: the article as it is (or one of its revisions, ``revision_id``)
    until ``expires_at``. Only a SHA-256 digest of its secret is kept; revoking it
    deletes the row."""

    __tablename__ = "article_preview"
    __table_args__ = (Index(None, "article_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    revision_id: int | None = Field(
        default=None, foreign_key="article_revision.id", ondelete="CASCADE"
    )
    digest: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    token_id: int | None = Field(default=None, foreign_key="api_token.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
