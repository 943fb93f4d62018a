"""Every table, imported here so that one metadata holds them all (Alembic reads it)."""

from sqlmodel import SQLModel

from app.models.article import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleSlugRedirect,
    ArticleStatus,
    ArticleTag,
    RevisionReason,
)
from app.models.auth import ApiToken
from app.models.base import Timestamped
from app.models.comment import Comment, CommentStatus
from app.models.taxonomy import Author, Category, Tag
from app.models.ticker import TickerHeadline

metadata = SQLModel.metadata

__all__ = [
    "ApiToken",
    "Article",
    "ArticleAuthor",
    "ArticleRevision",
    "ArticleSlugRedirect",
    "ArticleStatus",
    "ArticleTag",
    "Author",
    "Category",
    "Comment",
    "CommentStatus",
    "RevisionReason",
    "Tag",
    "TickerHeadline",
    "Timestamped",
    "metadata",
]
