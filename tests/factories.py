"""Plain factory functions: rows made through the same services the API uses."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.articles.schemas import ArticleCreate
from app.articles.service import create_article
from app.models import Article, ArticleStatus, Author, Category, Tag
from app.taxonomy.schemas import AuthorCreate, TermCreate
from app.taxonomy.service import create_term

# A fixed "now" in the past keeps published_at ordering independent of the clock.
BASE_TIME = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def make_category(session: Session, name: str = "سياسة", **fields: Any) -> Category:
    category = create_term(session, Category, TermCreate(name=name, **fields))
    session.commit()
    return category


def make_tag(session: Session, name: str = "مفاوضات", **fields: Any) -> Tag:
    tag = create_term(session, Tag, TermCreate(name=name, **fields))
    session.commit()
    return tag


def make_author(session: Session, name: str = "سلمى الخطيب", **fields: Any) -> Author:
    author = create_term(session, Author, AuthorCreate(name=name, **fields))
    session.commit()
    return author


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
    article = create_article(session, data=ArticleCreate(title=title, **fields))
    session.commit()
    return article
