"""Categories, tags and authors as the API shows them."""

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.fields import Description, Name, Slug, WebUrl
from app.core.pagination import Page


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
    avatar_url: str | None = Field(examples=["https://cdn.example.com/authors/salma.jpg"])


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


class AuthorCreate(TermCreate):
    bio: Description | None = Field(None, examples=["مراسلة الشؤون الاقتصادية في عمّان."])
    avatar_url: WebUrl | None = Field(None, examples=["https://cdn.example.com/a/salma.jpg"])


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
