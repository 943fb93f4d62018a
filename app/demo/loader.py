"""The demo content: Arabic articles across categories, tags and authors.

Loading is idempotent: anything whose slug (for ticker headlines: text) exists already is
left as it is, so running ``akhbar demo`` twice changes nothing. Two articles are not
public on purpose: a draft, and one scheduled ``publish_in_days`` after the first load.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from sqlmodel import Session, select

from app.articles.schemas import ArticleCreate
from app.articles.service import create_article
from app.config import Settings
from app.db import session_for, utc_now
from app.models import Article, Author, Category, Tag, TickerHeadline
from app.taxonomy.schemas import AuthorCreate, TermCreate
from app.taxonomy.service import create_term
from app.ticker.schemas import TickerHeadlineCreate
from app.ticker.service import create_headline, label_and_text


@dataclass
class DemoReport:
    created: int = 0
    unchanged: int = 0


def demo_content() -> dict[str, Any]:
    text = resources.files("app.demo").joinpath("content.json").read_text(encoding="utf-8")
    content: dict[str, Any] = json.loads(text)
    return content


def load_demo(session: Session, *, now: datetime | None = None) -> DemoReport:
    """Add whatever demo content is missing, one committed item at a time."""
    now = now or utc_now()
    content = demo_content()
    report = DemoReport()
    terms: list[tuple[type[Category] | type[Tag] | type[Author], type[TermCreate], str]] = [
        (Category, TermCreate, "categories"),
        (Tag, TermCreate, "tags"),
        (Author, AuthorCreate, "authors"),
    ]
    for model, schema, key in terms:
        for item in content[key]:
            if _exists(session, model, item["slug"]):
                report.unchanged += 1
                continue
            create_term(session, model, schema.model_validate(item))
            report.created += 1
    for item in content["articles"]:
        if _exists(session, Article, item["slug"]):
            report.unchanged += 1
            continue
        fields = dict(item)
        days = fields.pop("publish_in_days", None)
        if days is not None:
            fields["published_at"] = (now + timedelta(days=days)).isoformat()
        create_article(session, data=ArticleCreate.model_validate(fields), now=now)
        report.created += 1
    for item in content["ticker"]:
        fields = dict(item)
        slug = fields.pop("article", None)
        if slug:
            fields["article_id"] = session.exec(
                select(Article.id).where(Article.slug == slug)
            ).one()
        data = TickerHeadlineCreate.model_validate(fields)
        _label, text = label_and_text(data)
        if session.exec(select(TickerHeadline.id).where(TickerHeadline.text == text)).first():
            report.unchanged += 1
            continue
        create_headline(session, data=data, now=now)
        report.created += 1
    return report


def _exists(session: Session, model: type[Any], slug: str) -> bool:
    return session.exec(select(model.id).where(model.slug == slug)).first() is not None


def load_demo_content(settings: Settings) -> DemoReport:
    with session_for(settings) as session:
        return load_demo(session)
