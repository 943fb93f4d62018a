"""Ranked full-text search over public articles."""

import html
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, column, func, literal_column, table, text
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, col, select

from app.articles.service import article_filters, is_public
from app.db import utc_now
from app.errors import InvalidInput
from app.models import Article
from app.pagination import decode_cursor, encode_cursor
from app.search.query import Term, fts5_match, matched_words, parse, tsquery
from app.search.schemas import SearchQuery
from app.text.arabic import key_tokens, stems

CURSOR_KIND = "search"
MAX_OFFSET = 1000
SNIPPET_WORDS = 24

_fts = table("article_fts", column("rowid"))
_pg_index = table("article_search", column("article_id"), column("document"))


def search(
    session: Session, *, query: SearchQuery, now: datetime | None = None
) -> tuple[list[tuple[Article, str]], str | None]:
    """A page of (article, snippet), best first, and the cursor of the next page."""
    terms = parse(query.q)
    if not terms:
        raise InvalidInput("the query has no letters or digits to search for", loc=("query", "q"))
    offset = 0
    if query.cursor is not None:
        (offset,) = decode_cursor(query.cursor, kind=CURSOR_KIND, shape=(int,))
        if not 0 < offset <= MAX_OFFSET:
            raise InvalidInput("the cursor is not one this list gave out", loc=("query", "cursor"))
    if session.get_bind().dialect.name == "sqlite":
        rank: ColumnElement[float] = func.bm25(literal_column("article_fts"), 10.0, 4.0, 1.0, 0.5)
        stmt = (
            select(Article)
            .join(_fts, _fts.c.rowid == col(Article.id))
            .where(literal_column("article_fts").op("MATCH")(fts5_match(terms)))
            .order_by(rank, col(Article.id).desc())
        )
    else:
        ts_query = func.to_tsquery(text("'simple'"), tsquery(terms))
        rank = func.ts_rank(text("'{0.1, 0.3, 0.6, 1.0}'"), _pg_index.c.document, ts_query)
        stmt = (
            select(Article)
            .join(_pg_index, _pg_index.c.article_id == col(Article.id))
            .where(_pg_index.c.document.op("@@")(ts_query))
            .order_by(rank.desc(), col(Article.id).desc())
        )
    stmt = (
        stmt.where(is_public(now or utc_now()), *article_filters(session, query))
        .options(
            joinedload(Article.category),  # type: ignore[arg-type]
            selectinload(Article.tags),  # type: ignore[arg-type]
            selectinload(Article.authors),  # type: ignore[arg-type]
        )
        .offset(offset)
        .limit(query.limit + 1)
    )
    rows: Sequence[Article] = session.exec(stmt).unique().all()
    more = len(rows) > query.limit and offset + query.limit < MAX_OFFSET
    hits = [(article, snippet(article, terms)) for article in rows[: query.limit]]
    return hits, encode_cursor(CURSOR_KIND, [offset + query.limit]) if more else None


def snippet(article: Article, terms: list[Term]) -> str:
    """A window of the body around the first matched word (or the excerpt's opening),
    escaped, with every matched word in <mark>."""
    wanted = matched_words(terms)
    words = (article.body_text or article.excerpt or "").split()
    hits = [i for i, word in enumerate(words) if _matches(word, wanted)]
    start = max(0, hits[0] - SNIPPET_WORDS // 3) if hits else 0
    window = words[start : start + SNIPPET_WORDS]
    marked = [
        f"<mark>{html.escape(word)}</mark>" if _matches(word, wanted) else html.escape(word)
        for word in window
    ]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + SNIPPET_WORDS < len(words) else ""
    return prefix + " ".join(marked) + suffix


def _matches(word: str, wanted: set[str]) -> bool:
    """A word of the text matches when its readings meet the query's (as in the index)."""
    return any(not stems(token).isdisjoint(wanted) for token in key_tokens(word))
