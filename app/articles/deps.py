"""Article request dependencies: who sees what, and which version a write expects."""

import re
from typing import Annotated

from fastapi import Depends, Header, Query

from app.articles.schemas import ArticleListQuery, ArticleView
from app.auth.deps import PrincipalDep, require_scope
from app.auth.scopes import Scope
from app.conditional import parse_entity_tags
from app.params import RowId


def _list_query(
    query: Annotated[ArticleListQuery, Query()], principal: PrincipalDep
) -> ArticleListQuery:
    if query.status not in (None, ArticleView.published):
        require_scope(principal, Scope.articles_write)
    return query


ArticleListQueryDep = Annotated[ArticleListQuery, Depends(_list_query)]


# What If-Match gives when it names no version of the article (versions start at 1).
NO_VERSION = 0


def _expected_version(
    article_id: RowId,
    if_match: Annotated[
        str | None,
        Header(
            description='The ETag of the version you edited (`"article-42-v3"`): if the '
            "article changed since, the write is refused with 412 and changes nothing.",
        ),
    ] = None,
) -> int | None:
    """The version named by If-Match, or None when the client sent none (or ``*``)."""
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
    # Refused by the service, once the article is known to exist and the request is valid.
    return NO_VERSION


ExpectedVersion = Annotated[int | None, Depends(_expected_version)]
