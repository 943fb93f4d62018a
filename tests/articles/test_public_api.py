"""GET /v1/articles and GET /v1/articles/{ref}, as a frontend sees them."""

import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from app.core.config import Settings
from app.http.resources import resources_of
from app.main import create_app
from app.models import ArticleStatus
from tests.factories import BASE_TIME, make_article, make_author, make_category, make_tag

PROBLEM = "application/problem+json"


def slugs(response_json: dict) -> list[str]:
    return [item["slug"] for item in response_json["data"]]


class TestListArticles:
    def test_newest_first_with_embedded_terms_and_no_body(
        self, client: TestClient, session: Session
    ) -> None:
        politics = make_category(session, "سياسة")
        talks = make_tag(session, "مفاوضات")
        salma = make_author(session, "سلمى الخطيب")
        yusuf = make_author(session, "يوسف حداد")
        make_article(session, "خبر قديم", hours=1)
        make_article(
            session,
            "جولة مفاوضات جديدة",
            hours=2,
            category="سياسة",
            tags=["مفاوضات"],
            authors=["يوسف-حداد", "سلمى-الخطيب"],
            is_exclusive=True,
            body="<p>كلمة ثانية ثالثة</p>",
        )

        response = client.get("/v1/articles")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert "Link" not in response.headers
        body = response.json()
        assert slugs(body) == ["جولة-مفاوضات-جديدة", "خبر-قديم"]
        assert body["meta"] == {"limit": 20, "next_cursor": None}
        first = body["data"][0]
        assert "body" not in first
        assert first["category"] == {"id": politics.id, "slug": "سياسة", "name": "سياسة"}
        assert first["tags"] == [{"id": talks.id, "slug": "مفاوضات", "name": "مفاوضات"}]
        assert first["authors"] == [
            {"id": yusuf.id, "slug": "يوسف-حداد", "name": "يوسف حداد"},
            {"id": salma.id, "slug": "سلمى-الخطيب", "name": "سلمى الخطيب"},
        ]
        assert first["published_at"] == "2026-11-01T10:00:00Z"
        assert first["lang"] == "ar"
        assert first["dir"] == "rtl"
        assert first["is_exclusive"] is True
        assert first["word_count"] == 3
        assert first["reading_time_minutes"] == 1

    def test_arabic_is_not_escaped(self, client: TestClient, session: Session) -> None:
        make_article(session, "عاجل")

        response = client.get("/v1/articles")

        assert "عاجل".encode() in response.content
        assert b"\\u" not in response.content

    def test_drafts_archived_and_scheduled_are_hidden(
        self, client: TestClient, session: Session
    ) -> None:
        make_article(session, "منشور", hours=1)
        make_article(session, "مسودة", status=ArticleStatus.draft, published_at=None)
        make_article(session, "مؤرشف", status=ArticleStatus.archived)
        make_article(session, "مجدول", published_at=datetime.now(UTC) + timedelta(minutes=5))

        response = client.get("/v1/articles")

        assert slugs(response.json()) == ["منشور"]

    def test_keyset_pages_cover_everything_once_with_link_headers(
        self, client: TestClient, session: Session
    ) -> None:
        # Two articles share a published_at: the id breaks the tie.
        for index in range(5):
            make_article(session, f"خبر رقم {index}", hours=index // 2)

        seen: list[str] = []
        url = "/v1/articles?limit=2"
        pages = 0
        while url:
            response = client.get(url)
            assert response.status_code == 200
            body = response.json()
            seen += slugs(body)
            pages += 1
            cursor = body["meta"]["next_cursor"]
            if cursor is None:
                assert "Link" not in response.headers
                url = ""
            else:
                link = response.headers["Link"]
                assert link == f'</v1/articles?limit=2&cursor={cursor}>; rel="next"'
                url = link[1 : link.index(">")]
        assert pages == 3
        assert seen == [
            "خبر-رقم-4",
            "خبر-رقم-3",
            "خبر-رقم-2",
            "خبر-رقم-1",
            "خبر-رقم-0",
        ]

    def test_link_keeps_the_filters(self, client: TestClient, session: Session) -> None:
        for index in range(3):
            make_article(session, f"خبر {index}", hours=index, is_exclusive=True)

        response = client.get("/v1/articles", params={"limit": 1, "is_exclusive": "true"})

        cursor = response.json()["meta"]["next_cursor"]
        assert response.headers["Link"] == (
            f'</v1/articles?limit=1&is_exclusive=true&cursor={cursor}>; rel="next"'
        )

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"category": "اقتصاد"}, ["اسعار-الخبز"]),
            ({"tag": "طاقة"}, ["محطة-شمسية"]),
            ({"author": "سلمى-الخطيب"}, ["محطة-شمسية", "اسعار-الخبز"]),
            ({"is_exclusive": "true"}, ["اسعار-الخبز"]),
            ({"is_exclusive": "false"}, ["english-news", "محطة-شمسية"]),
            ({"is_breaking": "true"}, ["محطة-شمسية"]),
            ({"lang": "en"}, ["english-news"]),
            ({"published_after": "2026-11-01T10:00:00Z"}, ["english-news", "محطة-شمسية"]),
            ({"published_before": "2026-11-01T13:30:00+03:00"}, ["محطة-شمسية", "اسعار-الخبز"]),
            ({"category": "اقتصاد", "tag": "طاقة"}, []),
        ],
    )
    def test_filters(
        self,
        client: TestClient,
        session: Session,
        params: dict[str, str],
        expected: list[str],
    ) -> None:
        make_category(session, "اقتصاد")
        make_category(session, "علوم")
        make_tag(session, "طاقة")
        make_author(session, "سلمى الخطيب")
        make_article(
            session,
            "أسعار الخبز",
            slug="اسعار-الخبز",
            hours=1,
            category="اقتصاد",
            authors=["سلمى-الخطيب"],
            is_exclusive=True,
        )
        make_article(
            session,
            "محطة شمسية",
            hours=2,
            category="علوم",
            tags=["طاقة"],
            authors=["سلمى-الخطيب"],
            is_breaking=True,
        )
        make_article(session, "English news", hours=3, lang="en")

        response = client.get("/v1/articles", params=params)

        assert response.status_code == 200
        assert slugs(response.json()) == expected

    def test_english_article_is_left_to_right(self, client: TestClient, session: Session) -> None:
        make_article(session, "English news", lang="en")

        assert client.get("/v1/articles").json()["data"][0]["dir"] == "ltr"

    @pytest.mark.parametrize("param", ["category", "tag", "author"])
    def test_unknown_term_filter_is_422(self, client: TestClient, param: str) -> None:
        response = client.get("/v1/articles", params={param: "لا-يوجد"})

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"] == [
            {
                "loc": ["query", param],
                "message": f"no {param} with slug 'لا-يوجد'",
                "type": "value_error",
            }
        ]

    @pytest.mark.parametrize(
        ("query", "loc", "error_type"),
        [
            ("limit=101", ["query", "limit"], "less_than_equal"),
            ("limit=0", ["query", "limit"], "greater_than_equal"),
            ("limit=ten", ["query", "limit"], "int_parsing"),
            ("limit=99999999999999999999999", ["query", "limit"], "less_than_equal"),
            ("is_breaking=perhaps", ["query", "is_breaking"], "bool_parsing"),
            ("published_after=2026-11-01T10:00:00", ["query", "published_after"], "timezone_aware"),
            # Not ISO 8601 text (nor a number of seconds, which Pydantic alone would take).
            ("published_after=yesterday", ["query", "published_after"], "value_error"),
            ("published_after=1732000000", ["query", "published_after"], "value_error"),
            ("lang=not a lang", ["query", "lang"], "string_pattern_mismatch"),
        ],
    )
    def test_bad_parameters_are_422_listing_the_field(
        self, client: TestClient, query: str, loc: list[str], error_type: str
    ) -> None:
        response = client.get(f"/v1/articles?{query}")

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["type"] == "/problems/unprocessable-entity"
        assert problem["title"] == "Unprocessable Entity"
        assert problem["status"] == 422
        assert problem["detail"] == "1 invalid field in the request"
        assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, error_type)]

    def test_every_bad_field_is_listed(self, client: TestClient) -> None:
        response = client.get("/v1/articles?limit=500&is_exclusive=maybe")

        problem = response.json()
        assert problem["detail"] == "2 invalid fields in the request"
        assert sorted(tuple(e["loc"]) for e in problem["errors"]) == [
            ("query", "is_exclusive"),
            ("query", "limit"),
        ]

    @pytest.mark.parametrize(
        "cursor",
        [
            "not-base64!",
            "e30",  # {}
            "eyJrIjoidGFnIiwidiI6WzFdfQ",  # a tag list's cursor
            "eyJrIjoiYXJ0aWNsZSIsInYiOlsieWVzdGVyZGF5IiwxXX0",  # a time that is not one
            "eyJrIjoiYXJ0aWNsZSIsInYiOlsiMjAyNi0xMS0wMVQwODowMDowMCIsMV19",  # naive time
            "x" * 600,
        ],
    )
    def test_forged_cursor_is_422(self, client: TestClient, cursor: str) -> None:
        response = client.get("/v1/articles", params={"cursor": cursor})

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]

    def test_a_page_of_100_costs_the_same_queries_as_a_page_of_5(
        self, settings: Settings, session: Session, engine: Engine
    ) -> None:
        # The route's own queries: the response cache (and its one look at the clock per
        # change) off.
        off = settings.model_copy(update={"response_cache_seconds": 0})
        with TestClient(create_app(off)) as client:
            make_category(session, "سياسة")
            make_tag(session, "مفاوضات")
            make_author(session, "سلمى الخطيب")
            for index in range(100):
                make_article(
                    session,
                    f"خبر {index}",
                    hours=index,
                    category="سياسة",
                    tags=["مفاوضات"],
                    authors=["سلمى-الخطيب"],
                )
            app_engine = resources_of(client.app).engine  # type: ignore[arg-type, union-attr]
            statements: list[str] = []

            def count(*args: object) -> None:
                statements.append(str(args[2]))

            event.listen(app_engine, "before_cursor_execute", count)
            try:
                small = client.get("/v1/articles?limit=5")
                queries_for_5 = len(statements)
                statements.clear()
                large = client.get("/v1/articles?limit=100")
                queries_for_100 = len(statements)
            finally:
                event.remove(app_engine, "before_cursor_execute", count)

            assert len(small.json()["data"]) == 5
            assert len(large.json()["data"]) == 100
            assert all(item["tags"][0]["slug"] == "مفاوضات" for item in large.json()["data"])
            # One statement: the category and picture joined, the tags and authors of each
            # article aggregated with it.
            assert queries_for_5 == queries_for_100 == 1


