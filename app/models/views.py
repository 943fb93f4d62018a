"""Article views, for "most read": counts by the hour, and what dedupes them."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class ArticleViewCount(SQLModel, table=True):
    """How many readers viewed an article in one clock hour (UTC)."""

    __tablename__ = "article_view_count"
    __table_args__ = (Index(None, "hour"),)

    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE", primary_key=True)
    hour: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    views: int = 0


# A signed 64-bit number: on SQLite the table's own key (INTEGER PRIMARY KEY), so that
# recording a view writes one tree, not a table and an index of long text beside it.
DIGEST = BigInteger().with_variant(Integer(), "sqlite")


class ArticleViewSeen(SQLModel, table=True):
    """A view counted lately: a keyed digest of the reader and the article (never the
    address or the user agent; 64 bits of an HMAC-SHA256), kept until ``until`` so that
    the reader's next views of the article within the dedupe window count nothing."""

    __tablename__ = "article_view_seen"
    __table_args__ = (Index(None, "until"),)

    digest: int = Field(sa_type=DIGEST, primary_key=True, sa_column_kwargs={"autoincrement": False})
    until: datetime = Field(sa_type=UTCDateTime)


class ViewSalt(SQLModel, table=True):
    """The day's random key of those digests: a new one each day (UTC), so that a digest
    says nothing about the same reader on another day."""

    __tablename__ = "view_salt"

    day: str = Field(max_length=10, primary_key=True)
    salt: str = Field(max_length=64)
