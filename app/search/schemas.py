"""Search requests and answers."""

from typing import Literal

from pydantic import Field

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