class TestGetArticle:
    TITLE = "جون كيري يرحب بالآستانة وديمستورا يعقِّب"
    SLUG = "جون-كيري-يرحب-بالآستانة-وديمستورا-يعقب"

    def test_by_slug_returns_the_whole_article(self, client: TestClient, session: Session) -> None:
        make_category(session, "سياسة")
        article = make_article(
            session,
            self.TITLE,
            subtitle="ترحيب أمريكي وتعقيب أممي",
            excerpt="موجز الخبر",
            category="سياسة",
            body='<p onclick="steal()">فقرة <script>alert(1)</script>أولى</p>',
            featured_image={
                "url": "https://cdn.example.com/a.jpg",
                "alt": "صورة",
                "caption": "تعليق",
                "credit": "تصوير: ليلى",
            },
        )

        response = client.get(f"/v1/articles/{quote(self.SLUG)}")

        assert response.status_code == 200
        body = response.json()
        assert body["id"] == article.id
        assert body["slug"] == self.SLUG
        assert body["title"] == self.TITLE
        assert body["subtitle"] == "ترحيب أمريكي وتعقيب أممي"
        assert body["body"] == "<p>فقرة أولى</p>"
        assert body["featured_image"] == {
            "url": "https://cdn.example.com/a.jpg",
            "alt": "صورة",
            "caption": "تعليق",
            "credit": "تصوير: ليلى",
            # An external picture: nothing of the media library's.
            "media_id": None,
            "width": None,
            "height": None,
            "renditions": None,
            "placeholder": None,
            "dominant_color": None,
        }
        assert body["status"] == "published"
        assert body["version"] == 1
        assert body["created_at"].endswith("Z")

    @pytest.mark.parametrize("form", ["NFC", "NFD", "NFKD"])
    def test_any_normalisation_form_finds_it(
        self, client: TestClient, session: Session, form: str
    ) -> None:
        make_article(session, self.TITLE)
        ref = unicodedata.normalize(form, self.SLUG)

        response = client.get(f"/v1/articles/{quote(ref)}")

        assert response.status_code == 200
        assert response.json()["slug"] == self.SLUG

    def test_double_percent_encoded_slug_finds_it(
        self, client: TestClient, session: Session
    ) -> None:
        make_article(session, self.TITLE)

        response = client.get(f"/v1/articles/{quote(quote(self.SLUG))}")

        assert response.json()["slug"] == self.SLUG

    def test_by_numeric_id(self, client: TestClient, session: Session) -> None:
        article = make_article(session, self.TITLE)

        response = client.get(f"/v1/articles/{article.id}")

        assert response.json()["slug"] == self.SLUG

    @pytest.mark.parametrize("ref", ["999", "9" * 30, "لا-يوجد", "%FF%FE", quote("خبر") + "%"])
    def test_unknown_ref_is_404_problem(self, client: TestClient, ref: str) -> None:
        response = client.get(f"/v1/articles/{ref}")

        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["type"] == "/problems/not-found"
        assert problem["title"] == "Not Found"
        assert problem["status"] == 404
        assert problem["detail"].startswith("no published article with")

    @pytest.mark.parametrize(
        "fields",
        [
            {"status": ArticleStatus.draft, "published_at": None},
            {"status": ArticleStatus.archived},
            {"published_at": BASE_TIME.replace(year=2099)},
        ],
        ids=["draft", "archived", "scheduled"],
    )
    def test_non_public_article_is_the_same_404_as_a_missing_one(
        self, client: TestClient, session: Session, fields: dict
    ) -> None:
        article = make_article(session, "سر", **fields)

        by_slug = client.get(f"/v1/articles/{quote('سر')}")
        by_id = client.get(f"/v1/articles/{article.id}")
        missing = client.get("/v1/articles/987654")

        assert by_slug.status_code == by_id.status_code == missing.status_code == 404
        assert by_id.json()["detail"] == f"no published article with id {article.id}"
        assert missing.json()["detail"] == "no published article with id 987654"


