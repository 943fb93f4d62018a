"""Categories, tags and authors as the API shows them."""

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from app.core.fields import Description, Name, Slug, WebUrl
from app.core.pagination import Page
from app.media.schemas import MediaEmbed, media_embed
from app.models import Author

MediaRef = Annotated[StrictInt, Field(ge=1, lt=2**31)]


class TermRef(BaseModel):
    """How an article embeds its category, tags and authors."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[3])
    slug: str = Field(examples=["سياسة"])
    name: str = Field(examples=["سياسة"])


class CategoryPublic(TermRef):
    description: str | None = Field(examples=["أخبار السياسة المحلية والدولية"])


class TagPublic(TermRef):
    description: str | None = Field(examples=["كل ما يتعلق بمحادثات السلام"])


class AuthorPublic(TermRef):
    description: str | None = Field(examples=[None])
    bio: str | None = Field(examples=["مراسلة الشؤون الاقتصادية، تكتب من عمّان."])
    avatar_url: str | None = Field(
        description="The avatar: a picture elsewhere, or the original file of `avatar`.",
        examples=["https://cdn.example.com/authors/salma.jpg"],
    )
    avatar: MediaEmbed | None = Field(
        None,
        description="The avatar when it is a picture of the media library, with its "
        "files (the 1:1 crops suit a round portrait).",
    )

    @model_validator(mode="before")
    @classmethod
    def _avatar_of(cls, value: Any) -> Any:
        if isinstance(value, Author) and value.avatar_media is not None:
            avatar = media_embed(value.avatar_media)
            return {
                **{
                    name: getattr(value, name)
                    for name in ("id", "slug", "name", "description", "bio")
                },
                "avatar_url": avatar.url,
                "avatar": avatar,
            }
        return value


class CategoryPage(Page[CategoryPublic]):
    pass


class TagPage(Page[TagPublic]):
    pass


class AuthorPage(Page[AuthorPublic]):
    pass


class TermCreate(BaseModel):
    """A new category, tag or author; ``bio`` and ``avatar_url`` are for authors only."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = Field(None, description="Derived from the name when omitted.")
    name: Name = Field(examples=["اقتصاد"])
    description: Description | None = Field(None, examples=["أسواق، طاقة، وأسعار"])


def _one_avatar(author: Any) -> Any:
    if author.avatar_url is not None and author.avatar_media_id is not None:
        raise ValueError("send avatar_url or avatar_media_id, not both")
    return author


class AuthorCreate(TermCreate):
    bio: Description | None = Field(None, examples=["مراسلة الشؤون الاقتصادية في عمّان."])
    avatar_url: WebUrl | None = Field(None, examples=["https://cdn.example.com/a/salma.jpg"])
    avatar_media_id: MediaRef | None = Field(
        None, description="A picture of the media library (instead of `avatar_url`).", examples=[12]
    )

    _avatar_check = model_validator(mode="after")(_one_avatar)


class TermUpdate(BaseModel):
    """A partial update: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = None
    name: Name | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _slug_and_name_are_not_null(self) -> Self:
        nulls = {"slug", "name"} & {f for f in self.model_fields_set if getattr(self, f) is None}
        if nulls:
            raise ValueError(f"cannot be null: {', '.join(sorted(nulls))}")
        return self


class AuthorUpdate(TermUpdate):
    bio: Description | None = None
    avatar_url: WebUrl | None = None
    avatar_media_id: MediaRef | None = None

    _avatar_check = model_validator(mode="after")(_one_avatar)
