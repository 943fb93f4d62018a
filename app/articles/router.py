"""Public article reads under ``/v1/articles``."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.articles import service
from app.articles.schemas import ArticleListItem, ArticleListQuery, ArticlePage, ArticlePublic
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import build_page

router = APIRouter(prefix="/v1/articles", tags=["articles"])

ArticleRef = Annotated[
    str,
    Path(
        max_length=600,
        description="A slug (raw or percent-encoded, any Unicode normalisation form) "
        "or a numeric id.",
        examples=["افتتاح-سوق-الحرير-بعد-الترميم", "42"],
    ),
]


@router.get(
    "",
    summary="List published articles",
    response_model=ArticlePage,
    responses=problem_responses(422),
)
def list_articles(
    request: Request,
    response: Response,
    session: SessionDep,
    query: Annotated[ArticleListQuery, Query()],
) -> ArticlePage:
    """Published articles whose time has come, newest first, without their bodies.

    Page with `limit` and the opaque `cursor` from `meta.next_cursor` (also in the
    `Link: <…>; rel="next"` header). Filters combine with AND; an unknown category, tag
    or author slug is a 422, not an empty list.
    """
    articles, next_cursor = service.list_public_articles(session, query=query)
    return build_page(
        ArticlePage,
        [ArticleListItem.from_article(article) for article in articles],
        limit=query.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


@router.get(
    "/{ref}",
    summary="Get a published article",
    response_model=ArticlePublic,
    responses=problem_responses(404, 422),
)
def get_article(session: SessionDep, ref: ArticleRef) -> ArticlePublic:
    """One published article with its body, by slug or id.

    Drafts, archived and scheduled articles are a 404 here, exactly like articles that
    never existed.
    """
    return ArticlePublic.from_article(service.get_public_article(session, ref))
