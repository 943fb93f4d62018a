"""Editors writing articles: create, update with If-Match, delete, revisions, workflow."""

import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.auth.scopes import Scope
from app.models import Article, ArticleRevision, ArticleTag
from tests.factories import bearer, make_article, make_author, make_category, make_tag, make_token

PROBLEM = "application/problem+json"


@pytest.fixture
def editor(session: Session) -> dict[str, str]:
    return bearer(make_token(session, Scope.articles_write, name="محرر"))


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    return bearer(make_token(session, Scope.admin, name="مدير"))


@pytest.fixture
def terms(session: Session) -> None:
    make_category(session, "سياسة")
    make_category(session, "اقتصاد")
    make_tag(session, "مفاوضات")
    make_tag(session, "لاجئون")
    make_author(session, "يوسف حداد")
    make_author(session, "سلمى الخطيب")


def article_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Article)).one()


def revisions_of(session: Session, article_id: int) -> list[ArticleRevision]:
    session.expire_all()
    return list(
        session.exec(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == article_id)
            .order_by(col(ArticleRevision.id))
        )
    )


def etag(article_id: int, version: int) -> str:
    return f'"article-{article_id}-v{version}"'


class TestCreateArticle:
    def test_creates_a_draft_with_derived_fields(
        self, client: TestClient, session: Session, editor: dict, terms: None
    ) -> None:
        body = "<p>عاد السوق الأقدم في المدينة إلى الحياة صباح اليوم بعد ثلاث سنوات.</p>"

        response = client.post(
            "/v1/articles",
            json={
                "title": "افتتاح سوقِ الحرير بعد الترميم",
                "body": body,
                "category": "اقتصاد",
                "tags": ["لاجئون", "مفاوضات", "لاجئون"],
                "authors": ["سلمى-الخطيب", "يوسف-حداد"],
            },
            headers=editor,
        )

        assert response.status_code == 201
        article = response.json()
        assert response.headers["location"] == f"/v1/articles/{article['id']}"
        assert response.headers["etag"] == etag(article["id"], 1)
        assert article["slug"] == "افتتاح-سوق-الحرير-بعد-الترميم"
        assert article["status"] == "draft"
        assert article["published_at"] is None
        assert article["body"] == body
        assert (
            article["excerpt"]
            == "عاد السوق الأقدم في المدينة إلى الحياة صباح اليوم بعد ثلاث سنوات."
        )
        assert article["word_count"] == 12
        assert article["reading_time_minutes"] == 1
        assert article["category"]["slug"] == "اقتصاد"
        assert [t["slug"] for t in article["tags"]] == ["مفاوضات", "لاجئون"]
        assert [a["slug"] for a in article["authors"]] == ["سلمى-الخطيب", "يوسف-حداد"]
        assert article["version"] == 1
        row = session.get(Article, article["id"])
        assert row is not None
        assert row.body_text == "عاد السوق الأقدم في المدينة إلى الحياة صباح اليوم بعد ثلاث سنوات."
        # A draft: the public cannot see it, the editor can.
        assert client.get(f"/v1/articles/{article['id']}").status_code == 404
        assert client.get(f"/v1/articles/{article['id']}", headers=editor).status_code == 200

    def test_published_without_a_time_is_published_now(
        self, client: TestClient, editor: dict
    ) -> None:
        response = client.post(
            "/v1/articles", json={"title": "عاجل", "status": "published"}, headers=editor
        )

        published_at = datetime.fromisoformat(response.json()["published_at"])
        assert datetime.now(UTC) - published_at < timedelta(seconds=10)
        assert client.get("/v1/articles/عاجل").status_code == 200

    def test_generated_slugs_get_a_numeric_suffix(self, client: TestClient, editor: dict) -> None:
        slugs = [
            client.post("/v1/articles", json={"title": "خبر عاجل!"}, headers=editor).json()["slug"]
            for _ in range(3)
        ]

        assert slugs == ["خبر-عاجل", "خبر-عاجل-2", "خبر-عاجل-3"]

    def test_an_explicit_slug_that_is_taken_is_409(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        make_article(session, "خبر", slug="خبر")

        response = client.post("/v1/articles", json={"title": "آخر", "slug": "خبر"}, headers=editor)

        assert response.status_code == 409
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"] == "another article has the slug 'خبر'"
        assert article_count(session) == 1

    @pytest.mark.parametrize(
        ("hostile", "stored"),
        [
            ("<p>أ<script>alert(1)</script>ب</p>", "<p>أب</p>"),
            ("<p><style>body{display:none}</style>نص</p>", "<p>نص</p>"),
            ('<p onmouseover="steal()">نص</p>', "<p>نص</p>"),
            ('<a href="javascript:alert(1)">اضغط</a>', '<a rel="noopener noreferrer">اضغط</a>'),
            ('<a href="JaVaScRiPt:alert(1)">اضغط</a>', '<a rel="noopener noreferrer">اضغط</a>'),
            (
                '<a href="https://example.com" target="_blank">رابط</a>',
                '<a href="https://example.com" rel="noopener noreferrer">رابط</a>',
            ),
            ('<img src="x" onerror="alert(1)">', '<img src="x">'),
            ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "<img>"),
            ("<iframe src='https://evil.example'></iframe><p>نص</p>", "<p>نص</p>"),
            ("<object data='x.swf'></object><embed src='x'>", ""),
            ("<svg><script>alert(1)</script></svg>", ""),
            ("<form action='/steal'><input name='q'></form>", ""),
            ("<marquee>قديم</marquee>", "قديم"),
            ('<p style="position:fixed">نص</p>', "<p>نص</p>"),
            ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""),
            ("<!-- <script>x</script> --><p>نص</p>", "<p>نص</p>"),
            ('<p dir="rtl" lang="ar">نص</p>', '<p dir="rtl" lang="ar">نص</p>'),
        ],
    )
    def test_hostile_html_is_sanitised(
        self, client: TestClient, session: Session, editor: dict, hostile: str, stored: str
    ) -> None:
        response = client.post(
            "/v1/articles", json={"title": "اختبار", "body": hostile}, headers=editor
        )

        assert response.status_code == 201
        assert response.json()["body"] == stored
        row = session.get(Article, response.json()["id"])
        assert row is not None
        assert row.body == stored

    @pytest.mark.parametrize(
        ("payload", "loc"),
        [
            ({}, ["body", "title"]),
            ({"title": ""}, ["body", "title"]),
            ({"title": "ع" * 301}, ["body", "title"]),
            ({"title": "خبر\x00"}, ["body", "title"]),
            ({"title": "خبر \u202eمقلوب"}, ["body", "title"]),
            ({"title": "خبر", "slug": "Not A Slug"}, ["body", "slug"]),
            ({"title": "خبر", "slug": "12345"}, ["body", "slug"]),
            ({"title": "خبر", "slug": "يعقِّب"}, ["body", "slug"]),
            ({"title": "خبر", "body": "ع" * 500_001}, ["body", "body"]),
            ({"title": "خبر", "lang": "Arabic"}, ["body", "lang"]),
            ({"title": "خبر", "status": "live"}, ["body", "status"]),
            ({"title": "خبر", "published_at": "2026-11-29T10:00:00"}, ["body", "published_at"]),
            ({"title": "خبر", "category": "رياضة"}, ["body", "category"]),
            ({"title": "خبر", "tags": ["مفاوضات", "طقس"]}, ["body", "tags", 1]),
            ({"title": "خبر", "authors": ["مجهول"]}, ["body", "authors", 0]),
            (
                {"title": "خبر", "featured_image": {"url": "ftp://x/y.jpg"}},
                ["body", "featured_image", "url"],
            ),
            ({"title": "خبر", "views": 10}, ["body", "views"]),
            ({"title": "!!!"}, ["body", "slug"]),
        ],
    )
    def test_invalid_input_is_422_naming_the_field_and_creates_nothing(
        self,
        client: TestClient,
        session: Session,
        editor: dict,
        terms: None,
        payload: dict,
        loc: list,
    ) -> None:
        response = client.post("/v1/articles", json=payload, headers=editor)

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert [error["loc"] for error in response.json()["errors"]] == [loc]
        assert article_count(session) == 0

    @pytest.mark.parametrize(
        ("content", "status"),
        [
            (b'{"title": "\xd8', 422),  # not UTF-8: not JSON
            (b'{"title": "x"', 422),  # cut short
            (b"[1, 2]", 422),
            (b'"title"', 422),
        ],
    )
    def test_a_body_that_is_not_a_json_object_is_a_4xx_problem(
        self, client: TestClient, session: Session, editor: dict, content: bytes, status: int
    ) -> None:
        response = client.post(
            "/v1/articles", content=content, headers={**editor, "Content-Type": "application/json"}
        )

        assert response.status_code == status
        assert response.headers["content-type"] == PROBLEM
        assert article_count(session) == 0


