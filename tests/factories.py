"""Plain factory functions: rows made through the same services the API uses, each
committed as the API commits a request's work."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.articles.schemas import ArticleCreate
from app.articles.service import create_article
from app.auth.scopes import Scope
from app.auth.service import create_token
from app.core.db import unit_of_work
from app.models import Article, ArticleStatus, Author, Category, Tag, TickerHeadline
from app.taxonomy.schemas import AuthorCreate, TermCreate
from app.taxonomy.service import create_term
from app.ticker.schemas import TickerHeadlineCreate
from app.ticker.service import create_headline

# A fixed "now" in the past keeps published_at ordering independent of the clock.
BASE_TIME = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def make_category(session: Session, name: str = "سياسة", **fields: Any) -> Category:
    with unit_of_work(session):
        return create_term(session, Category, TermCreate(name=name, **fields))


def make_tag(session: Session, name: str = "مفاوضات", **fields: Any) -> Tag:
    with unit_of_work(session):
        return create_term(session, Tag, TermCreate(name=name, **fields))


def make_author(session: Session, name: str = "سلمى الخطيب", **fields: Any) -> Author:
    with unit_of_work(session):
        return create_term(session, Author, AuthorCreate(name=name, **fields))


def make_article(
    session: Session,
    title: str = "افتتاح سوق الحرير بعد الترميم",
    *,
    hours: float = 0,
    **fields: Any,
) -> Article:
    """A published article, ``hours`` after BASE_TIME unless ``published_at`` is given."""
    fields.setdefault("status", ArticleStatus.published)
    fields.setdefault("published_at", BASE_TIME + timedelta(hours=hours))
    fields.setdefault("body", "<p>نصّ الخبر.</p>")
    data = ArticleCreate(title=title, **fields)
    with unit_of_work(session):
        return create_article(session, data=data)


def make_token(
    session: Session, *scopes: Scope, expires_at: datetime | None = None, name: str = "اختبار"
) -> str:
    """A live token with ``scopes``; its secret."""
    with unit_of_work(session):
        _token, secret = create_token(
            session, name=name, scopes=list(scopes) or [Scope.admin], expires_at=expires_at
        )
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_headline(session: Session, text: str = "عاجل | خبر", **fields: Any) -> TickerHeadline:
    data = TickerHeadlineCreate(text=text, **fields)
    with unit_of_work(session):
        return create_headline(session, data=data)
