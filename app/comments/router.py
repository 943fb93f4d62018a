"""Reader comments: posting and reading under each article, moderation under /v1/comments."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.articles.deps import MOVED_READ, MOVED_WRITE, ArticleRef
from app.auth.deps import CommentModerator
from app.comments import service
from app.comments.schemas import (
    CommentAccepted,
    CommentCreate,
    CommentModeration,
    CommentPage,
    CommentUpdate,
    ModerationPage,
    ModerationQuery,
)
from app.comments.service import CommentPolicy
from app.core.db import reading
from app.core.errors import problem_responses
from app.core.pagination import PageQuery, PageQueryDep, build_page
from app.core.params import RowId
from app.http.cache import cache_for, tag
from app.http.client import ClientAddress, ClientKey
from app.http.deps import LimiterDep, ResourcesDep, SessionDep
from app.http.routing import JsonRoute, json_answer

router = APIRouter(route_class=JsonRoute, tags=["comments"])


async def _policy(resources: ResourcesDep) -> CommentPolicy:
    return resources.part(CommentPolicy)


@router.post(
    "/v1/articles/{ref}/comments",
    summary="Post a comment",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CommentAccepted,
    responses={
        201: {
            "model": CommentAccepted,
            "description": "Approved at once (where comments are approved automatically).",
        },
        **MOVED_WRITE,
        **problem_responses(403, 404, 409, 422, 429),
    },
)
def post_comment(
    ref: ArticleRef,
    data: CommentCreate,
    response: Response,
    session: SessionDep,
    client: ClientAddress,
    client_key: ClientKey,
    policy: Annotated[CommentPolicy, Depends(_policy)],
    limiter: LimiterDep,
    user_agent: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> CommentAccepted:
    """Leave a comment under a published article: 202 and `pending` while it waits for a
    moderator (201 and `approved` where comments are approved automatically). The e-mail
    address is required and is never published.

    Limits per client: a few comments a minute (`RateLimit-*` headers say where you
    stand), not two within seconds (429 with `Retry-After`), not the same text twice on
    the same article (409). 403 when comments are closed on the article."""
    posted = service.post_comment(
        session,
        article_ref=ref,
        data=data,
        client=client,
        client_key=client_key,
        user_agent=user_agent,
        policy=policy,
        limiter=limiter,
    )
    response.headers.update(posted.rate.headers())
    if posted.shown_status == "approved":
        response.status_code = status.HTTP_201_CREATED
    return CommentAccepted(id=posted.comment_id, status=posted.shown_status)


@router.get(
    "/v1/articles/{ref}/comments",
    summary="List an article's comments",
    response_model=CommentPage,
    responses={**MOVED_READ, **problem_responses(404, 422)},
    dependencies=[cache_for("comments")],
)
async def list_article_comments(
    ref: ArticleRef, request: Request, response: Response, session: SessionDep, page: PageQueryDep
) -> CommentPage | Response:
    """Approved comments, oldest first; `parent_id` threads the replies."""
    return await run_in_threadpool(_read_comments, ref, request, response, session, page)


def _read_comments(
    ref: str, request: Request, response: Response, session: Session, page: PageQuery
) -> Response:
    """The read, its answer and the end of its transaction in one worker thread."""
    with reading(session):
        article_id, comments, next_cursor = service.list_public_comments(
            session, ref, limit=page.limit, cursor=page.cursor
        )
    tag(response, f"article-{article_id}-comments")
    answer = build_page(
        CommentPage,
        comments,
        limit=page.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )
    return json_answer(answer, response)


@router.get(
    "/v1/comments",
    summary="The moderation queue",
    response_model=ModerationPage,
    responses=problem_responses(401, 403, 404, 422),
)
def list_comments_for_moderation(
    request: Request,
    response: Response,
    session: SessionDep,
    query: Annotated[ModerationQuery, Query()],
    _moderator: CommentModerator,
) -> ModerationPage:
    """Comments in any state, oldest first, with the e-mail addresses and request
    metadata only moderators see. Needs a token with `comments:moderate`."""
    rows, next_cursor = service.list_for_moderation(session, query=query)
    return build_page(
        ModerationPage,
        [CommentModeration.from_comment(row) for row in rows],
        limit=query.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


@router.patch(
    "/v1/comments/{comment_id}",
    summary="Moderate a comment",
    response_model=CommentModeration,
    responses=problem_responses(401, 403, 404, 422),
)
def moderate_comment(
    comment_id: RowId, data: CommentUpdate, session: SessionDep, _moderator: CommentModerator
) -> CommentModeration:
    """Approve, hold, mark as spam or trash a comment, or edit its text. Needs a token with
    `comments:moderate`."""
    return CommentModeration.from_comment(service.moderate(session, comment_id, data=data))


@router.delete(
    "/v1/comments/{comment_id}",
    summary="Trash a comment",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
def trash_comment(comment_id: RowId, session: SessionDep, _moderator: CommentModerator) -> None:
    """Move a comment to the trash: off the page, recoverable with a `PATCH` of its
    status. Needs a token with `comments:moderate`."""
    service.trash(session, comment_id)
