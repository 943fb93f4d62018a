"""``GET /v1/search``."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.articles.schemas import ArticleListItem, article_keys
from app.caching import cache_for, tag
from app.db import SessionDep
from app.errors import problem_responses
from app.openapi import FIELDS_SELECTION
from app.pagination import build_page, select_fields
from app.routing import JsonRoute
from app.search import service
from app.search.schemas import SearchHit, SearchPage, SearchQuery

router = APIRouter(route_class=JsonRoute, prefix="/v1/search", tags=["search"])


@router.get(
    "",
    summary="Search published articles",
    response_model=SearchPage,
    responses=problem_responses(422),
    openapi_extra={FIELDS_SELECTION: True},
    dependencies=[cache_for("list")],
)
def search_articles(
    request: Request,
    response: Response,
    session: SessionDep,
    query: Annotated[SearchQuery, Query()],
) -> SearchPage | Response:
    """Arabic-aware full-text search over published articles, best match first: "الاستانة"
    finds "بالآستانة", "يعقب" finds "يعقِّب", "30 ديسمبر" finds "٣٠ ديسمبر", "مفاوضات"
    finds "المفاوضات". Every word must match; "quoted words" match as a phrase. Takes the
    filters of the article list. Each hit has a `snippet` with the matches in `<mark>`."""
    hits, next_cursor = service.search(session, query=query)
    tag(response, "articles", *(key for hit in hits for key in article_keys(hit.article)))
    page = build_page(
        SearchPage,
        [
            SearchHit(
                **ArticleListItem.from_article(hit.article).model_dump(),
                snippet=hit.snippet,
                match=hit.match,
            )
            for hit in hits
        ],
        limit=query.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )
    return select_fields(page, query.fields, response)
