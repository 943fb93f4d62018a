"""Articles and their links to tags and authors."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ColumnElement, Enum, Index, Text, and_
from sqlalchemy.orm import declared_attr
from sqlalchemy.sql import FromClause
from sqlmodel import Field, Relationship, SQLModel

from app.core.db import UTCDateTime
from app.core.lengths import EXCERPT_MAX, NAME_MAX, TITLE_MAX, URL_MAX
from app.models.base import Timestamped, created_at_field
from app.models.media import Media
from app.models.taxonomy import Author, Category, Tag
from app.text.slugs import SLUG_MAX

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


class ArticleMedia(SQLModel, table=True):
    """A picture of the media library that an article's body shows (``<img
    data-media-id>``): kept on every write of the body."""

    __tablename__ = "article_media"
    __table_args__ = (Index(None, "media_id"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    media_id: int = Field(foreign_key="media.id", primary_key=True, ondelete="CASCADE")


class ArticleAuthor(SQLModel, table=True):
    """A byline: ``position`` keeps the authors in the order the editor gave them."""

    __tablename__ = "article_author"
    __table_args__ = (Index(None, "author_id"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="author.id", primary_key=True, ondelete="RESTRICT")
    position: int = Field(default=0)


class ArticleRelated(SQLModel, table=True):
    """An article an editor pinned under another as related ("read also"), in the order
    the editor gave."""

    __tablename__ = "article_related"
    __table_args__ = (Index(None, "related_id"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    related_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(default=0)


class Article(Timestamped, table=True):
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
        # The public list: published, due, newest first (keyset on published_at, id).
        Index(None, "status", "published_at", "id"),
        # Each public filter, then the list's order.
        Index(None, "category_id", "published_at"),
        Index(None, "is_breaking", "published_at"),
        Index(None, "is_exclusive", "published_at"),
        Index(None, "lang", "published_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=SLUG_MAX, unique=True)
    # search_key(slug), kept by an ORM event: finds "مدرسه" for "مدرسة", "الاستانة" for
    # "الآستانة" when no slug matches exactly.
    slug_key: str = Field(default="", max_length=SLUG_MAX, index=True)
    title: str = Field(max_length=TITLE_MAX)
    subtitle: str | None = Field(default=None, max_length=TITLE_MAX)
    excerpt: str | None = Field(default=None, max_length=EXCERPT_MAX)
    body: str = Field(default="", sa_type=Text)
    # The body as plain text: for search, counts and derived excerpts.
    body_text: str = Field(default="", sa_type=Text)
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
    # A picture of the media library; the fields above then override its alt, caption
    # and credit where set.
    featured_image_media_id: int | None = Field(
        default=None, foreign_key="media.id", ondelete="SET NULL", index=True
    )
    comments_enabled: bool = True
    # Set by DELETE: out of every view but an editor's, and recoverable until purged.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    word_count: int = 0
    reading_time_minutes: int = 0
    # Approved comments, kept in step by every moderation change.
    comment_count: int = 0

    @declared_attr  # type: ignore[arg-type]
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        # Optimistic locking: every UPDATE says "WHERE version = <what I read>" and bumps
        # it, so of two concurrent edits the second fails instead of overwriting.
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]

    category: Category | None = Relationship()
    # Loaded with the article, always: every answer that shows an article shows its picture.
    featured_media: Media | None = Relationship(sa_relationship_kwargs={"lazy": "joined"})
    # Loaded when the body is shown, and holds pictures.
    body_media: list[Media] = Relationship(
        link_model=ArticleMedia, sa_relationship_kwargs={"viewonly": True}
    )
    tags: list[Tag] = Relationship(
        link_model=ArticleTag, sa_relationship_kwargs={"order_by": "Tag.id", "viewonly": True}
    )
    authors: list[Author] = Relationship(
        link_model=ArticleAuthor,
        sa_relationship_kwargs={"order_by": "ArticleAuthor.position", "viewonly": True},
    )

    # Loaded when the whole article is shown.
    related_links: list[ArticleRelated] = Relationship(
        sa_relationship_kwargs={
            "primaryjoin": "Article.id == ArticleRelated.article_id",
            "order_by": "ArticleRelated.position",
            "viewonly": True,
        }
    )

    @property
    def related(self) -> list[int]:
        """The ids of the articles pinned under it as related, in order (any status)."""
        return [link.related_id for link in self.related_links]

    # Who may see an article, in both forms, here and nowhere else: for one loaded
    # article (these methods) and in queries (``public_at``, ``scheduled_at`` below).

    def is_public_at(self, now: datetime) -> bool:
        """Published, due and not deleted: what the public may see of it, anywhere it is
        embedded."""
        moment = self._publication()
        return moment is not None and moment <= now

    def is_scheduled_at(self, now: datetime) -> bool:
        """Published for a moment still to come: public then, by itself."""
        moment = self._publication()
        return moment is not None and moment > now

    def _publication(self) -> datetime | None:
        """When it is, or will be, public; None for a draft, an archived or deleted one."""
        live = self.status is ArticleStatus.published and self.deleted_at is None
        return self.published_at if live else None


def public_at(
    now: datetime | ColumnElement[datetime], table: FromClause | None = None
) -> ColumnElement[bool]:
    """``Article.is_public_at`` as a WHERE clause (``now`` may be a bound parameter), of
    the article table or an alias of it."""
    columns = (table if table is not None else Article.__table__).c  # type: ignore[attr-defined]
    return and_(_published_live(columns), columns.published_at <= now)


def scheduled_at(now: datetime) -> ColumnElement[bool]:
    """``Article.is_scheduled_at`` as a WHERE clause."""
    columns = Article.__table__.c  # type: ignore[attr-defined]
    return and_(_published_live(columns), columns.published_at > now)


def _published_live(columns: Any) -> ColumnElement[bool]:
    return and_(columns.status == ArticleStatus.published, columns.deleted_at.is_(None))


class RevisionReason(StrEnum):
    update = "update"
    delete = "delete"
    undelete = "undelete"
    restore = "restore"


class ArticleRevision(SQLModel, table=True):
    """The article as it was before a change: a snapshot in the shape of a write request."""

    __tablename__ = "article_revision"
    __table_args__ = (Index(None, "article_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    version: int
    reason: str = Field(max_length=16)
    snapshot: dict[str, Any] = Field(sa_type=JSON)
    token_id: int | None = Field(default=None, foreign_key="api_token.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()


class ArticleSlugRedirect(SQLModel, table=True):
    """A slug an article had before: it still finds the article, which says where it moved."""

    __tablename__ = "article_slug_redirect"
    __table_args__ = (Index(None, "article_id"),)

    old_slug: str = Field(max_length=SLUG_MAX, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    created_at: datetime = created_at_field()
