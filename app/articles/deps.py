"""Article request dependencies: who sees what, which article a write names, and which
version it expects."""

import re
from typing import Annotated

from fastapi import Depends, Header, Path, Query

from app.articles import service
from app.articles.schemas import ArticleListQuery, ArticleView
from app.articles.service import NO_VERSION_NAMED, Expected
from app.auth.deps import ArticleEditor, PrincipalDep, require_scope
from app.auth.scopes import Scope
from app.http.conditional import parse_entity_tags
from app.http.deps import SessionDep


async def _list_query(
    query: Annotated[ArticleListQuery, Query()], principal: PrincipalDep
) -> ArticleListQuery:
    if query.status not in (None, ArticleView.published):
        require_scope(principal, Scope.articles_write)
    return query


ArticleListQueryDep = Annotated[ArticleListQuery, Depends(_list_query)]

# Every article URL has this one parameter, whatever the method.
ArticleRef = Annotated[
    str,
    Path(
        max_length=600,
        description="The article's numeric id (ASCII digits: `٤٢` names no article) or its "
        "slug (raw or percent-encoded, any Unicode normalisation form).",
        examples=["افتتاح-سوق-الحرير-بعد-الترميم", "42"],
    ),
]

# What a slug the article had before answers (app.articles.router.article_moved).
MOVED_READ: dict[int | str, dict[str, str]] = {
    301: {"description": "The slug changed: `Location` has the same URL under the new one."}
}
MOVED_WRITE: dict[int | str, dict[str, str]] = {
    308: {"description": "The slug changed: send the request again to `Location`."}
}


def _article_for_edit(ref: ArticleRef, session: SessionDep, _editor: ArticleEditor) -> int:
    # The token is checked first (it is a sub-dependency): without the scope, a draft's
    # URL answers 401/403 like any other, never a 404 that tells it apart.
    return service.article_id_for_edit(session, ref)


# The id of the article a write names, by id or slug; 404 if there is none.
EditedArticleId = Annotated[int, Depends(_article_for_edit)]


def _expected_version(
    article_id: EditedArticleId,
    if_match: Annotated[
        str | None,
        Header(
            description='The ETag of the version you edited (`"article-42-v3"`): if the '
            "article changed since, the write is refused with 412 and changes nothing.",
        ),
    ] = None,
) -> Expected:
    """The version named by If-Match, None when the client sent none (or ``*``), or
    NO_VERSION_NAMED when it names none of this article's."""
    if if_match is None or if_match.strip() == "*":
        return None
    ours = re.compile(rf"article-{article_id}-v(\d+)(?:-[0-9a-z]+)?")
    for weak, tag in parse_entity_tags(if_match) or []:
        # If-Match uses the strong comparison: a weak tag never matches. The digest a
        # public read adds to the tag is not part of the version an editor edited (a
        # reader's approved comment changes the answer, not the article).
        match = None if weak else ours.fullmatch(tag)
        if match:
            return int(match[1])
    # Refused by the service, once the request is known to be valid.
    return NO_VERSION_NAMED


ExpectedVersion = Annotated[Expected, Depends(_expected_version)]
