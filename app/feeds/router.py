"""Feeds of the newest articles, for readers and aggregators (RSS 2.0, Atom 1.0 and JSON
Feed 1.1, of the whole site or of one category, tag or author), and sitemaps, for search
engines and Google News.

They link to the frontend's pages, so they need ``AKHBAR_SITE_URL`` (app.core.site);
until it is set they are a 404 that says so.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.db import reading
from app.core.errors import NotFound, problem_responses
from app.core.site import Site
from app.feeds import render
from app.feeds.entries import FEED_SIZE, feed_of
from app.feeds.site import SiteDep
from app.feeds.sitemaps import (
    PLURAL,
    index_document,
    index_entries,
    news_document,
    page_version,
    parse_page,
    stream_page,
)
from app.http.cache import cache_for, tag
from app.http.conditional import none_match
from app.http.deps import ResourcesDep, SessionDep, SettingsDep
from app.http.routing import JsonRoute

router = APIRouter(route_class=JsonRoute, prefix="/feeds", tags=["feeds"])
sitemaps = APIRouter(route_class=JsonRoute, prefix="/sitemaps", tags=["sitemaps"])


class FeedQuery(BaseModel):
    """Which articles a feed holds: every public one, or one category's, tag's or
    author's (combined with AND when several are given)."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(None, description="Category slug.", examples=["اقتصاد"])
    tag: str | None = Field(None, description="Tag slug.", examples=["الانتخابات"])
    author: str | None = Field(None, description="Author slug.", examples=["ليلى-حداد"])


FeedQueryDep = Annotated[FeedQuery, Query()]


def _responses(media_type: str, example: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"The newest {FEED_SIZE} published articles.",
            "content": {media_type: {"schema": {"type": "string"}, "example": example}},
        },
        304: {"description": "Not modified since the ETag in `If-None-Match`."},
        **problem_responses(404, 422),
    }


async def _answer(
    request: Request,
    response: Response,
    session: Session,
    site: Site,
    query: FeedQuery,
    write: Callable[[render.Feed], bytes],
    media_type: str,
) -> Response:
    def read() -> Response:
        with reading(session):
            feed, keys = feed_of(session, site, request.url.path, **query.model_dump())
        answer = Response(write(feed), media_type=media_type)
        tag(answer, *keys)
        return answer

    return _cached(response, await run_in_threadpool(read))


_RSS_EXAMPLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" …><channel><title>أخبار</title>'
    "…<item><title>افتتاح سوق الحرير بعد الترميم</title>…</item></channel></rss>"
)


@router.get(
    "/rss.xml",
    summary="RSS feed",
    response_class=Response,
    responses=_responses("application/rss+xml", _RSS_EXAMPLE),
    dependencies=[cache_for("feed")],
)
async def rss_feed(
    request: Request, response: Response, session: SessionDep, site: SiteDep, query: FeedQueryDep
) -> Response:
    """RSS 2.0: each item with its page's `link`, a stable `guid`, `pubDate`, its authors
    (`dc:creator`), category and tags (`category`), excerpt (`description`), body
    (`content:encoded`, unless `AKHBAR_FEEDS_CONTENT=excerpt`) and featured picture
    (`media:content`, and `enclosure` for a picture of the media library)."""
    return await _answer(request, response, session, site, query, render.rss, render.RSS_TYPE)


@router.get(
    "/atom.xml",
    summary="Atom feed",
    response_class=Response,
    responses=_responses(
        "application/atom+xml", '<?xml version="1.0"?>\n<feed xml:lang="ar" …>…</feed>'
    ),
    dependencies=[cache_for("feed")],
)
async def atom_feed(
    request: Request, response: Response, session: SessionDep, site: SiteDep, query: FeedQueryDep
) -> Response:
    """Atom 1.0 (RFC 4287), in the site's language (`xml:lang`); the same entries as the
    RSS feed."""
    return await _answer(request, response, session, site, query, render.atom, render.ATOM_TYPE)


