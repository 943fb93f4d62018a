"""The demo content: Arabic articles across categories, tags and authors.

The demo goes only into an empty database (no article, term or headline): a database with
content of any kind, the demo's own after an editor changed it included, is left exactly
as it is, so running ``akhbar demo`` again never re-creates what an editor renamed or
deleted. Two articles are not public on purpose: a draft, and one scheduled
``publish_in_days`` after the load. The pictures are drawn (``app.demo.pictures``) and go
into the media library like any upload.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from sqlmodel import Session, select

from app.articles.schemas import ArticleCreate
from app.articles.service import create_article
from app.core.clock import utc_now
from app.core.config import Settings
from app.core.db import unit_of_work
from app.demo import pictures
from app.media.library import MediaLibrary
from app.media.service import add_media
from app.models import Article, Author, Category, Tag, TickerHeadline
from app.taxonomy.schemas import AuthorCreate, TermCreate
from app.taxonomy.service import create_term
from app.ticker.schemas import TickerHeadlineCreate
from app.ticker.service import create_headline
from app.wiring import session_for


@dataclass
class DemoReport:
    created: int = 0
    # Set when nothing was loaded because the database already had content.
    already_has_content: bool = False


def demo_content() -> dict[str, Any]:
    text = resources.files("app.demo").joinpath("content.json").read_text(encoding="utf-8")
    content: dict[str, Any] = json.loads(text)
    return content


def load_demo(
    session: Session, library: MediaLibrary, *, now: datetime | None = None
) -> DemoReport:
    """Load the demo into an empty database, one committed item at a time; leave a
    database with any content as it is."""
    if _has_content(session):
        return DemoReport(already_has_content=True)
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
            create_term(session, model, schema.model_validate(item))
            report.created += 1
    for item in content["articles"]:
        fields = dict(item)
        days = fields.pop("publish_in_days", None)
        if days is not None:
            fields["published_at"] = (now + timedelta(days=days)).isoformat()
        image = fields.get("featured_image")
        if image is not None and "picture" in image:
            media = add_media(
                session,
                library,
                data=pictures.draw(image["picture"]),
                alt=image["alt"],
                caption=image.get("caption"),
                credit=image.get("credit"),
            )
            fields["featured_image"] = {"media_id": media.id}
        create_article(session, data=ArticleCreate.model_validate(fields), now=now)
        report.created += 1
    for item in content["ticker"]:
        fields = dict(item)
        slug = fields.pop("article", None)
        if slug:
            fields["article_id"] = session.exec(
                select(Article.id).where(Article.slug == slug)
            ).one()
        create_headline(session, data=TickerHeadlineCreate.model_validate(fields), now=now)
        report.created += 1
    return report


def _has_content(session: Session) -> bool:
    return any(
        session.exec(select(model.id).limit(1)).first() is not None
        for model in (Article, Category, Tag, Author, TickerHeadline)
    )


def load_demo_content(settings: Settings) -> DemoReport:
    with session_for(settings) as session, unit_of_work(session):
        return load_demo(session, MediaLibrary.from_settings(settings))
