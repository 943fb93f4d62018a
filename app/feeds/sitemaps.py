"""Sitemaps (sitemaps.org 0.9, with Google's image and news extensions) of the frontend's
pages.

- The index lists one sitemap of articles per month of publication (a month with more
  than ``AKHBAR_SITEMAP_URLS`` articles is split into pages), one per page of
  categories, tags and authors, and the news sitemap.
- A page of the index is written while it is read from the database (``stream_page``):
  a worker's memory does not grow with the number of articles.
- The news sitemap lists the articles published in the last 48 hours (at most 1,000).

Each URL is shorter than 2,048 characters, as the protocol requires (a longer one is
left out), and a page of at most 10,000 URLs, each with one picture, stays under the
protocol's 50 MB.
"""

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel

from app.core.clock import utc_now
from app.core.site import PageArticle, PageTerm, Site, TermKind
from app.feeds.entries import absolute
from app.feeds.render import aware, w3c_datetime, xml_text
from app.models.article import public_at
from app.models.media import file_url

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
URL_LIMIT = 2048
NEWS_WINDOW = timedelta(hours=48)
NEWS_MAX = 1000
# Rows read from the database, and URLs written, at a time.
_BATCH = 500

_TABLES = SQLModel.metadata.tables
_ARTICLE, _CATEGORY, _MEDIA = _TABLES["article"], _TABLES["category"], _TABLES["media"]
PLURAL: dict[TermKind, str] = {"category": "categories", "tag": "tags", "author": "authors"}
_PAGE_NAME = re.compile(
    r"articles-(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])(?:-(?P<page>[1-9][0-9]{0,5}))?"
    r"|(?P<kind>categories|tags|authors)(?:-(?P<term_page>[1-9][0-9]{0,5}))?"
)
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class Listed:
    """A sitemap of the index: its name (``/sitemaps/pages/<name>.xml``) and last change."""

    name: str
    lastmod: datetime | None


@dataclass(frozen=True)
class PageOf:
    """What one page of the index holds: a month's articles or a kind of terms, ``page``
    (from 1) of them."""

    kind: TermKind | None  # None: articles
    page: int
    month: datetime | None = None

    @property
    def name(self) -> str:
        base = f"articles-{self.month:%Y-%m}" if self.month else PLURAL[self.kind or "category"]
        return base if self.page == 1 else f"{base}-{self.page}"


def parse_page(name: str) -> PageOf | None:
    """The page a sitemap's name names, or None (a 404)."""
    match = _PAGE_NAME.fullmatch(name)
    if match is None:
        return None
    if match["year"]:
        month = datetime(int(match["year"]), int(match["month"]), 1, tzinfo=UTC)
        return PageOf(None, int(match["page"] or 1), month)
    kind = next(k for k, plural in PLURAL.items() if plural == match["kind"])
    return PageOf(kind, int(match["term_page"] or 1))


