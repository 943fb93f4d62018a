"""Articles under ``/v1/articles``: public reads, and editor writes with a token."""

from collections.abc import Sequence
from email.utils import format_datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.articles import previews, reads, service, views
from app.articles.beacons import COUNTED
from app.articles.deps import (
    MOVED_READ,
    MOVED_WRITE,
    ArticleListQueryDep,
    ArticleRef,
    EditedArticleId,
    ExpectedVersion,
)
from app.articles.schemas import (
    ArticleCreate,
    ArticleData,
    ArticleListItem,
    ArticleListQuery,
    ArticlePage,
    ArticlePublic,
    ArticleRevisionPublic,
    ArticleUpdate,
    ArticleView,
    PopularItem,
    PopularPage,
    PopularQuery,
    PreviewCreate,
    PreviewCreated,
    PreviewList,
    PreviewPublic,
    RevisionPage,
    article_keys,
)
from app.auth.deps import Admin, ArticleEditor, ArticleEditorView
from app.core.clock import utc_now
from app.core.db import reading
from app.core.errors import localized_problem, problem_responses
from app.core.pagination import PageQueryDep, build_page, select_fields
from app.core.params import ID_MAX
from app.http.cache import cache_for, tag
from app.http.client import ClientKey
from app.http.conditional import entity_tag
from app.http.deps import ResourcesDep, SessionDep, SettingsDep
from app.http.limits import within_rate
from app.http.openapi import FIELDS_SELECTION, TOKEN_OPTIONAL
from app.http.routing import JsonRoute, json_answer

router = APIRouter(route_class=JsonRoute, prefix="/v1/articles", tags=["articles"])
preview_router = APIRouter(route_class=JsonRoute, prefix="/v1/previews", tags=["articles"])

RevisionId = Annotated[int, Path(ge=1, le=ID_MAX, description="Revision id.")]

WRITE_PROBLEMS = problem_responses(401, 403, 404, 409, 412, 422)
OPTIONAL_TOKEN: dict[str, Any] = {TOKEN_OPTIONAL: True}


async def article_moved(request: Request, exc: Exception) -> Response:
    """A slug an article had before: the same URL with the slug it has now (the rest of
    the path, such as ``/views``, and the query kept). 301 for a read; 308 for anything
    else, which the client sends again, body and all, to the new URL."""
    assert isinstance(exc, service.ArticleMoved)
    _, _, rest = request.url.path.removeprefix("/v1/articles/").partition("/")
    location = f"/v1/articles/{quote(exc.slug)}" + (f"/{rest}" if rest else "")
    if request.url.query:
        location += f"?{request.url.query}"
    status = 301 if request.method in ("GET", "HEAD") else 308
    return localized_problem(
        request, status, exc.detail, exc.arabic, headers={"Location": location}
    )


def article_etag(article: ArticleData) -> str:
    """Its version. A public read adds a digest of the answer's bytes to it."""
    assert article.id is not None
    return entity_tag("article", article.id, article.version)


def _article_answer(response: Response, article: ArticleData) -> ArticlePublic:
    response.headers["ETag"] = article_etag(article)
    return ArticlePublic.from_article(article)


@router.get(
    "",
    summary="List articles",
    response_model=ArticlePage,
    openapi_extra={**OPTIONAL_TOKEN, FIELDS_SELECTION: True},
    responses=problem_responses(401, 403, 422),
    dependencies=[cache_for("list")],
)
async def list_articles(
    request: Request, response: Response, session: SessionDep, query: ArticleListQueryDep
) -> ArticlePage | Response:
    """Published articles whose time has come, newest first, without their bodies.

    Page with `limit` and the opaque `cursor` from `meta.next_cursor` (also in the
    `Link: <…>; rel="next"` header). Filters combine with AND; an unknown category, tag
    or author slug is a 422, not an empty list. With a token holding `articles:write`,
    `status` also lists drafts, scheduled, archived and deleted articles. `fields` trims
    each item to the fields named (`fields=id,slug,title`).
    """
    return await run_in_threadpool(_read_list, request, response, session, query)


