"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, read back with feedparser and an XML
parser, on both databases."""

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import feedparser
import httpx2 as httpx
import jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.main import create_app
from app.models import Article
from tests.factories import bearer, make_article, make_author, make_category, make_tag, make_token
from tests.media.pictures import jpeg

SITE = "https://akhbar.example"
API = "https://api.akhbar.example"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}
FEEDS = {
    "/feeds/rss.xml": "application/rss+xml; charset=utf-8",
    "/feeds/atom.xml": "application/atom+xml; charset=utf-8",
    "/feeds/feed.json": "application/feed+json; charset=utf-8",
}


# JSON Feed 1.1 (https://jsonfeed.org/version/1.1), as a JSON Schema: feedparser reads
# RSS and Atom only.
JSON_FEED = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "home_page_url": {"type": "string", "format": "uri"},
        "feed_url": {"type": "string", "format": "uri"},
        "description": {"type": "string"},
        "language": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string"},
                    "url": {"type": "string", "format": "uri"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "content_text": {"type": "string"},
                    "summary": {"type": "string"},
                    "image": {"type": "string", "format": "uri"},
                    "date_published": {"type": "string", "format": "date-time"},
                    "date_modified": {"type": "string", "format": "date-time"},
                    "authors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "url": {"type": "string", "format": "uri"},
                            },
                        },
                    },
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "language": {"type": "string"},
                },
            },
        },
    },
}


def entries_of(response: httpx.Response) -> list[dict[str, str]]:
    """The titles and links of a feed in any of the three formats."""
    if response.headers["content-type"].startswith("application/feed+json"):
        jsonschema.validate(
            response.json(),
            JSON_FEED,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        return [{"title": i["title"], "link": i["url"]} for i in response.json()["items"]]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return [{"title": e.title, "link": e.link} for e in parsed.entries]


def site_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(
        update={
            "site_url": SITE,
            "site_api_url": API,
            "site_name": "أخبار اليوم",
            "site_article_url": "/{category}/{yyyy}/{mm}/{slug}",
            **changes,
        }
    )


@pytest.fixture
def site_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(site_settings(settings))) as client:
        yield client


@pytest.fixture
def articles(session: Session) -> list[Article]:
    """Three public articles (newest last), a draft, a deleted one."""
    make_category(session, "اقتصاد")
    make_category(session, "ثقافة")
    make_tag(session, "أسواق")
    make_author(session, "ليلى حداد")
    make_author(session, "سامر نصر")
    made = [
        make_article(
            session,
            "البنك المركزي يبقي الفائدة دون تغيير",
            hours=1,
            category="اقتصاد",
            tags=["أسواق"],
            authors=["ليلى-حداد", "سامر-نصر"],
            excerpt="قرار متوقع بعد اجتماع استمر يومين.",
            body="<p>أبقى البنك المركزي سعر الفائدة عند مستواه.</p>",
        ),
        make_article(session, "افتتاح معرض الكتاب", hours=2, category="ثقافة"),
        make_article(
            session,
            "الأسهم تغلق على ارتفاع",
            hours=3,
            category="اقتصاد",
            authors=["سامر-نصر"],
            featured_image={"url": "https://cdn.example.org/bourse.jpg", "alt": "قاعة التداول"},
        ),
    ]
    make_article(session, "مسودة لم تنشر", status="draft", published_at=None)
    return made


def test_without_a_site_url_feeds_and_sitemaps_say_what_enables_them(
    client: TestClient,
) -> None:
    for path in [*FEEDS, "/sitemaps/index.xml", "/sitemaps/news.xml"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "AKHBAR_SITE_URL" in response.json()["detail"]


def test_rss(site_client: TestClient, articles: list[Article]) -> None:
    response = site_client.get("/feeds/rss.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == FEEDS["/feeds/rss.xml"]
    assert "&#" not in response.text  # Arabic as UTF-8, never numeric entities
    assert "الأسهم تغلق على ارتفاع".encode() in response.content

    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "rss20"
    assert parsed.feed.title == "أخبار اليوم"
    assert parsed.feed.link == SITE
    assert [e.title for e in parsed.entries] == [a.title for a in reversed(articles)]
    assert [e.link for e in parsed.entries] == [
        f"{SITE}/{quote(a.category.slug)}/2026/11/{quote(a.slug)}"  # type: ignore[union-attr]
        for a in reversed(articles)
    ]
    first = parsed.entries[-1]
    assert first.id == f"{API}/v1/articles/{articles[0].id}"
    assert first.guidislink is False
    assert datetime(*first.published_parsed[:6], tzinfo=UTC) == articles[0].published_at
    assert first.summary == "قرار متوقع بعد اجتماع استمر يومين."
    assert first.content[0].value == "<p>أبقى البنك المركزي سعر الفائدة عند مستواه.</p>"

    channel = ET.fromstring(response.content).find("channel")
    assert channel is not None
    self_link = channel.find("atom:link", NS)
    assert self_link is not None
    assert self_link.attrib == {
        "href": f"{API}/feeds/rss.xml",
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert channel.findtext("language") == "ar"
    items = channel.findall("item")
    oldest = items[-1]
    assert [c.text for c in oldest.findall("dc:creator", NS)] == ["ليلى حداد", "سامر نصر"]
    assert [(c.text, c.get("domain")) for c in oldest.findall("category")] == [
        ("اقتصاد", f"{SITE}/category/{quote('اقتصاد')}"),
        ("أسواق", f"{SITE}/tag/{quote('أسواق')}"),
    ]
    published = parsedate_to_datetime(oldest.findtext("pubDate") or "")
    assert published == articles[0].published_at
    assert (oldest.findtext("pubDate") or "").endswith(" GMT")
    picture = items[0].find("media:content", NS)
    assert picture is not None
    assert picture.get("url") == "https://cdn.example.org/bourse.jpg"
    assert picture.findtext("media:description", namespaces=NS) == "قاعة التداول"
    # An external picture's size is unknown: no enclosure, which needs one.
    assert items[0].find("enclosure") is None


def test_atom(site_client: TestClient, articles: list[Article]) -> None:
    response = site_client.get("/feeds/atom.xml")
    assert response.headers["content-type"] == FEEDS["/feeds/atom.xml"]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == [a.title for a in reversed(articles)]
    assert [e.id for e in parsed.entries] == [
        f"{API}/v1/articles/{a.id}" for a in reversed(articles)
    ]
    oldest = parsed.entries[-1]
    assert [a.name for a in oldest.authors] == ["ليلى حداد", "سامر نصر"]
    assert [t.term for t in oldest.tags] == ["اقتصاد", "أسواق"]
    assert datetime(*oldest.published_parsed[:6], tzinfo=UTC) == articles[0].published_at

    feed = ET.fromstring(response.content)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    assert feed.findtext("atom:id", namespaces=NS) == f"{API}/feeds/atom.xml"
    updated = feed.findtext("atom:updated", namespaces=NS) or ""
    assert datetime.fromisoformat(updated) == max(a.updated_at for a in articles).replace(
        microsecond=0
    )
    # RFC 4287: every entry has an author, its own or the feed's.
    assert feed.find("atom:author/atom:name", NS).text == "أخبار اليوم"  # type: ignore[union-attr]
    for entry in feed.findall("atom:entry", NS):
        assert entry.findtext("atom:updated", namespaces=NS)
        assert entry.find("atom:link[@rel='alternate']", NS) is not None


def test_json_feed(site_client: TestClient, articles: list[Article]) -> None:
    response = site_client.get("/feeds/feed.json")
    assert response.headers["content-type"] == FEEDS["/feeds/feed.json"]
    assert [e["title"] for e in entries_of(response)] == [a.title for a in reversed(articles)]
    document = response.json()
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == f"{API}/feeds/feed.json"
    assert document["language"] == "ar"
    items = document["items"]
    assert [i["title"] for i in items] == [a.title for a in reversed(articles)]
    assert items[-1]["authors"] == [
        {"name": "ليلى حداد", "url": f"{SITE}/author/{quote('ليلى-حداد')}"},
        {"name": "سامر نصر", "url": f"{SITE}/author/{quote('سامر-نصر')}"},
    ]
    assert items[-1]["date_published"] == "2026-11-01T09:00:00Z"
    assert items[0]["image"] == "https://cdn.example.org/bourse.jpg"


def test_excerpts_only_when_the_setting_says_so(
    settings: Settings, articles: list[Article]
) -> None:
    with TestClient(create_app(site_settings(settings, feeds_content="excerpt"))) as client:
        parsed = feedparser.parse(client.get("/feeds/rss.xml").content)
        assert "content" not in parsed.entries[-1]
        assert parsed.entries[-1].summary == "قرار متوقع بعد اجتماع استمر يومين."
        assert "content_html" not in client.get("/feeds/feed.json").json()["items"][-1]


@pytest.mark.parametrize("path", list(FEEDS))
def test_a_feed_of_one_category_tag_or_author(
    site_client: TestClient, articles: list[Article], path: str
) -> None:
    def titles(**params: str) -> list[str]:
        response = site_client.get(path, params=params)
        assert response.status_code == 200, response.text
        return [e["title"] for e in entries_of(response)]

    assert titles(category="اقتصاد") == [
        "الأسهم تغلق على ارتفاع",
        "البنك المركزي يبقي الفائدة دون تغيير",
    ]
    assert titles(tag="أسواق") == ["البنك المركزي يبقي الفائدة دون تغيير"]
    assert titles(author="سامر-نصر", category="اقتصاد") == [
        "الأسهم تغلق على ارتفاع",
        "البنك المركزي يبقي الفائدة دون تغيير",
    ]
    if path != "/feeds/feed.json":
        parsed = feedparser.parse(site_client.get(path, params={"category": "ثقافة"}).content)
        assert parsed.feed.title == "أخبار اليوم — ثقافة"
        assert parsed.feed.link == f"{SITE}/category/{quote('ثقافة')}"
    else:
        document = site_client.get(path, params={"category": "ثقافة"}).json()
        assert document["title"] == "أخبار اليوم — ثقافة"
        assert document["home_page_url"] == f"{SITE}/category/{quote('ثقافة')}"

    unknown = site_client.get(path, params={"category": "رياضة"})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "no category with slug 'رياضة'"
    assert site_client.get(path, params={"q": "x"}).status_code == 422


def test_caching_headers_and_revalidation(site_client: TestClient, articles: list[Article]) -> None:
    response = site_client.get("/feeds/rss.xml", params={"category": "ثقافة"})
    assert response.headers["cache-control"] == (
        "public, max-age=60, s-maxage=120, stale-while-revalidate=60"
    )
    keys = response.headers["surrogate-key"].split()
    assert keys[:2] == ["articles", f"category-{articles[1].category_id}"]
    assert f"article-{articles[1].id}" in keys
    assert f"article-{articles[0].id}" not in keys
    again = site_client.get(
        "/feeds/rss.xml",
        params={"category": "ثقافة"},
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304


def test_the_newest_fifty(site_client: TestClient, session: Session) -> None:
    for hour in range(53):
        make_article(session, f"خبر رقم {hour}", hours=hour)
    entries = feedparser.parse(site_client.get("/feeds/rss.xml").content).entries
    assert [e.title for e in entries] == [f"خبر رقم {hour}" for hour in range(52, 2, -1)]


def test_a_scheduled_article_appears_at_its_time_and_an_unpublished_one_leaves(
    site_client: TestClient, session: Session, articles: list[Article]
) -> None:
    token = bearer(make_token(session))
    appears = datetime.now(UTC) + timedelta(seconds=1.5)
    scheduled = make_article(session, "خبر مجدول", published_at=appears)

    def titles() -> list[str]:
        return [
            e.title for e in feedparser.parse(site_client.get("/feeds/atom.xml").content).entries
        ]

    before, asked = titles(), datetime.now(UTC)
    assert "خبر مجدول" not in before or asked >= appears
    time.sleep(max(0.0, (appears - datetime.now(UTC)).total_seconds() + 0.1))
    assert titles()[0] == "خبر مجدول"

    # Unpublished: the feed's entry for it ends, on this worker at once.
    response = site_client.patch(
        f"/v1/articles/{scheduled.id}", json={"status": "draft"}, headers=token
    )
    assert response.status_code == 200, response.text
    assert "خبر مجدول" not in titles()
    deleted = site_client.delete(f"/v1/articles/{articles[2].id}", headers=token)
    assert deleted.status_code == 204
    assert titles() == [articles[1].title, articles[0].title]


def test_article_answers_carry_their_page_url(
    site_client: TestClient, articles: list[Article]
) -> None:
    article = articles[0]
    expected = f"{SITE}/{quote('اقتصاد')}/2026/11/{quote(article.slug)}"
    assert site_client.get(f"/v1/articles/{article.id}").json()["url"] == expected
    listed = site_client.get("/v1/articles").json()["data"]
    assert [item["url"] for item in listed][-1] == expected


def test_without_a_site_an_article_has_no_url(client: TestClient, articles: list[Article]) -> None:
    assert client.get(f"/v1/articles/{articles[0].id}").json()["url"] is None


def test_a_library_picture_is_an_enclosure_and_its_urls_are_absolute(
    site_client: TestClient, session: Session
) -> None:
    token = bearer(make_token(session))
    uploaded = site_client.post(
        "/v1/media",
        files={"file": ("souk.jpg", jpeg(1600, 1200), "image/jpeg")},
        data={"alt": "سوق المدينة صباحاً"},
        headers=token,
    )
    assert uploaded.status_code == 201, uploaded.text
    media = uploaded.json()
    make_article(
        session,
        "خبر مصور",
        featured_image={"media_id": media["id"]},
        body=f'<p>نص</p><img data-media-id="{media["id"]}">',
    )

    item = ET.fromstring(site_client.get("/feeds/rss.xml").content).find("channel/item")
    assert item is not None
    enclosure = item.find("enclosure")
    assert enclosure is not None
    assert enclosure.attrib == {
        "url": API + media["url"],
        "length": str(media["bytes"]),
        "type": "image/jpeg",
    }
    picture = item.find("media:content", NS)
    assert picture is not None
    assert (picture.get("url"), picture.get("width"), picture.get("height")) == (
        API + media["url"],
        "1600",
        "1200",
    )
    body = item.findtext("content:encoded", namespaces=NS) or ""
    assert f'src="{API}/media/' in body
    srcset = body.split('srcset="')[1].split('"')[0]
    assert [entry.split()[0].startswith(f"{API}/media/") for entry in srcset.split(", ")] == [
        True
    ] * len(srcset.split(", "))
    assert '"/media/' not in body


def test_a_draft_without_a_date_has_no_url_where_the_page_needs_one(
    site_client: TestClient, session: Session, articles: list[Article]
) -> None:
    editor = bearer(make_token(session))
    draft = site_client.post("/v1/articles", json={"title": "مسودة بلا تاريخ"}, headers=editor)
    assert draft.status_code == 201
    assert draft.json()["url"] is None  # the template names {yyyy} and {mm}
    dated = site_client.patch(
        f"/v1/articles/{draft.json()['id']}",
        json={"published_at": "2026-12-24T10:00:00+00:00"},
        headers=editor,
    )
    assert dated.json()["url"] == f"{SITE}/-/2026/12/{quote(draft.json()['slug'])}"
