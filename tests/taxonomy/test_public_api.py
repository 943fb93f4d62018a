"""GET /v1/categories, /v1/tags, /v1/authors and each /{slug}."""

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_author, make_category, make_tag


class TestListTerms:
    @pytest.mark.parametrize(
        ("path", "make"),
        [("/v1/categories", make_category), ("/v1/tags", make_tag)],
    )
    def test_in_creation_order_one_page_at_a_time(
        self, client: TestClient, session: Session, path: str, make
    ) -> None:
        first = make(session, "سياسة", description="الشأن السياسي")
        second = make(session, "اقتصاد")
        third = make(session, "رياضة")

        page_one = client.get(path, params={"limit": 2})
        cursor = page_one.json()["meta"]["next_cursor"]
        page_two = client.get(path, params={"limit": 2, "cursor": cursor})

        assert page_one.json()["data"] == [
            {"id": first.id, "slug": "سياسة", "name": "سياسة", "description": "الشأن السياسي"},
            {"id": second.id, "slug": "اقتصاد", "name": "اقتصاد", "description": None},
        ]
        assert page_one.headers["Link"] == f'<{path}?limit=2&cursor={cursor}>; rel="next"'
        assert page_two.json() == {
            "data": [{"id": third.id, "slug": "رياضة", "name": "رياضة", "description": None}],
            "meta": {"limit": 2, "next_cursor": None},
        }

    def test_authors_carry_bio_and_avatar(self, client: TestClient, session: Session) -> None:
        author = make_author(
            session,
            "نور الهدى سعيد",
            bio="تكتب عن التقنية.",
            avatar_url="https://cdn.example.com/nour.jpg",
        )

        response = client.get("/v1/authors")

        assert response.json()["data"] == [
            {
                "id": author.id,
                "slug": "نور-الهدى-سعيد",
                "name": "نور الهدى سعيد",
                "description": None,
                "bio": "تكتب عن التقنية.",
                "avatar_url": "https://cdn.example.com/nour.jpg",
                "avatar": None,  # not a picture of the media library
            }
        ]

    def test_a_cursor_from_another_list_is_422(self, client: TestClient, session: Session) -> None:
        make_tag(session, "أ")
        make_tag(session, "ب")
        tag_cursor = client.get("/v1/tags?limit=1").json()["meta"]["next_cursor"]

        response = client.get("/v1/categories", params={"cursor": tag_cursor})

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]

    @pytest.mark.parametrize("path", ["/v1/categories", "/v1/tags", "/v1/authors"])
    def test_limit_over_100_is_422(self, client: TestClient, path: str) -> None:
        response = client.get(path, params={"limit": 101})

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "limit"]


class TestGetTerm:
    @pytest.mark.parametrize(
        ("path", "make"),
        [("/v1/categories", make_category), ("/v1/tags", make_tag), ("/v1/authors", make_author)],
    )
    def test_by_percent_encoded_arabic_slug(
        self, client: TestClient, session: Session, path: str, make
    ) -> None:
        term = make(session, "كرة القدم")

        response = client.get(f"{path}/{quote('كرة-القدم')}")

        assert response.status_code == 200
        assert response.json()["id"] == term.id
        assert response.json()["name"] == "كرة القدم"

    @pytest.mark.parametrize(
        ("path", "kind"),
        [("/v1/categories", "category"), ("/v1/tags", "tag"), ("/v1/authors", "author")],
    )
    def test_unknown_slug_is_404_problem(self, client: TestClient, path: str, kind: str) -> None:
        response = client.get(f"{path}/{quote('لا-يوجد')}")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "type": "/problems/not-found",
            "title": "Not Found",
            "status": 404,
            "detail": f"no {kind} with slug 'لا-يوجد'",
        }
