"""Search requests and answers."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.articles.schemas import ArticleFilters, ArticleListItem
from app.core.pagination import Page, PageQuery, field_selection

MAX_QUERY_LENGTH = 200


class SearchHit(ArticleListItem):
    snippet: str = Field(
        description="Plain text around the first match, HTML-escaped, with the matched "
        "words in `<mark>`.",
        examples=["… ترحب بلاده <mark>بالمفاوضات</mark> المرتقبة بشأن سوريا …"],
    )
    match: Literal["exact", "fuzzy"] = Field(
        description="`fuzzy`: no exact match, but a close spelling of every word (a name "
        "transliterated another way). Fuzzy hits follow the exact ones.",
        examples=["exact"],
    )


class SearchQuery(PageQuery, ArticleFilters):
    fields: str | None = field_selection(SearchHit)
    q: str = Field(
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        description='Words to find, in any spelling; "quoted words" match as a phrase.',
        examples=["مفاوضات الاستانة", '"وقف إطلاق النار"'],
    )


class SearchPage(Page[SearchHit]):
    pass


class RelatedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(5, ge=1, le=20, description="How many.", examples=[5])


class RelatedItem(ArticleListItem):
    pinned: bool = Field(
        description="Chosen by an editor (the article's `related`); the others are "
        "automatic matches.",
        examples=[True],
    )


class RelatedList(BaseModel):
    data: list[RelatedItem]
