"""Ticker headlines: the breaking-news bar above every page."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, Relationship

from app.core.db import UTCDateTime
from app.core.lengths import HEADLINE_MAX, LABEL_MAX, URL_MAX
from app.models.article import LANG_MAX, Article
from app.models.base import Timestamped


class TickerHeadline(Timestamped, table=True):
    __tablename__ = "ticker_headline"
    __table_args__ = (
        CheckConstraint("article_id IS NULL OR url IS NULL", name="one_link"),
        CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="window"
        ),
        # The public bar: active ones in position order.
        Index(None, "is_active", "position", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=HEADLINE_MAX)
    label: str | None = Field(default=None, max_length=LABEL_MAX)
    # A headline links to an article, or to a URL elsewhere, or to nothing.
    article_id: int | None = Field(default=None, foreign_key="article.id", ondelete="SET NULL")
    url: str | None = Field(default=None, max_length=URL_MAX)
    position: int = 0
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    is_active: bool = True
    lang: str = Field(default="ar", max_length=LANG_MAX)

    article: Article | None = Relationship()