def _next_month(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _month_of(dialect: str) -> ColumnElement[str]:
    published = _ARTICLE.c.published_at
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", published), "YYYY-MM")
    return func.strftime("%Y-%m", published)


def _pages(count: int, size: int) -> range:
    return range(1, (count + size - 1) // size + 1)


def index_entries(session: Session, page_size: int, now: datetime | None = None) -> list[Listed]:
    """Every page of articles (by month, oldest first), then of categories, tags and
    authors, with its last change."""
    now = now or utc_now()
    month = _month_of(session.get_bind().dialect.name).label("month")
    months = session.execute(
        select(month, func.count(), func.max(_ARTICLE.c.updated_at))
        .where(public_at(now))
        .group_by(month)
        .order_by(month)
    ).all()
    listed = []
    for name, count, changed in months:
        first = datetime.strptime(name, "%Y-%m").replace(tzinfo=UTC)
        listed += [
            Listed(PageOf(None, page, first).name, aware(changed))
            for page in _pages(count, page_size)
        ]
    for kind in PLURAL:
        table = _TABLES[kind]  # a term's table is named for its kind
        count, changed = session.execute(select(func.count(), func.max(table.c.updated_at))).one()
        listed += [
            Listed(PageOf(kind, page).name, aware(changed)) for page in _pages(count, page_size)
        ]
    return listed


def index_document(site: Site, entries: Sequence[Listed]) -> bytes:
    parts = [_HEAD, f'<sitemapindex xmlns="{SITEMAP_NS}">']
    for entry in [*entries, Listed("news", None)]:
        path = "/sitemaps/news.xml" if entry.name == "news" else f"/sitemaps/pages/{entry.name}.xml"
        parts.append(f"<sitemap><loc>{xml_text(site.api_url + path)}</loc>")
        if entry.lastmod is not None:
            parts.append(f"<lastmod>{w3c_datetime(entry.lastmod)}</lastmod>")
        parts.append("</sitemap>")
    parts.append("</sitemapindex>\n")
    return "".join(parts).encode()


def _article_columns() -> list[Any]:
    return [
        _ARTICLE.c.id,
        _ARTICLE.c.slug,
        _ARTICLE.c.title,
        _ARTICLE.c.published_at,
        _ARTICLE.c.updated_at,
        _ARTICLE.c.featured_image_url,
        _CATEGORY.c.id.label("category_id"),
        _CATEGORY.c.slug.label("category_slug"),
        _MEDIA.c.files[0]["key"].as_string().label("picture_key"),
    ]


def _articles(where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    return (
        select(*_article_columns())
        .select_from(
            _ARTICLE.outerjoin(_CATEGORY, _CATEGORY.c.id == _ARTICLE.c.category_id).outerjoin(
                _MEDIA, _MEDIA.c.id == _ARTICLE.c.featured_image_media_id
            )
        )
        .where(*where)
    )


def _month_where(month: datetime, now: datetime) -> list[ColumnElement[bool]]:
    published = _ARTICLE.c.published_at
    return [public_at(now), published >= month, published < _next_month(month)]


def page_version(
    session: Session, page: PageOf, page_size: int, now: datetime | None = None
) -> str | None:
    """A validator of the page (its ``ETag``), or None when there is no such page."""
    now = now or utc_now()
    if page.month is not None:
        count, changed, newest = session.execute(
            select(func.count(), func.max(_ARTICLE.c.updated_at), func.max(_ARTICLE.c.id)).where(
                *_month_where(page.month, now)
            )
        ).one()
    else:
        table = _TABLES[page.kind or "category"]
        count, changed, newest = session.execute(
            select(func.count(), func.max(table.c.updated_at), func.max(table.c.id))
        ).one()
    if page.page not in _pages(count, page_size):
        return None
    digest = hashlib.blake2b(
        f"{page.name}|{page_size}|{count}|{changed}|{newest}".encode(), digest_size=10
    )
    return f'"sitemap-{digest.hexdigest()}"'


def _page(row: Any) -> PageArticle:
    category = PageTerm(row.category_id, row.category_slug) if row.category_id else None
    return PageArticle(row.id, row.slug, aware(row.published_at), category)


def stream_page(
    engine: Engine, site: Site, page: PageOf, page_size: int, now: datetime | None = None
) -> Iterator[bytes]:
    """The page's sitemap, written a batch of rows at a time from a connection of its own
    (a streamed answer outlives its request's session)."""
    now = now or utc_now()
    offset = (page.page - 1) * page_size
    if page.month is not None:
        stmt = (
            _articles(_month_where(page.month, now))
            .order_by(_ARTICLE.c.published_at, _ARTICLE.c.id)
            .offset(offset)
            .limit(page_size)
        )
        namespaces = f'xmlns="{SITEMAP_NS}" xmlns:image="{IMAGE_NS}"'
    else:
        table = _TABLES[page.kind or "category"]
        stmt = (
            select(table.c.id, table.c.slug, table.c.updated_at)
            .order_by(table.c.id)
            .offset(offset)
            .limit(page_size)
        )
        namespaces = f'xmlns="{SITEMAP_NS}"'
    yield f"{_HEAD}<urlset {namespaces}>".encode()
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=_BATCH).execute(stmt)
        for rows in result.partitions():
            if page.month is not None:
                chunk = [_article_url(site, row) for row in rows]
            else:
                chunk = [_term_url(site, page.kind or "category", row) for row in rows]
            yield "".join(chunk).encode()
    yield b"</urlset>\n"


def _article_url(site: Site, row: Any) -> str:
    loc = site.article_url(_page(row))
    if len(loc) >= URL_LIMIT:
        return ""
    parts = [
        f"<url><loc>{xml_text(loc)}</loc><lastmod>{w3c_datetime(aware(row.updated_at))}</lastmod>"
    ]
    picture = (
        absolute(file_url(row.picture_key), site.api_url)
        if row.picture_key
        else row.featured_image_url
    )
    if picture and len(picture) < URL_LIMIT:
        parts.append(f"<image:image><image:loc>{xml_text(picture)}</image:loc></image:image>")
    parts.append("</url>")
    return "".join(parts)


def _term_url(site: Site, kind: TermKind, row: Any) -> str:
    loc = site.term_url(kind, PageTerm(row.id, row.slug))
    if len(loc) >= URL_LIMIT:
        return ""
    lastmod = w3c_datetime(aware(row.updated_at))
    return f"<url><loc>{xml_text(loc)}</loc><lastmod>{lastmod}</lastmod></url>"


def news_document(
    session: Session, site: Site, now: datetime | None = None
) -> tuple[bytes, list[str]]:
    """Google News: the articles published in the last 48 hours, newest first (at most
    1,000), and the surrogate keys of the answer."""
    now = now or utc_now()
    rows = session.execute(
        _articles([public_at(now), _ARTICLE.c.published_at > now - NEWS_WINDOW])
        .order_by(_ARTICLE.c.published_at.desc(), _ARTICLE.c.id.desc())
        .limit(NEWS_MAX)
    ).all()
    publication = (
        f"<news:publication><news:name>{xml_text(site.name)}</news:name>"
        f"<news:language>{xml_text(site.language)}</news:language></news:publication>"
    )
    parts = [_HEAD, f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">']
    for row in rows:
        loc = site.article_url(_page(row))
        if len(loc) >= URL_LIMIT:
            continue
        parts.append(
            f"<url><loc>{xml_text(loc)}</loc><news:news>{publication}"
            f"<news:publication_date>{w3c_datetime(aware(row.published_at))}"
            f"</news:publication_date><news:title>{xml_text(row.title)}</news:title>"
            "</news:news></url>"
        )
    parts.append("</urlset>\n")
    return "".join(parts).encode(), ["articles", *(f"article-{row.id}" for row in rows)]
