"""Every table, imported here so that one metadata holds them all (Alembic reads it)."""

from typing import Any

from sqlalchemy import event
from sqlmodel import SQLModel

from app.models.article import (
    Article,
    ArticleAuthor,
    ArticleMedia,
    ArticleRelated,
    ArticleRevision,
    ArticleSlugRedirect,
    ArticleStatus,
    ArticleTag,
    RevisionReason,
)
from app.models.auth import ApiToken
from app.models.base import Timestamped
from app.models.changes import CacheChange
from app.models.comment import Comment, CommentStatus
from app.models.imports import ImportRecord, ImportSource
from app.models.media import Media
from app.models.preview import ArticlePreview
from app.models.taxonomy import Author, Category, Tag
from app.models.ticker import TickerHeadline
from app.models.views import ArticleViewCount, ArticleViewSeen, ViewSalt
from app.models.webhook import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.text.arabic import search_key

metadata = SQLModel.metadata


def _keep_slug_key(_mapper: Any, _connection: Any, target: Any) -> None:
    target.slug_key = search_key(target.slug)


# Every ORM write of a slug writes its matching form too.
for _model in (Article, Category, Tag, Author):
    event.listen(_model, "before_insert", _keep_slug_key)
    event.listen(_model, "before_update", _keep_slug_key)

__all__ = [
    "ApiToken",
    "Article",
    "ArticleAuthor",
    "ArticleMedia",
    "ArticlePreview",
    "ArticleRelated",
    "ArticleRevision",
    "ArticleSlugRedirect",
    "ArticleStatus",
    "ArticleTag",
    "ArticleViewCount",
    "ArticleViewSeen",
    "Author",
    "CacheChange",
    "Category",
    "Comment",
    "CommentStatus",
    "DeliveryStatus",
    "ImportRecord",
    "ImportSource",
    "Media",
    "RevisionReason",
    "Tag",
    "TickerHeadline",
    "Timestamped",
    "ViewSalt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "metadata",
]