class TestSchedulingAndViews:
    def test_a_scheduled_article_appears_by_itself_when_its_time_comes(
        self, client: TestClient, editor: dict
    ) -> None:
        soon = datetime.now(UTC) + timedelta(seconds=1.5)
        created = client.post(
            "/v1/articles",
            json={"title": "موعد", "status": "published", "published_at": soon.isoformat()},
            headers=editor,
        ).json()

        before = client.get("/v1/articles").json()["data"]
        single_before = client.get(f"/v1/articles/{created['id']}")
        scheduled = client.get("/v1/articles?status=scheduled", headers=editor).json()["data"]
        time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
        after = client.get("/v1/articles").json()["data"]

        assert before == []
        assert single_before.status_code == 404
        assert [a["slug"] for a in scheduled] == ["موعد"]
        assert [a["slug"] for a in after] == ["موعد"]
        assert client.get("/v1/articles?status=scheduled", headers=editor).json()["data"] == []

    def test_editor_views_by_status(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        make_article(session, "منشور", hours=1)
        make_article(session, "مسودة أولى", status="draft", published_at=None)
        make_article(session, "مسودة ثانية", status="draft", published_at=None)
        make_article(session, "مؤرشف", status="archived")
        make_article(session, "مجدول", published_at=datetime.now(UTC) + timedelta(days=1))
        deleted = make_article(session, "محذوف", hours=2)
        client.delete(f"/v1/articles/{deleted.id}", headers=editor)

        def view(status: str) -> list[str]:
            response = client.get("/v1/articles", params={"status": status}, headers=editor)
            return [a["slug"] for a in response.json()["data"]]

        assert view("draft") == ["مسودة-ثانية", "مسودة-أولى"]
        assert view("archived") == ["مؤرشف"]
        assert view("scheduled") == ["مجدول"]
        assert view("deleted") == ["محذوف"]
        assert view("published") == ["منشور"]
        assert [a["slug"] for a in client.get("/v1/articles").json()["data"]] == ["منشور"]

    def test_draft_pages_with_their_own_cursor(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        for index in range(3):
            make_article(session, f"مسودة {index}", status="draft", published_at=None)

        first = client.get("/v1/articles?status=draft&limit=2", headers=editor).json()
        second = client.get(
            "/v1/articles",
            params={"status": "draft", "limit": 2, "cursor": first["meta"]["next_cursor"]},
            headers=editor,
        ).json()

        assert [a["slug"] for a in first["data"] + second["data"]] == [
            "مسودة-2",
            "مسودة-1",
            "مسودة-0",
        ]
        assert second["meta"]["next_cursor"] is None

    def test_status_views_need_articles_write(self, client: TestClient, session: Session) -> None:
        ticker = bearer(make_token(session, Scope.ticker_write))

        assert client.get("/v1/articles?status=draft").status_code == 401
        assert client.get("/v1/articles?status=draft", headers=ticker).status_code == 403
        assert client.get("/v1/articles?status=published").status_code == 200

    def test_a_token_without_articles_write_sees_the_public_view(
        self, client: TestClient, session: Session
    ) -> None:
        draft = make_article(session, "مسودة", status="draft", published_at=None)
        ticker = bearer(make_token(session, Scope.ticker_write))

        assert client.get(f"/v1/articles/{draft.id}", headers=ticker).status_code == 404


class TestConditionalRequests:
    def test_get_carries_an_etag_and_answers_304(
        self, client: TestClient, session: Session
    ) -> None:
        article = make_article(session, "خبر")

        first = client.get(f"/v1/articles/{article.id}")
        again = client.get(
            f"/v1/articles/{article.id}", headers={"If-None-Match": first.headers["etag"]}
        )
        other = client.get(
            f"/v1/articles/{article.id}", headers={"If-None-Match": '"article-1-v9"'}
        )

        # The version, then a digest of the answer's bytes (which reader comments change).
        assert re.fullmatch(r'"article-1-v1-[0-9a-f]{20}"', first.headers["etag"])
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        assert other.status_code == 200


class TestUpdateArticle:
    def test_changes_only_what_is_sent_and_keeps_a_revision(
        self, client: TestClient, session: Session, editor: dict, terms: None
    ) -> None:
        article = make_article(
            session, "العنوان الأول", subtitle="عنوان فرعي", category="سياسة", tags=["مفاوضات"]
        )

        response = client.patch(
            f"/v1/articles/{article.id}",
            json={"title": "العنوان الثاني", "tags": ["لاجئون"], "category": None},
            headers={**editor, "If-Match": etag(article.id, 1)},
        )

        assert response.status_code == 200
        body = response.json()
        assert response.headers["etag"] == etag(article.id, 2)
        assert body["title"] == "العنوان الثاني"
        assert body["subtitle"] == "عنوان فرعي"
        assert body["slug"] == "العنوان-الأول"
        assert body["category"] is None
        assert [t["slug"] for t in body["tags"]] == ["لاجئون"]
        assert body["version"] == 2
        (revision,) = revisions_of(session, article.id)
        assert revision.version == 1
        assert revision.reason == "update"
        assert revision.snapshot["title"] == "العنوان الأول"
        assert revision.snapshot["category"] == "سياسة"
        assert revision.snapshot["tags"] == ["مفاوضات"]

    def test_a_stale_if_match_is_412_and_changes_nothing(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "الأصل")
        client.patch(f"/v1/articles/{article.id}", json={"title": "تعديل زميل"}, headers=editor)

        response = client.patch(
            f"/v1/articles/{article.id}",
            json={"title": "تعديلي"},
            headers={**editor, "If-Match": etag(article.id, 1)},
        )

        assert response.status_code == 412
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"] == (
            "the article changed since you read it (now at version 2): "
            "fetch it again and redo the change"
        )
        session.expire_all()
        assert session.get(Article, article.id).title == "تعديل زميل"  # type: ignore[union-attr]
        assert len(revisions_of(session, article.id)) == 1

    @pytest.mark.parametrize(
        "if_match", ['W/"article-1-v1"', '"article-2-v1"', "article-1-v1", '"whatever"']
    )
    def test_an_if_match_that_names_no_version_of_it_is_412(
        self, client: TestClient, session: Session, editor: dict, if_match: str
    ) -> None:
        article = make_article(session, "الأصل")
        assert article.id == 1  # each test starts from an empty database

        response = client.patch(
            f"/v1/articles/{article.id}",
            json={"title": "تعديلي"},
            headers={**editor, "If-Match": if_match},
        )

        assert response.status_code == 412
        assert revisions_of(session, article.id) == []

    def test_if_match_star_and_a_list_are_understood(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "الأصل")

        star = client.patch(
            f"/v1/articles/{article.id}", json={"title": "أ"}, headers={**editor, "If-Match": "*"}
        )
        listed = client.patch(
            f"/v1/articles/{article.id}",
            json={"title": "ب"},
            headers={**editor, "If-Match": f'"other", {etag(article.id, 2)}'},
        )

        assert star.status_code == 200
        assert listed.status_code == 200
        assert listed.json()["version"] == 3

    def test_a_changed_slug_still_finds_the_article_and_says_where_it_moved(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "العنوان القديم")

        client.patch(f"/v1/articles/{article.id}", json={"slug": "العنوان-الجديد"}, headers=editor)
        old = client.get(f"/v1/articles/{quote('العنوان-القديم')}", follow_redirects=False)
        followed = client.get(f"/v1/articles/{quote('العنوان-القديم')}")

        assert old.status_code == 301
        assert old.headers["location"] == f"/v1/articles/{quote('العنوان-الجديد')}"
        assert old.json()["detail"] == "the article moved to the slug 'العنوان-الجديد'"
        assert followed.status_code == 200
        assert followed.json()["slug"] == "العنوان-الجديد"

    def test_an_old_slug_of_a_sub_resource_moves_to_the_same_one_under_the_new_slug(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "العنوان القديم")
        client.patch(f"/v1/articles/{article.id}", json={"slug": "العنوان-الجديد"}, headers=editor)
        old, new = quote("العنوان-القديم"), quote("العنوان-الجديد")

        related = client.get(f"/v1/articles/{old}/related?limit=3", follow_redirects=False)
        # A write is sent again, body and all, to the new URL (308, not 301).
        comment = client.post(
            f"/v1/articles/{old}/comments",
            json={"author_name": "قارئ", "author_email": "q@example.org", "body": "تعليق"},
            follow_redirects=False,
        )

        assert (related.status_code, related.headers["location"]) == (
            301,
            f"/v1/articles/{new}/related?limit=3",
        )
        assert (comment.status_code, comment.headers["location"]) == (
            308,
            f"/v1/articles/{new}/comments",
        )

    def test_a_moved_draft_is_still_a_404_to_the_public(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "سر", status="draft", published_at=None)
        client.patch(f"/v1/articles/{article.id}", json={"slug": "سر-آخر"}, headers=editor)

        assert client.get(f"/v1/articles/{quote('سر')}", follow_redirects=False).status_code == 404

    def test_a_new_article_may_take_an_old_slug(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        first = make_article(session, "خبر")
        client.patch(f"/v1/articles/{first.id}", json={"slug": "خبر-محدث"}, headers=editor)

        second = client.post(
            "/v1/articles",
            json={"title": "آخر", "slug": "خبر", "status": "published"},
            headers=editor,
        )

        assert second.status_code == 201
        assert client.get(f"/v1/articles/{quote('خبر')}").json()["id"] == second.json()["id"]

    def test_taking_another_articles_slug_is_409(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        make_article(session, "أول")
        second = make_article(session, "ثان")

        response = client.patch(f"/v1/articles/{second.id}", json={"slug": "أول"}, headers=editor)

        assert response.status_code == 409

    def test_an_excerpt_nobody_wrote_follows_the_body(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        derived = make_article(session, "مشتق", body="<p>النص الأول</p>")
        written = make_article(session, "مكتوب", body="<p>النص الأول</p>", excerpt="موجز المحرر")

        for article in (derived, written):
            client.patch(
                f"/v1/articles/{article.id}", json={"body": "<p>نص جديد</p>"}, headers=editor
            )

        assert client.get(f"/v1/articles/{derived.id}").json()["excerpt"] == "نص جديد"
        assert client.get(f"/v1/articles/{written.id}").json()["excerpt"] == "موجز المحرر"

    @pytest.mark.parametrize(
        ("body", "excerpt"),
        [
            ("<p>&lt;img src=x onerror=alert(1)&gt; خبر عاجل</p>", "خبر عاجل"),
            (
                "<p>خبر &lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt; عاجل</p>",
                "خبر alert(1) عاجل",
            ),
            ("<p>نص &lt;!-- تعليق --&gt; و&lt;?php echo 1 ?&gt; آخر</p>", "نص و آخر"),
            ("<p>نص ينتهي بـ &lt;svg onload=alert(1)</p>", "نص ينتهي بـ"),
            ("<p>٣ &lt; ٥ و ٥ &gt; ٣ و a&lt;b</p>", "٣ < ٥ و ٥ > ٣ و a"),
        ],
    )
    def test_a_derived_excerpt_never_holds_markup_the_body_showed_as_text(
        self, client: TestClient, editor: dict, body: str, excerpt: str
    ) -> None:
        created = client.post(
            "/v1/articles", json={"title": "عنوان", "body": body}, headers=editor
        ).json()

        assert created["excerpt"] == excerpt
        assert created["body"] == body  # the body still shows the markup as text

    @pytest.mark.parametrize(
        ("payload", "loc"),
        [
            ({"title": None}, ["body"]),
            ({"tags": None}, ["body"]),
            ({"views": 3}, ["body", "views"]),
            ({"slug": "Bad Slug"}, ["body", "slug"]),
            ({"tags": ["مجهول"]}, ["body", "tags", 0]),
        ],
    )
    def test_invalid_update_is_422_and_changes_nothing(
        self, client: TestClient, session: Session, editor: dict, payload: dict, loc: list
    ) -> None:
        article = make_article(session, "الأصل")

        response = client.patch(f"/v1/articles/{article.id}", json=payload, headers=editor)

        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["errors"]] == [loc]
        session.expire_all()
        assert session.get(Article, article.id).version == 1  # type: ignore[union-attr]
        assert revisions_of(session, article.id) == []

    @pytest.mark.parametrize("ref", ["999", "9" * 30, "لا-يوجد", "١"])
    def test_unknown_article_is_404(
        self, client: TestClient, session: Session, editor: dict, ref: str
    ) -> None:
        make_article(session, "الأصل")  # id 1: "١" is not its URL

        response = client.patch(f"/v1/articles/{ref}", json={"title": "x"}, headers=editor)

        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM

    def test_by_slug_as_by_id_and_by_a_slug_it_had(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "الأصل")
        by_slug = client.patch(
            "/v1/articles/الأصل",
            json={"slug": "عنوان-جديد"},
            headers={**editor, "If-Match": etag(article.id, 1)},
        )

        by_old_slug = client.patch(
            "/v1/articles/الأصل",
            json={"title": "عنوان جديد"},
            headers={**editor, "If-Match": etag(article.id, 2)},
        )

        assert (by_slug.status_code, by_slug.json()["slug"]) == (200, "عنوان-جديد")
        assert (by_old_slug.status_code, by_old_slug.json()["title"]) == (200, "عنوان جديد")
        assert by_old_slug.json()["id"] == article.id

    def test_a_spelling_variant_of_a_slug_names_nothing_to_write(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        make_article(session, "مدرسة الحي")

        read = client.get("/v1/articles/مدرسه-الحي", headers=editor)
        written = client.patch("/v1/articles/مدرسه-الحي", json={"title": "x"}, headers=editor)

        assert read.status_code == 200
        assert written.status_code == 404

    def test_without_scope_is_403_and_changes_nothing(
        self, client: TestClient, session: Session
    ) -> None:
        article = make_article(session, "الأصل")
        taxonomy = bearer(make_token(session, Scope.taxonomy_write))

        response = client.patch(f"/v1/articles/{article.id}", json={"title": "x"}, headers=taxonomy)

        assert response.status_code == 403
        session.expire_all()
        assert session.get(Article, article.id).title == "الأصل"  # type: ignore[union-attr]


class TestDeleteArticle:
    def test_delete_hides_it_keeps_it_and_undelete_brings_it_back(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "خبر")

        deleted = client.delete(f"/v1/articles/{article.id}", headers=editor)
        public = client.get(f"/v1/articles/{article.id}")
        seen_by_editor = client.get(f"/v1/articles/{article.id}", headers=editor)
        listed = client.get("/v1/articles", params={"status": "deleted"}, headers=editor)
        edit_deleted = client.patch(
            f"/v1/articles/{article.id}", json={"title": "x"}, headers=editor
        )
        undeleted = client.post(f"/v1/articles/{article.id}/undelete", headers=editor)

        assert deleted.status_code == 204
        assert public.status_code == 404
        assert seen_by_editor.status_code == 404  # gone from its URL, as DELETE promises
        assert [a["id"] for a in listed.json()["data"]] == [article.id]
        assert edit_deleted.status_code == 409
        assert undeleted.status_code == 200
        assert undeleted.json()["deleted_at"] is None
        assert client.get(f"/v1/articles/{article.id}").status_code == 200
        assert [r.reason for r in revisions_of(session, article.id)] == ["delete", "undelete"]

    def test_purge_needs_admin_and_a_deleted_article(
        self, client: TestClient, session: Session, editor: dict, admin: dict, terms: None
    ) -> None:
        article = make_article(session, "خبر", tags=["مفاوضات"])
        article_id = article.id
        assert article_id is not None

        live = client.post(f"/v1/articles/{article.id}/purge", headers=admin)
        client.delete(f"/v1/articles/{article.id}", headers=editor)
        by_editor = client.post(f"/v1/articles/{article.id}/purge", headers=editor)
        by_admin = client.post(f"/v1/articles/{article.id}/purge", headers=admin)

        assert live.status_code == 409
        assert by_editor.status_code == 403
        assert by_admin.status_code == 204
        session.expire_all()
        assert article_count(session) == 0
        assert revisions_of(session, article_id) == []
        assert session.exec(select(ArticleTag)).all() == []


class TestEveryArticleUrlTakesTheSlug:
    def test_delete_undelete_revisions_restore_and_purge_by_slug(
        self, client: TestClient, session: Session, editor: dict, admin: dict
    ) -> None:
        article_id = make_article(session, "خبر للحذف").id
        url = "/v1/articles/خبر-للحذف"

        answers = [
            client.delete(url, headers=editor).status_code,
            client.post(f"{url}/undelete", headers=editor).status_code,
        ]
        revisions = client.get(f"{url}/revisions", headers=editor)
        first = revisions.json()["data"][-1]["id"]
        answers += [
            revisions.status_code,
            client.post(f"{url}/revisions/{first}/restore", headers=editor).status_code,
            client.delete(url, headers=editor).status_code,
            client.post(f"{url}/purge", headers=admin).status_code,
        ]

        assert answers == [204, 200, 200, 200, 204, 204]
        session.expire_all()
        assert session.exec(select(Article).where(Article.id == article_id)).first() is None


class TestRevisions:
    def test_list_and_restore(self, client: TestClient, session: Session, editor: dict) -> None:
        article = make_article(session, "النسخة الأولى", body="<p>أ</p>")
        for title in ("النسخة الثانية", "النسخة الثالثة"):
            client.patch(f"/v1/articles/{article.id}", json={"title": title}, headers=editor)

        listed = client.get(f"/v1/articles/{article.id}/revisions", headers=editor).json()
        first_version = listed["data"][-1]
        restored = client.post(
            f"/v1/articles/{article.id}/revisions/{first_version['id']}/restore",
            headers={**editor, "If-Match": etag(article.id, 3)},
        )

        assert [(r["version"], r["reason"], r["snapshot"]["title"]) for r in listed["data"]] == [
            (2, "update", "النسخة الثانية"),
            (1, "update", "النسخة الأولى"),
        ]
        assert first_version["snapshot"]["body"] == "<p>أ</p>"
        assert restored.status_code == 200
        assert restored.json()["title"] == "النسخة الأولى"
        assert restored.json()["version"] == 4
        assert [r.reason for r in revisions_of(session, article.id)] == [
            "update",
            "update",
            "restore",
        ]
        assert revisions_of(session, article.id)[-1].snapshot["title"] == "النسخة الثالثة"

    def test_restore_with_a_stale_if_match_is_412(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "أ")
        client.patch(f"/v1/articles/{article.id}", json={"title": "ب"}, headers=editor)
        (revision,) = revisions_of(session, article.id)

        response = client.post(
            f"/v1/articles/{article.id}/revisions/{revision.id}/restore",
            headers={**editor, "If-Match": etag(article.id, 1)},
        )

        assert response.status_code == 412

    def test_a_revision_of_another_article_is_404(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        first = make_article(session, "أ")
        second = make_article(session, "ب")
        client.patch(f"/v1/articles/{first.id}", json={"title": "ج"}, headers=editor)
        (revision,) = revisions_of(session, first.id)

        response = client.post(
            f"/v1/articles/{second.id}/revisions/{revision.id}/restore", headers=editor
        )

        assert response.status_code == 404
        assert response.json()["detail"] == f"article {second.id} has no revision {revision.id}"

    def test_revisions_need_articles_write(self, client: TestClient, session: Session) -> None:
        article = make_article(session, "أ")

        assert client.get(f"/v1/articles/{article.id}/revisions").status_code == 401
