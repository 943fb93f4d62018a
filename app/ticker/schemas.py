"""Ticker headlines as the API shows them."""

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from app.articles.schemas import LANG_PATTERN, text_direction
from app.core.clock import utc_now
from app.core.fields import HeadlineLabel, HeadlineText, WebUrl
from app.core.pagination import Page, PageQuery
from app.core.params import ID_MAX, Moment
from app.models import TickerHeadline


class LinkedArticle(BaseModel):
    id: int = Field(examples=[42])
    slug: str | None = Field(
        description="Null while the article is not public, to a token that cannot see "
        "drafts (no `articles:write`).",
        examples=["جولة-مفاوضات-جديدة-في-جنيف"],
    )
    title: str | None = Field(
        description="Null as `slug` is.", examples=["جولة مفاوضات جديدة في جنيف وسط آمالٍ حذِرة"]
    )


class TickerHeadlinePublic(BaseModel):
    id: int = Field(examples=[5])
    text: str = Field(examples=["13 قتيلاً بغاراتٍ جويّة على مواقع في الريف الشرقي"])
    label: str | None = Field(examples=["خاص"], description="Shown before a bar: «خاص | …».")
    lang: str = Field(examples=["ar"])
    dir: Literal["rtl", "ltr"] = Field(examples=["rtl"])
    article: LinkedArticle | None = Field(description="The article it links to, if any.")
    url: str | None = Field(
        description="The page elsewhere it links to, if any.",
        examples=["https://example.org/report"],
    )
    position: int = Field(examples=[0])
    starts_at: datetime | None
    ends_at: datetime | None
    is_active: bool = Field(examples=[True])
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_headline(
        cls, headline: TickerHeadline, *, drafts_visible: bool = False
    ) -> "TickerHeadlinePublic":
        """The headline as a caller sees it: the slug and title of a linked article that
        is not public only to one who may see drafts."""
        article = headline.article
        linked = None
        if article is not None and article.id is not None:
            shown = drafts_visible or article.is_public_at(utc_now())
            linked = LinkedArticle(
                id=article.id,
                slug=article.slug if shown else None,
                title=article.title if shown else None,
            )
        return cls(
            id=headline.id,
            text=headline.text,
            label=headline.label,
            lang=headline.lang,
            dir=text_direction(headline.lang),
            article=linked,
            url=headline.url,
            position=headline.position,
            starts_at=headline.starts_at,
            ends_at=headline.ends_at,
            is_active=headline.is_active,
            created_at=headline.created_at,
            updated_at=headline.updated_at,
        )


class TickerPage(Page[TickerHeadlinePublic]):
    pass


class TickerListQuery(PageQuery):
    all: bool = Field(
        False,
        description="Editors only (`ticker:write`): every headline, including inactive, "
        "expired and future ones.",
    )


class _Window(BaseModel):
    @model_validator(mode="after")
    def _one_link_and_a_real_window(self) -> Self:
        fields = self.model_fields_set
        if getattr(self, "article_id", None) is not None and getattr(self, "url", None):
            raise ValueError("link to an article or to a URL, not both")
        starts_at, ends_at = getattr(self, "starts_at", None), getattr(self, "ends_at", None)
        if starts_at and ends_at and ends_at <= starts_at:
            raise ValueError("ends_at must be after starts_at")
        nulls = {"text", "is_active", "lang"} & {f for f in fields if getattr(self, f) is None}
        if nulls:
            raise ValueError(f"cannot be null: {', '.join(sorted(nulls))}")
        return self


class TickerHeadlineCreate(_Window):
    """A new headline. Sent as one string in the form "label | text" without a label, the
    label is split off."""

    model_config = ConfigDict(extra="forbid")

    text: HeadlineText = Field(examples=["خاص | تعزيزات عسكرية تصل إلى أطراف المدينة"])
    label: HeadlineLabel | None = Field(None, examples=["عاجل"])
    article_id: StrictInt | None = Field(None, ge=1, le=ID_MAX, examples=[42])
    url: WebUrl | None = Field(None, examples=["https://example.org/report"])
    position: StrictInt | None = Field(
        None, ge=0, le=1_000_000, description="Defaults to the end of the bar."
    )
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    is_active: StrictBool = True
    lang: str = Field("ar", pattern=LANG_PATTERN, max_length=12)


class TickerHeadlineUpdate(_Window):
    """A partial update: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    text: HeadlineText | None = None
    label: HeadlineLabel | None = None
    article_id: StrictInt | None = Field(None, ge=1, le=ID_MAX)
    url: WebUrl | None = None
    position: StrictInt | None = Field(None, ge=0, le=1_000_000)
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    is_active: StrictBool | None = None
    lang: str | None = Field(None, pattern=LANG_PATTERN, max_length=12)


class TickerOrder(BaseModel):
    """Headline ids in the order the bar should show them."""

    model_config = ConfigDict(extra="forbid")

    ids: list[StrictInt] = Field(min_length=1, max_length=1000, examples=[[7, 3, 5]])

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("each id may appear once")
        return self