def _read_list(
    request: Request, response: Response, session: Session, query: ArticleListQuery
) -> Response:
    """The read, its answer and the end of its transaction in one worker thread: the
    public list lean (app.articles.reads), an editor's views through the ORM."""
    articles: Sequence[ArticleData]
    with reading(session):
        if query.status in (None, ArticleView.published):
            articles, next_cursor = reads.public_list(session, query=query)
        else:
            articles, next_cursor = service.list_articles(session, query=query)
        tag(response, "articles", *(key for article in articles for key in article_keys(article)))
        page = build_page(
            ArticlePage,
            [ArticleListItem.from_article(article) for article in articles],
            limit=query.limit,
            next_cursor=next_cursor,
            request=request,
            response=response,
        )
    selected = select_fields(page, query.fields, response)
    return selected if isinstance(selected, Response) else json_answer(selected, response)


async def _views(resources: ResourcesDep) -> views.ViewCounter:
    return resources.part(views.ViewCounter)


ViewCounterDep = Annotated[views.ViewCounter, Depends(_views)]


@router.get(
    "/popular",
    summary="Most read articles",
    response_model=PopularPage,
    responses=problem_responses(422, 503),
    dependencies=[cache_for("popular")],
)
def list_popular_articles(
    response: Response,
    session: SessionDep,
    counter: ViewCounterDep,
    query: Annotated[PopularQuery, Query()],
) -> PopularPage:
    """The public articles readers viewed most within `window` (views counted with
    `POST /v1/articles/{ref}/views`), most first, optionally of one category. A short
    `Cache-Control`: the counts move all the time."""
    shown = views.most_read(session, counter, query, utc_now())
    tag(response, "articles", *(key for article, _ in shown for key in article_keys(article)))
    return PopularPage(
        window=query.window,
        data=[
            PopularItem(**ArticleListItem.from_article(article).model_dump(), views=count)
            for article, count in shown
        ],
    )


@router.post(
    "/{ref}/views",
    summary="Count a view",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # no body, no type (as answered before the framework)
    responses={
        **MOVED_WRITE,
        **problem_responses(404, 422, 429, 503),
    },
)
def count_article_view(
    ref: ArticleRef,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientKey,
    counter: ViewCounterDep,
) -> None:
    """A reader viewed the article: no token, no cookie, no body, so a page can send it
    with `navigator.sendBeacon`. Counted once per reader per article per 30 minutes;
    known bots count nothing. Readers are told apart by a keyed digest of their address
    and user agent that changes daily, never stored beyond the 30 minutes (SECURITY.md).
    `AKHBAR_VIEWS_RATE_LIMIT` beacons per client and server worker (429 beyond)."""
    limit, window = settings.views_rate
    within_rate(
        counter.limiter,
        f"views:{client}",
        limit=limit,
        window_seconds=window,
        english="views",
        arabic="مشاهدة",
    )
    article = reads.public_article_key(session, ref)
    counter.viewed(article.id, client, request.headers.get("user-agent"), utc_now())
    # The next beacons for it are answered before the framework (app.articles.beacons).
    request.scope[COUNTED] = article.id


@router.get(
    "/{ref}",
    summary="Get an article",
    response_model=ArticlePublic,
    openapi_extra=OPTIONAL_TOKEN,
    responses={
        **MOVED_READ,
        304: {"description": "Not modified since the ETag in `If-None-Match`."},
        **problem_responses(401, 404, 422),
    },
    dependencies=[cache_for("article")],
)
async def get_article(
    response: Response,
    session: SessionDep,
    ref: ArticleRef,
    editor: ArticleEditorView,
) -> ArticlePublic | Response:
    """One article with its body, by slug or id, with an `ETag` for conditional requests
    (`If-None-Match` → 304) and for `If-Match` on a later `PATCH`.

    Drafts, archived, deleted and scheduled articles are a 404 to the public, exactly like
    articles that never existed; a token with `articles:write` sees them, except a deleted
    one: after a DELETE its URL is a 404 for everyone (editors list it with
    `status=deleted` and bring it back with `undelete`).
    """
    return await run_in_threadpool(_read_article, response, session, ref, editor)