class TestHead:
    """HEAD answers as GET does, without the body: curl -I, link checkers, monitors."""

    @pytest.mark.parametrize(
        "url",
        [
            "/v1/articles",
            "/v1/articles/1",
            "/v1/articles/خبر-للقراءة",
            "/v1/articles/1/comments",
            "/v1/search?q=خبر",
            "/v1/ticker",
            "/v1/categories",
            "/v1/categories/سياسة",
            "/v1/tags",
            "/v1/authors",
            "/healthz",
            "/readyz",
            "/openapi.json",
        ],
    )
    def test_same_headers_as_get_and_no_body(
        self, client: TestClient, session: Session, url: str
    ) -> None:
        make_category(session, "سياسة")
        make_article(session, "خبر للقراءة", category="سياسة")

        got = client.get(url)
        head = client.head(url)

        assert (got.status_code, head.status_code) == (200, 200)
        assert head.content == b""
        volatile = {"date", "x-request-id"}
        assert {k: v for k, v in head.headers.items() if k not in volatile} == {
            k: v for k, v in got.headers.items() if k not in volatile
        }

    def test_if_none_match_is_304_and_a_missing_article_404(
        self, client: TestClient, session: Session
    ) -> None:
        make_article(session, "خبر للقراءة")
        tag = client.get("/v1/articles/1").headers["etag"]

        not_modified = client.head("/v1/articles/1", headers={"If-None-Match": tag})
        missing = client.head("/v1/articles/404")

        assert (not_modified.status_code, not_modified.content) == (304, b"")
        assert not_modified.headers["etag"] == tag
        assert (missing.status_code, missing.content) == (404, b"")
        assert missing.headers["content-type"] == PROBLEM

    def test_not_where_get_is_not(self, client: TestClient) -> None:
        response = client.head("/v1/comments")

        assert response.status_code == 401  # a moderator's read: HEAD needs the token too


