"""The ticker under ``/v1/ticker``: the public bar, its live stream, and editor writes."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.auth.deps import (
    ArticleEditorView,
    PrincipalDep,
    TickerEditor,
    TickerEditorView,
    require_scope,
)
from app.auth.scopes import Scope
from app.core.errors import problem_responses
from app.core.pagination import build_page
from app.core.params import RowId
from app.http.cache import tag
from app.http.client import ClientKey
from app.http.deps import ResourcesDep, SessionDep, SettingsDep
from app.http.openapi import TOKEN_OPTIONAL
from app.http.routing import JsonRoute
from app.ticker import service
from app.ticker.schemas import (
    TickerHeadlineCreate,
    TickerHeadlinePublic,
    TickerHeadlineUpdate,
    TickerListQuery,
    TickerOrder,
    TickerPage,
)
from app.ticker.stream import TickerWatcher

router = APIRouter(route_class=JsonRoute, prefix="/v1/ticker", tags=["ticker"])

WRITE_PROBLEMS = problem_responses(401, 403, 404, 422)


async def _list_query(
    query: Annotated[TickerListQuery, Query()], principal: PrincipalDep
) -> TickerListQuery:
    if query.all:
        require_scope(principal, Scope.ticker_write)
    return query


async def _stream_slot(resources: ResourcesDep, client: ClientKey) -> AsyncIterator[TickerWatcher]:
    # Keyed as every other limit is: behind a trusted proxy, by the reader's address.
    watcher = resources.part(TickerWatcher)
    async with watcher.stream_slot(client):
        yield watcher


@router.get(
    "",
    summary="List the ticker headlines showing now",
    response_model=TickerPage,
    responses={
        304: {"description": "Not modified since the ETag in `If-None-Match`."},
        **problem_responses(401, 403, 422),
    },
    openapi_extra={TOKEN_OPTIONAL: True},
)
def list_ticker(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    query: Annotated[TickerListQuery, Depends(_list_query)],
    drafts: ArticleEditorView,
) -> TickerPage:
    """The headlines of the breaking-news bar: active, inside their time window, not linked
    to an article the public cannot see; by position, then newest first. Windows open
    and close by themselves. Cached briefly (`Cache-Control`), with an `ETag`.

    With `all=true` and a token holding `ticker:write`: every headline."""
    rows, next_cursor = service.list_headlines(session, query=query)
    if not query.all:
        response.headers["Cache-Control"] = settings.cache_ticker.header()
        tag(response, "ticker")
    return build_page(
        TickerPage,
        [TickerHeadlinePublic.from_headline(row, drafts_visible=drafts) for row in rows],
        limit=query.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


@router.get(
    "/stream",
    summary="Follow the ticker live (Server-Sent Events)",
    response_class=EventSourceResponse,
    responses=problem_responses(422, 429, 503),
    # Each event's `data` is the JSON of a TickerPage: said so, for generated clients.
    openapi_extra={
        "responses": {
            "200": {
                "content": {
                    "text/event-stream": {
                        "itemSchema": {
                            "properties": {
                                "event": {"const": "ticker", "type": "string"},
                                "data": {
                                    "type": "string",
                                    "contentMediaType": "application/json",
                                    "contentSchema": {"$ref": "#/components/schemas/TickerPage"},
                                },
                            },
                            "required": ["event", "data", "id"],
                        }
                    }
                }
            }
        }
    },
)
async def stream_ticker(
    watcher: Annotated[TickerWatcher, Depends(_stream_slot)],
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=64,
            description="The id of the last event received: if the ticker has not "
            "changed since, the stream does not send it again.",
        ),
    ] = None,
) -> AsyncIterator[ServerSentEvent]:
    """An `event: ticker` with the list `GET /v1/ticker` would answer, at once on connect
    and again within about two seconds of every change: a headline created, edited,
    deleted or reordered, an article hidden, a window opening or closing. A `: ping`
    comment comes every 15 seconds while nothing changes. A few streams per client."""
    snapshot = await watcher.current()
    if snapshot.id != last_event_id:
        yield ServerSentEvent(raw_data=snapshot.body, event="ticker", id=snapshot.id, retry=2000)
    while True:
        snapshot = await watcher.changed_from(snapshot.id)
        yield ServerSentEvent(raw_data=snapshot.body, event="ticker", id=snapshot.id)


@router.put(
    "/order",
    summary="Reorder the ticker",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 422),
)
def reorder_ticker(data: TickerOrder, session: SessionDep, _editor: TickerEditor) -> None:
    """The listed headlines take the first positions, in the order given; the others keep
    their order after them. All or nothing: an unknown id refuses the whole request.
    Needs a token with `ticker:write`."""
    service.reorder(session, data.ids)


@router.get(
    "/{headline_id:int}",
    summary="Get a ticker headline",
    response_model=TickerHeadlinePublic,
    responses=problem_responses(401, 404, 422),
    openapi_extra={TOKEN_OPTIONAL: True},
)
def get_ticker_headline(
    headline_id: RowId, session: SessionDep, editor: TickerEditorView, drafts: ArticleEditorView
) -> TickerHeadlinePublic:
    """One headline; those not showing now are a 404 except to a token with
    `ticker:write`."""
    return TickerHeadlinePublic.from_headline(
        service.get_headline(session, headline_id, editor=editor), drafts_visible=drafts
    )


@router.post(
    "",
    summary="Create a ticker headline",
    status_code=status.HTTP_201_CREATED,
    response_model=TickerHeadlinePublic,
    responses=problem_responses(401, 403, 422),
)
def create_ticker_headline(
    data: TickerHeadlineCreate,
    response: Response,
    session: SessionDep,
    _editor: TickerEditor,
    drafts: ArticleEditorView,
) -> TickerHeadlinePublic:
    """A new headline, at the end of the bar unless `position` says otherwise. Text sent as
    "label | text" without a `label` has the label split off. Needs `ticker:write`; linking
    to an article the public cannot see (yet) needs `articles:write` too."""
    headline = service.create_headline(session, data=data, drafts_visible=drafts)
    response.headers["Location"] = f"/v1/ticker/{headline.id}"
    return TickerHeadlinePublic.from_headline(headline, drafts_visible=drafts)


@router.patch(
    "/{headline_id:int}",
    summary="Update a ticker headline",
    response_model=TickerHeadlinePublic,
    responses=WRITE_PROBLEMS,
)
def update_ticker_headline(
    headline_id: RowId,
    data: TickerHeadlineUpdate,
    session: SessionDep,
    _editor: TickerEditor,
    drafts: ArticleEditorView,
) -> TickerHeadlinePublic:
    """Change the fields sent; linking to an article clears the URL and the other way
    round. Needs `ticker:write` (and `articles:write` to link to an article that is not
    public)."""
    return TickerHeadlinePublic.from_headline(
        service.update_headline(session, headline_id, data=data, drafts_visible=drafts),
        drafts_visible=drafts,
    )


@router.delete(
    "/{headline_id:int}",
    summary="Delete a ticker headline",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE_PROBLEMS,
)
def delete_ticker_headline(headline_id: RowId, session: SessionDep, _editor: TickerEditor) -> None:
    """Remove the headline from the bar for good. Needs `ticker:write`."""
    service.delete_headline(session, headline_id)
