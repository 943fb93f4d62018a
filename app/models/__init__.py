"""Every table, imported here so that one metadata holds them all (Alembic reads it)."""

from sqlmodel import SQLModel

from app.models.article import Article, ArticleAuthor, ArticleStatus, ArticleTag
from app.models.base import Timestamped
from app.models.taxonomy import Author, Category, Tag

metadata = SQLModel.metadata

__all__ = [
    "Article",
    "ArticleAuthor",
    "ArticleStatus",
    "ArticleTag",
    "Author",
    "Category",
    "Tag",
    "Timestamped",
    "metadata",
]
