"""Sitemaps and the Google News sitemap, read with an XML parser, on both databases."""

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session

from app.core.config import Settings
from app.main import create_app
from app.models import Article, ArticleStatus
from app.text.slugs import SLUG_MAX
from tests.factories import bearer, make_article, make_author, make_category, make_tag, make_token
from tests.feeds.test_feeds import API, SITE, site_settings

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
XML = "application/xml; charset=utf-8"


@pytest.fixture
def site_client(settings: Settings) -> Iterator[TestClient]:
    # Two URLs a sitemap, so that paging shows with a few articles.
    changes = {"sitemap_urls": 2, "site_article_url": "/articles/{slug}"}
    with TestClient(create_app(site_settings(settings, **changes))) as client:
        yield client


def parsed(client: TestClient, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XML
    assert "&#" not in response.text
    return ET.fromstring(response.content)


def locs(root: ET.Element, element: str = "url") -> list[str]:
    return [node.findtext(f"{SM}loc") or "" for node in root.findall(f"{SM}{element}")]


def month(year: int, number: int, day: int = 5) -> datetime:
    return datetime(year, number, day, 10, tzinfo=UTC)


@pytest.fixture
def archive(session: Session) -> list[Article]:
    """Three articles in October 2026, one in November; a draft, a scheduled one."""
    make_category(session, "اقتصاد")
    make_tag(session, "أسواق")
    make_author(session, "ليلى حداد")
    made = [
        make_article(session, "خبر أول", published_at=month(2026, 10, 1), category="اقتصاد"),
        make_article(session, "خبر ثان", published_at=month(2026, 10, 2), tags=["أسواق"]),
        make_article(
            session,
            "خبر ثالث",
            published_at=month(2026, 10, 31),
            featured_image={"url": "https://cdn.example.org/p.jpg", "alt": "صورة"},
        ),
        make_article(session, "خبر رابع", published_at=month(2026, 11), authors=["ليلى-حداد"]),
    ]
    make_article(session, "مسودة", status="draft", published_at=None)
    make_article(session, "مجدول", published_at=datetime.now(UTC) + timedelta(days=3))
    return made


def test_the_index_lists_a_sitemap_per_month_split_when_busy(
    site_client: TestClient, archive: list[Article]
) -> None:
    index = parsed(site_client, "/sitemaps/index.xml")
    assert index.tag == f"{SM}sitemapindex"
    assert locs(index, "sitemap") == [
        f"{API}/sitemaps/pages/articles-2026-10.xml",
        f"{API}/sitemaps/pages/articles-2026-10-2.xml",
        f"{API}/sitemaps/pages/articles-2026-11.xml",
        f"{API}/sitemaps/pages/categories.xml",
        f"{API}/sitemaps/pages/tags.xml",
        f"{API}/sitemaps/pages/authors.xml",
        f"{API}/sitemaps/news.xml",
    ]
    lastmods = [node.findtext(f"{SM}lastmod") for node in index.findall(f"{SM}sitemap")]
    october = max(a.updated_at for a in archive[:3])
    assert lastmods[0] == october.isoformat(timespec="seconds").replace("+00:00", "Z")
    assert lastmods[-1] is None


def test_a_month_and_its_pages(site_client: TestClient, archive: list[Article]) -> None:
    first = parsed(site_client, "/sitemaps/pages/articles-2026-10.xml")
    second = parsed(site_client, "/sitemaps/pages/articles-2026-10-2.xml")
    november = parsed(site_client, "/sitemaps/pages/articles-2026-11.xml")
    expected = [f"{SITE}/articles/{quote(a.slug)}" for a in archive]
    assert locs(first) + locs(second) + locs(november) == expected
    lastmod = first.find(f"{SM}url/{SM}lastmod")
    assert lastmod is not None
    assert datetime.fromisoformat(lastmod.text or "") == archive[0].updated_at.replace(
        microsecond=0
    )
    image = second.find(f"{SM}url/{IMAGE}image/{IMAGE}loc")
    assert image is not None
    assert image.text == "https://cdn.example.org/p.jpg"
    assert first.find(f"{SM}url/{IMAGE}image") is None

    for missing in ("articles-2026-10-3", "articles-2026-09", "articles-2026-13", "pages", "x"):
        response = site_client.get(f"/sitemaps/pages/{missing}.xml")
        assert response.status_code == 404, missing
        assert response.headers["content-type"] == "application/problem+json"


def test_a_page_revalidates_and_changes_with_its_month(
    site_client: TestClient, session: Session, archive: list[Article]
) -> None:
    path = "/sitemaps/pages/articles-2026-11.xml"
    response = site_client.get(path)
    etag = response.headers["etag"]
    assert response.headers["cache-control"].startswith("public, max-age=60")
    assert response.headers["surrogate-key"] == "articles"
    assert site_client.get(path, headers={"If-None-Match": etag}).status_code == 304
    make_article(session, "خبر خامس", published_at=month(2026, 11, 20))
    changed = site_client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert len(locs(ET.fromstring(changed.content))) == 2


def test_terms(site_client: TestClient, archive: list[Article], session: Session) -> None:
    assert locs(parsed(site_client, "/sitemaps/pages/categories.xml")) == [
        f"{SITE}/category/{quote('اقتصاد')}"
    ]
    assert locs(parsed(site_client, "/sitemaps/pages/tags.xml")) == [f"{SITE}/tag/{quote('أسواق')}"]
    for name in ("الأول", "الثاني"):
        make_tag(session, name)
    assert len(locs(parsed(site_client, "/sitemaps/pages/tags.xml"))) == 2
    assert locs(parsed(site_client, "/sitemaps/pages/tags-2.xml")) == [
        f"{SITE}/tag/{quote('الثاني')}"
    ]
    assert locs(parsed(site_client, "/sitemaps/pages/authors.xml")) == [
        f"{SITE}/author/{quote('ليلى-حداد')}"
    ]


def test_news_lists_the_last_48_hours_only(
    site_client: TestClient, session: Session, archive: list[Article]
) -> None:
    now = datetime.now(UTC)
    recent = [
        make_article(
            session, "عاجل: اتفاق على وقف إطلاق النار", published_at=now - timedelta(hours=1)
        ),
        make_article(session, "قمة اقتصادية", published_at=now - timedelta(hours=47)),
    ]
    make_article(session, "خبر الأمس الأول", published_at=now - timedelta(hours=49))
    gone = make_article(session, "خبر حذف", published_at=now - timedelta(hours=2))
    token = bearer(make_token(session))
    assert site_client.delete(f"/v1/articles/{gone.id}", headers=token).status_code == 204
    appears = now + timedelta(seconds=1.5)
    make_article(session, "خبر مجدول قريب", published_at=appears)

    news = parsed(site_client, "/sitemaps/news.xml")
    assert news.tag == f"{SM}urlset"
    titles = [n.text for n in news.iter(f"{NEWS}title")]
    assert titles in ([a.title for a in recent], ["خبر مجدول قريب", *(a.title for a in recent)])
    assert len(titles) == 2 or datetime.now(UTC) >= appears
    entry = news.findall(f"{SM}url")[-2]
    assert entry.findtext(f"{SM}loc") == f"{SITE}/articles/{quote(recent[0].slug)}"
    publication = entry.find(f"{NEWS}news/{NEWS}publication")
    assert publication is not None
    assert publication.findtext(f"{NEWS}name") == "أخبار اليوم"
    assert publication.findtext(f"{NEWS}language") == "ar"
    date = entry.findtext(f"{NEWS}news/{NEWS}publication_date") or ""
    assert date.endswith("Z")
    assert datetime.fromisoformat(date) == recent[0].published_at.replace(microsecond=0)

    time.sleep(max(0.0, (appears - datetime.now(UTC)).total_seconds() + 0.1))
    titles = [n.text for n in parsed(site_client, "/sitemaps/news.xml").iter(f"{NEWS}title")]
    assert titles == ["خبر مجدول قريب", *(a.title for a in recent)]


def test_site_templates_are_checked_at_start_up(settings: Settings) -> None:
    with pytest.raises(ValueError, match=r"unknown placeholder \{title\}"):
        Settings(site_article_url="/{title}")
    with pytest.raises(ValueError, match="not a path"):
        Settings(site_tag_url="tag/{slug}")
    assert Settings(site_author_url="https://people.example/{id}-{slug}").site_author_url


def test_news_holds_at_most_1000_and_a_url_too_long_is_left_out(
    settings: Settings, site_client: TestClient, session: Session
) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "slug": f"خبر-{n}",
            "slug_key": f"خبر-{n}",
            "title": f"خبر رقم {n}",
            "body": "<p>نص</p>",
            "body_text": "نص",
            "lang": "ar",
            "status": ArticleStatus.published,
            "published_at": now - timedelta(seconds=n + 1),
            "is_exclusive": False,
            "is_breaking": False,
            "comments_enabled": True,
            "version": 1,
            "word_count": 1,
            "reading_time_minutes": 1,
            "comment_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(1005)
    ]
    long_slug = "ع" * SLUG_MAX  # 1,200 characters once percent-encoded
    rows[0] |= {"slug": long_slug, "slug_key": long_slug}
    session.execute(insert(Article), rows)
    session.commit()

    news = parsed(site_client, "/sitemaps/news.xml")
    assert [n.text for n in news.iter(f"{NEWS}title")] == [f"خبر رقم {n}" for n in range(1000)]

    # Pages under a long path: the longest slug makes a URL of 2,048 characters or more.
    long_path = site_settings(settings, site_article_url="/" + "a" * 900 + "/{slug}")
    with TestClient(create_app(long_path)) as client:
        titles = [n.text for n in parsed(client, "/sitemaps/news.xml").iter(f"{NEWS}title")]
        month = f"articles-{now:%Y-%m}"
        pages = [parsed(client, f"/sitemaps/pages/{month}.xml")]
        if (now - timedelta(seconds=1006)).month != now.month:  # the hour spans two months
            pages.append(
                parsed(client, f"/sitemaps/pages/articles-{now - timedelta(hours=1):%Y-%m}.xml")
            )
    assert titles == [f"خبر رقم {n}" for n in range(1, 1000)]
    listed = [loc for page in pages for loc in locs(page)]
    assert len(listed) == 1004
    assert all(len(loc) < 2048 for loc in listed)
