"""Articles and their links to tags and authors."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Enum, Index, Text
from sqlmodel import Field, Relationship, SQLModel

from app.db import UTCDateTime
from app.models.base import NAME_MAX, SLUG_MAX, URL_MAX, Timestamped
from app.models.taxonomy import Author, Category, Tag

TITLE_MAX = 300
EXCERPT_MAX = 1000
LANG_MAX = 12


class ArticleStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class ArticleTag(SQLModel, table=True):
    __tablename__ = "article_tag"
    __table_args__ = (Index(None, "tag_id"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="RESTRICT")


class ArticleAuthor(SQLModel, table=True):
    """A byline: ``position`` keeps the authors in the order the editor gave them."""

    __tablename__ = "article_author"
    __table_args__ = (Index(None, "author_id"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="author.id", primary_key=True, ondelete="RESTRICT")
    position: int = Field(default=0)


class Article(Timestamped, table=True):
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
        # The public list: published, due, newest first (keyset on published_at, id).
        Index(None, "status", "published_at", "id"),
        Index(None, "category_id", "published_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=SLUG_MAX, unique=True)
    title: str = Field(max_length=TITLE_MAX)
    subtitle: str | None = Field(default=None, max_length=TITLE_MAX)
    excerpt: str | None = Field(default=None, max_length=EXCERPT_MAX)
    body: str = Field(default="", sa_type=Text)
    lang: str = Field(default="ar", max_length=LANG_MAX)
    status: ArticleStatus = Field(
        default=ArticleStatus.draft,
        # Stored as its value in a VARCHAR; the named CHECK above guards the values.
        sa_column=Column(
            Enum(
                ArticleStatus,
                native_enum=False,
                create_constraint=False,
                length=16,
                values_callable=lambda enum: [member.value for member in enum],
            ),
            nullable=False,
        ),
    )
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    is_exclusive: bool = False
    is_breaking: bool = False
    category_id: int | None = Field(default=None, foreign_key="category.id", ondelete="RESTRICT")
    featured_image_url: str | None = Field(default=None, max_length=URL_MAX)
    featured_image_alt: str | None = Field(default=None, max_length=NAME_MAX * 2)
    featured_image_caption: str | None = Field(default=None, max_length=EXCERPT_MAX)
    featured_image_credit: str | None = Field(default=None, max_length=NAME_MAX)
    comments_enabled: bool = True
    version: int = 1
    word_count: int = 0
    reading_time_minutes: int = 0

    category: Category | None = Relationship()
    tags: list[Tag] = Relationship(
        link_model=ArticleTag, sa_relationship_kwargs={"order_by": "Tag.id", "viewonly": True}
    )
    authors: list[Author] = Relationship(
        link_model=ArticleAuthor,
        sa_relationship_kwargs={"order_by": "ArticleAuthor.position", "viewonly": True},
    )
