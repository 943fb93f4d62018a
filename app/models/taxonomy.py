"""Category, Tag and Author: the ways articles are grouped and bylined."""

from sqlalchemy import Text
from sqlmodel import Field, Relationship

from app.core.lengths import NAME_MAX, URL_MAX
from app.models.base import Timestamped
from app.models.media import Media
from app.text.slugs import SLUG_MAX


class TaxonomyTerm(Timestamped):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=SLUG_MAX, unique=True)
    slug_key: str = Field(default="", max_length=SLUG_MAX, index=True)
    name: str = Field(max_length=NAME_MAX)
    description: str | None = Field(default=None, sa_type=Text)


class Category(TaxonomyTerm, table=True):
    pass


class Tag(TaxonomyTerm, table=True):
    pass


class Author(TaxonomyTerm, table=True):
    bio: str | None = Field(default=None, sa_type=Text)
    avatar_url: str | None = Field(default=None, max_length=URL_MAX)
    avatar_media_id: int | None = Field(
        default=None, foreign_key="media.id", ondelete="SET NULL", index=True
    )
    avatar_media: Media | None = Relationship(sa_relationship_kwargs={"lazy": "joined"})