@router.get(
    "/feed.json",
    summary="JSON Feed",
    response_class=Response,
    responses=_responses(
        "application/feed+json",
        '{"version": "https://jsonfeed.org/version/1.1", "title": "أخبار", "items": […]}',
    ),
    dependencies=[cache_for("feed")],
)
async def json_feed(
    request: Request, response: Response, session: SessionDep, site: SiteDep, query: FeedQueryDep
) -> Response:
    """JSON Feed 1.1; the same entries as the RSS feed."""
    return await _answer(
        request, response, session, site, query, render.json_feed, render.JSON_FEED_TYPE
    )


def _cached(response: Response, answer: Response) -> Response:
    """``answer`` with the cache headers the route's dependencies set."""
    answer.headers["Cache-Control"] = response.headers["Cache-Control"]
    return answer


_SITEMAP_EXAMPLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/'
    'sitemap/0.9"><url><loc>https://example.com/articles/%D8%A7…</loc>'
    "<lastmod>2026-11-28T09:30:00Z</lastmod></url></urlset>"
)


@sitemaps.get(
    "/index.xml",
    summary="Sitemap index",
    response_class=Response,
    responses=_responses("application/xml", _SITEMAP_EXAMPLE.replace("urlset", "sitemapindex")),
    dependencies=[cache_for("feed")],
)
async def sitemap_index(
    response: Response, session: SessionDep, site: SiteDep, settings: SettingsDep
) -> Response:
    """Every sitemap: one of articles per month of publication (a month of more than
    `AKHBAR_SITEMAP_URLS` articles is split into pages `…-2`, `…-3`), the categories, the
    tags, the authors (paged likewise) and the news sitemap, each with its last change.
    Name it in `robots.txt` (`Sitemap: …/sitemaps/index.xml`)."""

    def read() -> Response:
        with reading(session):
            entries = index_entries(session, settings.sitemap_urls)
        answer = Response(index_document(site, entries), media_type=render.XML_TYPE)
        tag(answer, "articles", *PLURAL.values())
        return answer

    return _cached(response, await run_in_threadpool(read))


@sitemaps.get(
    "/news.xml",
    summary="Google News sitemap",
    response_class=Response,
    responses=_responses("application/xml", _SITEMAP_EXAMPLE),
    dependencies=[cache_for("feed")],
)
async def news_sitemap(response: Response, session: SessionDep, site: SiteDep) -> Response:
    """The articles published in the last 48 hours, newest first (at most 1,000), with
    Google News' `news:publication` (the site's name and language),
    `news:publication_date` and `news:title`."""

    def read() -> Response:
        with reading(session):
            document, keys = news_document(session, site)
        answer = Response(document, media_type=render.XML_TYPE)
        tag(answer, *keys)
        return answer

    return _cached(response, await run_in_threadpool(read))


SitemapName = Annotated[
    str,
    Path(
        max_length=40,
        description="As the index names it: `articles-2026-11`, `articles-2026-11-2`, "
        "`categories`, `tags-3`, …",
        examples=["articles-2026-11"],
    ),
]


@sitemaps.get(
    "/pages/{name}.xml",
    summary="A sitemap of the index",
    response_class=Response,
    responses=_responses("application/xml", _SITEMAP_EXAMPLE),
    dependencies=[cache_for("feed")],
)
async def sitemap_page(
    request: Request,
    response: Response,
    name: SitemapName,
    session: SessionDep,
    site: SiteDep,
    settings: SettingsDep,
    resources: ResourcesDep,
) -> Response:
    """One month's articles (each with its featured picture, `image:image`) or one page
    of categories, tags or authors, with each page's last change (`lastmod`). Written
    while it is read, whatever its size."""
    page = parse_page(name)

    def version() -> str | None:
        with reading(session):
            return page_version(session, page, settings.sitemap_urls) if page else None

    etag = await run_in_threadpool(version)
    if page is None or etag is None:
        raise NotFound(f"no sitemap named {name!r}: the index lists them")
    headers = {
        "ETag": etag,
        "Cache-Control": response.headers["Cache-Control"],
        "Vary": "Authorization",
        "Surrogate-Key": "articles" if page.kind is None else PLURAL[page.kind],
    }
    if none_match(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return StreamingResponse(
        stream_page(resources.engine, site, page, settings.sitemap_urls),
        media_type=render.XML_TYPE,
        headers=headers,
    )
