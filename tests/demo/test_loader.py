"""The demo content is rich enough to show the product, and loads idempotently."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.core.config import Settings
from app.demo.loader import DemoReport, demo_content, load_demo
from app.media.library import MediaLibrary
from app.models import Article, ArticleStatus, Tag, TickerHeadline

HARAKAT = re.compile("[\u064b-\u0652]")


@pytest.fixture
def library(settings: Settings) -> MediaLibrary:
    return MediaLibrary.from_settings(settings)


class TestDemoContent:
    def test_shape_of_the_content(self) -> None:
        content = demo_content()
        articles = content["articles"]

        assert len(articles) >= 30
        assert len(content["categories"]) >= 4
        assert len(content["tags"]) >= 5
        assert len(content["authors"]) >= 3
        assert sum(a["is_exclusive"] for a in articles) >= 5
        assert sum(bool(HARAKAT.search(a["title"])) for a in articles) >= 5
        assert [a["slug"] for a in articles if a["status"] == "draft"] == ["مسودة-تحقيق-عن-الطحين"]
        assert [a["slug"] for a in articles if "publish_in_days" in a] == [
            "ملف-خاص-عن-الانتخابات-المحلية"
        ]
        assert all("<p>" in a["body"] for a in articles)

    def test_loads_once_and_then_changes_nothing(
        self, session: Session, library: MediaLibrary
    ) -> None:
        now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
        content = demo_content()
        total = sum(
            len(content[key]) for key in ("categories", "tags", "authors", "articles", "ticker")
        )

        first = load_demo(session, library, now=now)
        session.commit()
        second = load_demo(session, library, now=now + timedelta(days=1))
        session.commit()

        assert (first.created, first.already_has_content) == (total, False)
        assert (second.created, second.already_has_content) == (0, True)
        assert session.exec(select(func.count()).select_from(Article)).one() == len(
            content["articles"]
        )
        scheduled = session.exec(
            select(Article).where(Article.slug == "ملف-خاص-عن-الانتخابات-المحلية")
        ).one()
        assert scheduled.status is ArticleStatus.published
        assert scheduled.published_at == now + timedelta(days=30)

    def test_loading_again_never_undoes_an_editor(
        self, session: Session, library: MediaLibrary
    ) -> None:
        load_demo(session, library)
        session.commit()
        headline = session.exec(select(TickerHeadline).order_by(col(TickerHeadline.id))).first()
        assert headline is not None
        original = headline.text
        headline.text = "نص عدّله محرر"
        renamed = session.exec(select(Article).order_by(col(Article.id))).first()
        assert renamed is not None
        old_slug, renamed.slug = renamed.slug, "عنوان-جديد-من-المحرر"
        session.delete(
            session.exec(select(TickerHeadline).order_by(col(TickerHeadline.id).desc())).first()
        )
        session.commit()
        counts = [_count(session, model) for model in (Article, Tag, TickerHeadline)]

        again = load_demo(session, library)
        session.commit()

        assert again == DemoReport(created=0, already_has_content=True)
        assert [_count(session, model) for model in (Article, Tag, TickerHeadline)] == counts
        assert (
            session.exec(select(TickerHeadline).where(TickerHeadline.text == original)).all() == []
        )
        assert session.exec(select(Article).where(Article.slug == old_slug)).all() == []

    def test_public_list_hides_the_draft_and_the_scheduled_article(
        self, session: Session, library: MediaLibrary, client: TestClient
    ) -> None:
        load_demo(session, library)
        session.commit()

        listed = client.get("/v1/articles", params={"limit": 100}).json()["data"]

        slugs = {item["slug"] for item in listed}
        assert len(listed) == len(demo_content()["articles"]) - 2
        assert "مسودة-تحقيق-عن-الطحين" not in slugs
        assert "ملف-خاص-عن-الانتخابات-المحلية" not in slugs

    def test_the_pictures_are_in_the_library_and_load(
        self, session: Session, library: MediaLibrary, client: TestClient
    ) -> None:
        load_demo(session, library)
        session.commit()

        listed = client.get("/v1/articles", params={"limit": 100}).json()["data"]

        images = [item["featured_image"] for item in listed if item["featured_image"]]
        assert len(images) == 3
        for image in images:
            assert image["media_id"] is not None
            assert (image["width"], image["height"]) == (1600, 900)
            assert image["credit"] == "رسم: أخبار"
            for rendition in image["renditions"]:
                served = client.get(rendition["url"])
                assert served.status_code == 200
                assert served.headers["content-type"] == rendition["content_type"]


def _count(session: Session, model: type[Article] | type[Tag] | type[TickerHeadline]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()
