"""``GET /v1/search``."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.articles import reads
from app.articles.deps import MOVED_READ, ArticleRef
from app.articles.schemas import ArticleListItem, article_keys
from app.core.errors import AkhbarError, TooManyRequests, problem_responses
from app.core.pagination import build_page, select_fields
from app.http.cache import cache_for, tag
from app.http.client import ClientKey
from app.http.deps import LimiterDep, ResourcesDep, SessionDep, SettingsDep
from app.http.limits import within_rate
from app.http.openapi import FIELDS_SELECTION
from app.http.response_cache import nothing_to_share
from app.http.routing import JsonRoute
from app.search import related, service
from app.search.schemas import (
    RelatedItem,
    RelatedList,
    RelatedQuery,
    SearchHit,
    SearchPage,
    SearchQuery,
)

router = APIRouter(route_class=JsonRoute, prefix="/v1/search", tags=["search"])
# Related articles: under the article's URL, found with the search's index.
related_router = APIRouter(route_class=JsonRoute, prefix="/v1/articles", tags=["articles"])
# Searches a client may make at once; then they are paced, one per window / limit.
SEARCH_BURST = 3


async def _within_search_rate(
    request: Request, client: ClientKey, limiter: LimiterDep, settings: SettingsDep
) -> None:
    """The client's search limit. A refusal is held back a moment before it is sent (it
    waits in the event loop, holding nothing but its connection): a client that floods,
    ignoring `Retry-After`, then costs a refusal a second, not hundreds."""
    limit, window = settings.search_rate
    try:
        await run_in_threadpool(
            within_rate,
            limiter,
            f"search:{client}",
            limit=limit,
            window_seconds=window,
            english="searches",
            arabic="عمليات بحث",
            burst=min(SEARCH_BURST, limit),
        )
    except TooManyRequests as refused:
        # Others asking the same meanwhile must not wait for this refusal's answer.
        nothing_to_share(request)
        wait = refused.retry_after_seconds or 1
        await asyncio.sleep(min(wait * 1000, settings.search_refusal_delay_ms) / 1000)
        raise


class SearchBusy(AkhbarError):
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "too many searches are running on this server; try again in a second",
            arabic="عمليات بحث كثيرة تجري الآن على هذا الخادم: أعد المحاولة بعد ثانية",
        )
        self.retry_after_seconds = 1


class SearchGate:
    """The searches one worker runs at once (``AKHBAR_SEARCH_CONCURRENCY``)."""

    def __init__(self, concurrency: int) -> None:
        self.turns = asyncio.Semaphore(concurrency)


async def _search_turn(resources: ResourcesDep, settings: SettingsDep) -> AsyncIterator[None]:
    """A turn among the searches this worker runs at once (`AKHBAR_SEARCH_CONCURRENCY`).
    A search that has not had one within `AKHBAR_SEARCH_QUEUE_MS` is answered 503: when
    many arrive together (a crowd of clients, each within its own limit), the ones let in
    stay fast and the rest are told to come back, rather than all waiting in a queue."""
    gate = resources.part(SearchGate).turns
    try:
        async with asyncio.timeout(settings.search_queue_ms / 1000):
            await gate.acquire()
    except TimeoutError:
        raise SearchBusy from None
    try:
        yield
    finally:
        gate.release()


@router.get(
    "",
    summary="Search published articles",
    response_model=SearchPage,
    responses=problem_responses(422, 429, 503),
    openapi_extra={FIELDS_SELECTION: True},
    dependencies=[cache_for("list"), Depends(_within_search_rate), Depends(_search_turn)],
)
def search_articles(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    query: Annotated[SearchQuery, Query()],
) -> SearchPage | Response:
    """Arabic-aware full-text search over published articles, best match first: "الاستانة"
    finds "بالآستانة", "يعقب" finds "يعقِّب", "30 ديسمبر" finds "٣٠ ديسمبر", "مفاوضات"
    finds "المفاوضات". Every word must match; "quoted words" match as a phrase. Takes the
    filters of the article list. Each hit has a `snippet` with the matches in `<mark>`.

    Bounded work: hits are ranked among the newest 2,000 articles holding the query's
    words (a common word is in most of them), a phrase is looked for in those, and a query
    of more than four words lists its matches newest first.

    Limits per client: `AKHBAR_SEARCH_RATE_LIMIT` searches (60 a minute: 3 at once, then
    one a second; answers from the cache do not count), then 429 with `Retry-After`, sent
    after a pause of up to `AKHBAR_SEARCH_REFUSAL_DELAY_MS` (a second). A
    search the database has not finished within `AKHBAR_SEARCH_TIMEOUT_MS` is stopped:
    503 with `Retry-After`. Each server runs `AKHBAR_SEARCH_CONCURRENCY` searches at once;
    one that waits longer than `AKHBAR_SEARCH_QUEUE_MS` for its turn is a 503 too."""
    hits, next_cursor = service.search(session, query=query, timeout_ms=settings.search_timeout_ms)
    tag(response, "articles", "search", *(key for hit in hits for key in article_keys(hit.article)))
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


@related_router.get(
    "/{ref}/related",
    summary="List related articles",
    response_model=RelatedList,
    responses={**MOVED_READ, **problem_responses(404, 422, 503)},
    dependencies=[cache_for("list"), Depends(_search_turn)],
)
def list_related_articles(
    ref: ArticleRef,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    query: Annotated[RelatedQuery, Query()],
) -> RelatedList:
    """ "Read also" for a public article: first the articles an editor pinned (its
    `related`, in order; only public ones), then the best automatic matches, marked
    `pinned: false`: articles sharing its most telling words (rare names and words of its
    title, excerpt and body, in any spelling), its tags and its category, newer ones
    preferred. Never the article itself, never a draft.

    Its work shares the search's bounds: `AKHBAR_SEARCH_CONCURRENCY` at once per server,
    `AKHBAR_SEARCH_TIMEOUT_MS` in the database (503 with `Retry-After` beyond)."""
    article = reads.public_article_key(session, ref)
    shown = related.related_articles(
        session, article.id, limit=query.limit, timeout_ms=settings.search_timeout_ms
    )
    tag(
        response,
        f"article-{article.id}",
        "articles",
        "search",
        *(key for item in shown for key in article_keys(item.article)),
    )
    return RelatedList(
        data=[
            RelatedItem(
                **ArticleListItem.from_article(item.article).model_dump(), pinned=item.pinned
            )
            for item in shown
        ]
    )