class TestStrictUrls:
    @pytest.mark.parametrize(
        ("url", "unknown"),
        [
            ("/v1/articles?page=2", ["page"]),
            ("/v1/articles?categroy=سياسة&limit=5", ["categroy"]),
            ("/v1/articles/1?lang=ar&x=1", ["lang", "x"]),
            ("/v1/search?q=خبر&sort=new", ["sort"]),
            ("/v1/categories?page=1", ["page"]),
            ("/v1/ticker?offset=10", ["offset"]),
        ],
    )
    def test_an_unknown_query_parameter_is_a_422_naming_it(
        self, client: TestClient, session: Session, url: str, unknown: list[str]
    ) -> None:
        make_article(session, "خبر للقراءة")

        response = client.get(url)

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
            (["query", name], "extra_forbidden") for name in unknown
        ]

    def test_probes_ignore_a_cache_buster(self, client: TestClient) -> None:
        assert client.get("/healthz?t=1733318400").status_code == 200

    @pytest.mark.parametrize("url", ["/v1/articles/", "/v1/articles/1/", "/v1/categories/"])
    def test_a_trailing_slash_is_a_404_not_a_redirect(
        self, client: TestClient, session: Session, url: str
    ) -> None:
        make_article(session, "خبر للقراءة")

        response = client.get(url, headers={"Host": "evil.example"}, follow_redirects=False)

        assert response.status_code == 404
        assert "location" not in response.headers

    @pytest.mark.parametrize("ref", ["١", "۱", "１", "١٢"])
    def test_an_id_in_other_digits_is_no_second_url(
        self, client: TestClient, session: Session, ref: str
    ) -> None:
        for n in range(12):
            make_article(session, f"خبر رقم {n + 1}")

        response = client.get(f"/v1/articles/{ref}")

        assert response.status_code == 404
