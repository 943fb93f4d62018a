"""Reading and writing articles."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, tuple_
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, col, select

from app.articles.schemas import ArticleCreate, ArticleListQuery
from app.db import utc_now
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Article, ArticleAuthor, ArticleStatus, ArticleTag, Author, Category, Tag
from app.pagination import decode_cursor, encode_cursor, parse_cursor_time
from app.taxonomy.service import resolve_term_id
from app.text.html import reading_time_minutes, sanitize_html, word_count
from app.text.slugs import normalize_ref, slugify

CURSOR_KIND = "article"
# Ids are 64-bit: a longer number in a path names no article (and must not overflow).
MAX_ID = 2**63 - 1

_WITH_RELATIONS = (
    joinedload(Article.category),  # type: ignore[arg-type]
    selectinload(Article.tags),  # type: ignore[arg-type]
    selectinload(Article.authors),  # type: ignore[arg-type]
)


def is_public(now: datetime) -> ColumnElement[bool]:
    """Published and due: a future ``published_at`` is a schedule, hidden until it comes."""
    return and_(col(Article.status) == ArticleStatus.published, col(Article.published_at) <= now)


def list_public_articles(
    session: Session, *, query: ArticleListQuery, now: datetime | None = None
) -> tuple[Sequence[Article], str | None]:
    """A page of public articles, newest first, and the cursor of the next page."""
    stmt = select(Article).where(is_public(now or utc_now()))
    stmt = stmt.where(*_filters(session, query))
    if query.cursor is not None:
        published_at, after_id = decode_cursor(query.cursor, kind=CURSOR_KIND, shape=(str, int))
        after = parse_cursor_time(published_at)
        stmt = stmt.where(tuple_(Article.published_at, Article.id) < tuple_(after, after_id))
    stmt = (
        stmt.options(*_WITH_RELATIONS)
        .order_by(col(Article.published_at).desc(), col(Article.id).desc())
        .limit(query.limit + 1)
    )
    rows = session.exec(stmt).unique().all()
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1]
    assert last.published_at is not None
    return rows, encode_cursor(CURSOR_KIND, [last.published_at.isoformat(), last.id])


def _filters(session: Session, query: ArticleListQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.category is not None:
        category_id = resolve_term_id(session, Category, query.category, loc=("query", "category"))
        where.append(col(Article.category_id) == category_id)
    if query.tag is not None:
        tag_id = resolve_term_id(session, Tag, query.tag, loc=("query", "tag"))
        tagged = select(ArticleTag.article_id).where(ArticleTag.tag_id == tag_id)
        where.append(col(Article.id).in_(tagged))
    if query.author is not None:
        author_id = resolve_term_id(session, Author, query.author, loc=("query", "author"))
        bylined = select(ArticleAuthor.article_id).where(ArticleAuthor.author_id == author_id)
        where.append(col(Article.id).in_(bylined))
    if query.is_exclusive is not None:
        where.append(col(Article.is_exclusive) == query.is_exclusive)
    if query.is_breaking is not None:
        where.append(col(Article.is_breaking) == query.is_breaking)
    if query.lang is not None:
        where.append(col(Article.lang) == query.lang)
    if query.published_after is not None:
        where.append(col(Article.published_at) >= query.published_after)
    if query.published_before is not None:
        where.append(col(Article.published_at) < query.published_before)
    return where


def get_public_article(session: Session, ref: str, *, now: datetime | None = None) -> Article:
    """The public article ``ref`` names: a numeric id, or a slug in any encoding or form."""
    stmt = select(Article).where(is_public(now or utc_now())).options(*_WITH_RELATIONS)
    if ref.isdecimal():
        article_id = int(ref)
        if article_id > MAX_ID:
            raise NotFound(f"no published article with id {ref}")
        article = session.exec(stmt.where(Article.id == article_id)).first()
        if article is None:
            raise NotFound(f"no published article with id {ref}")
        return article
    slug = normalize_ref(ref)
    article = session.exec(stmt.where(Article.slug == slug)).first()
    if article is None:
        raise NotFound(f"no published article with slug {slug!r}")
    return article


def create_article(
    session: Session, *, data: ArticleCreate, now: datetime | None = None
) -> Article:
    """Add an article (flushed, not committed: the caller owns the transaction)."""
    now = now or utc_now()
    slug = data.slug or slugify(data.title)
    if not slug:
        raise InvalidInput("the title gives no slug; send one", loc=("body", "slug"))
    if session.exec(select(Article.id).where(Article.slug == slug)).first() is not None:
        raise Conflict(f"an article with slug {slug!r} already exists")
    category_id = (
        resolve_term_id(session, Category, data.category, loc=("body", "category"))
        if data.category
        else None
    )
    tag_ids = _term_ids(session, Tag, data.tags, field="tags")
    author_ids = _term_ids(session, Author, data.authors, field="authors")
    body = sanitize_html(data.body)
    words = word_count(body)
    published_at = data.published_at
    if data.status is ArticleStatus.published and published_at is None:
        published_at = now
    image = data.featured_image
    article = Article(
        slug=slug,
        title=data.title,
        subtitle=data.subtitle,
        excerpt=data.excerpt,
        body=body,
        lang=data.lang,
        status=data.status,
        published_at=published_at,
        is_exclusive=data.is_exclusive,
        is_breaking=data.is_breaking,
        category_id=category_id,
        featured_image_url=image.url if image else None,
        featured_image_alt=image.alt if image else None,
        featured_image_caption=image.caption if image else None,
        featured_image_credit=image.credit if image else None,
        comments_enabled=data.comments_enabled,
        word_count=words,
        reading_time_minutes=reading_time_minutes(words),
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    session.flush()
    assert article.id is not None
    session.add_all(ArticleTag(article_id=article.id, tag_id=tag_id) for tag_id in tag_ids)
    session.add_all(
        ArticleAuthor(article_id=article.id, author_id=author_id, position=position)
        for position, author_id in enumerate(author_ids)
    )
    session.flush()
    return article


def _term_ids(
    session: Session, model: type[Tag] | type[Author], slugs: list[str], *, field: str
) -> list[int]:
    unique = list(dict.fromkeys(slugs))
    return [
        resolve_term_id(session, model, slug, loc=("body", field, index))
        for index, slug in enumerate(unique)
    ]