def _read_article(response: Response, session: Session, ref: str, editor: bool) -> Response:
    """The read, its answer and the end of its transaction in one worker thread: the
    public's lean (app.articles.reads), an editor's with drafts and scheduled articles."""
    article: ArticleData
    with reading(session):
        if editor:
            article = service.get_article(session, ref, editor=True)
        else:
            article = reads.public_article(session, ref)
        tag(response, *article_keys(article))
        response.headers["Last-Modified"] = format_datetime(article.updated_at, usegmt=True)
        return json_answer(_article_answer(response, article), response)


@router.post(
    "",
    summary="Create an article",
    status_code=status.HTTP_201_CREATED,
    response_model=ArticlePublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_article(
    data: ArticleCreate, response: Response, session: SessionDep, editor: ArticleEditor
) -> ArticlePublic:
    """A new article (a draft unless `status` says otherwise). The body is sanitised; the
    slug, when not given, comes from the title (Arabic kept) and is made unique; the
    excerpt, when not given, from the body. A published article with a future
    `published_at` is scheduled: it appears by itself when its time comes.

    Needs a token with `articles:write`."""
    article = service.create_article(session, data=data, token_id=editor.token_id)
    response.headers["Location"] = f"/v1/articles/{article.id}"
    return _article_answer(response, article)


@router.patch(
    "/{ref}",
    summary="Update an article",
    response_model=ArticlePublic,
    responses=WRITE_PROBLEMS,
)
def update_article(
    article_id: EditedArticleId,
    data: ArticleUpdate,
    response: Response,
    session: SessionDep,
    editor: ArticleEditor,
    expected_version: ExpectedVersion,
) -> ArticlePublic:
    """Change the fields sent, keeping the previous version as a revision. Send the
    article's `ETag` in `If-Match`: if someone else changed it meanwhile, you get 412 and
    nothing changes. A changed slug leaves the old one redirecting here.

    Needs a token with `articles:write`."""
    article = service.update_article(
        session,
        article_id,
        data=data,
        expected_version=expected_version,
        token_id=editor.token_id,
    )
    return _article_answer(response, article)


@router.delete(
    "/{ref}",
    summary="Delete an article (recoverably)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE_PROBLEMS,
)
def delete_article(
    article_id: EditedArticleId,
    session: SessionDep,
    editor: ArticleEditor,
    expected_version: ExpectedVersion,
) -> None:
    """Take the article out of public view. Nothing is destroyed: editors still see it
    (`status=deleted`), `undelete` brings it back, and only an admin's `purge` erases it.

    Needs a token with `articles:write`."""
    service.delete_article(
        session, article_id, expected_version=expected_version, token_id=editor.token_id
    )


@router.post(
    "/{ref}/undelete",
    summary="Undelete an article",
    response_model=ArticlePublic,
    responses=problem_responses(401, 403, 404, 422),
)
def undelete_article(
    article_id: EditedArticleId, response: Response, session: SessionDep, editor: ArticleEditor
) -> ArticlePublic:
    """Bring a deleted article back, in the state it was deleted in. Needs a token with
    `articles:write`."""
    article = service.undelete_article(session, article_id, token_id=editor.token_id)
    return _article_answer(response, article)


@router.post(
    "/{ref}/purge",
    summary="Erase a deleted article for good",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def purge_article(article_id: EditedArticleId, session: SessionDep, _admin: Admin) -> None:
    """Admin only, and only for a deleted article: destroys it with its revisions.
    This cannot be undone."""
    service.purge_article(session, article_id)


@router.get(
    "/{ref}/revisions",
    summary="List an article's revisions",
    response_model=RevisionPage,
    responses=problem_responses(401, 403, 404, 422),
)
def list_article_revisions(
    article_id: EditedArticleId,
    request: Request,
    response: Response,
    session: SessionDep,
    page: PageQueryDep,
    _editor: ArticleEditor,
) -> RevisionPage:
    """Every earlier version of the article, newest first: what it was before each
    update, delete, undelete or restore. Needs a token with `articles:write`."""
    revisions, next_cursor = service.list_revisions(
        session, article_id, limit=page.limit, cursor=page.cursor
    )
    return build_page(
        RevisionPage,
        [ArticleRevisionPublic.from_revision(revision) for revision in revisions],
        limit=page.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


@router.post(
    "/{ref}/revisions/{revision_id}/restore",
    summary="Restore an article revision",
    response_model=ArticlePublic,
    responses=WRITE_PROBLEMS,
)
def restore_article_revision(
    article_id: EditedArticleId,
    revision_id: RevisionId,
    response: Response,
    session: SessionDep,
    editor: ArticleEditor,
    expected_version: ExpectedVersion,
) -> ArticlePublic:
    """Make the article what it was in that revision. The version it replaces becomes a
    revision too, so a restore can itself be undone. Needs a token with `articles:write`."""
    article = service.restore_revision(
        session,
        article_id,
        revision_id,
        expected_version=expected_version,
        token_id=editor.token_id,
    )
    return _article_answer(response, article)


PreviewId = Annotated[int, Path(ge=1, le=ID_MAX, description="Preview link id.")]


@router.post(
    "/{ref}/previews",
    summary="Make a preview link",
    status_code=status.HTTP_201_CREATED,
    response_model=PreviewCreated,
    responses=problem_responses(401, 403, 404, 422),
)
def create_article_preview(
    article_id: EditedArticleId,
    data: PreviewCreate,
    session: SessionDep,
    settings: SettingsDep,
    editor: ArticleEditor,
) -> PreviewCreated:
    """A secret link that shows the article as the public will see it once published
    (the draft as it is when the link is opened, or the revision named), for 24 hours
    unless `expires_in` says otherwise (at most 7 days). The secret is in this answer
    only; `url` is the frontend's preview page for it (`AKHBAR_PREVIEW_URL_TEMPLATE`).
    Needs a token with `articles:write`; opening the link needs none."""
    preview, secret = previews.create_preview(
        session,
        article_id,
        expires_in=data.expires_in,
        revision_id=data.revision_id,
        token_id=editor.token_id,
    )
    template = settings.preview_url_template
    return PreviewCreated(
        **PreviewPublic.from_row(preview).model_dump(),
        secret=secret,
        url=template.format(secret=secret) if template else None,
    )


@router.get(
    "/{ref}/previews",
    summary="List an article's preview links",
    response_model=PreviewList,
    responses=problem_responses(401, 403, 404, 422),
)
def list_article_previews(
    article_id: EditedArticleId, session: SessionDep, _editor: ArticleEditor
) -> PreviewList:
    """The article's preview links that have not expired or been revoked, newest first
    (without their secrets). Needs a token with `articles:write`."""
    return PreviewList(
        data=[PreviewPublic.from_row(p) for p in previews.list_previews(session, article_id)]
    )


@router.delete(
    "/{ref}/previews/{preview_id}",
    summary="Revoke a preview link",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
def revoke_article_preview(
    article_id: EditedArticleId, preview_id: PreviewId, session: SessionDep, _editor: ArticleEditor
) -> None:
    """The link stops working at once. Needs a token with `articles:write`."""
    previews.revoke_preview(session, article_id, preview_id)


PreviewSecret = Annotated[
    str,
    Path(
        max_length=100,
        description="The secret of a preview link.",
        examples=["akp_q3V8mJ2vXnL0cT7rW1bY9kH4sD6fG5aZ8eU2iO0pR3x"],
    ),
]


@preview_router.get(
    "/{secret}",
    summary="Open a preview link",
    response_model=ArticlePublic,
    responses=problem_responses(404, 422),
)
def get_preview(secret: PreviewSecret, response: Response, session: SessionDep) -> ArticlePublic:
    """The article a preview link shows, as the public will see it once published: the
    draft as it is now, or the revision the link names. No token: the secret is the key.
    Never cached or indexed (`Cache-Control: private, no-store`, `X-Robots-Tag:
    noindex`); an unknown, expired or revoked link is a 404."""
    article = previews.previewed(session, secret)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return ArticlePublic.from_article(article)
