"""Editors writing categories, tags and authors."""

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.auth.scopes import Scope
from app.models import Article, ArticleAuthor, ArticleTag, Author, Category, Tag
from tests.factories import bearer, make_article, make_author, make_category, make_tag, make_token

KINDS = [
    ("/v1/categories", Category, make_category),
    ("/v1/tags", Tag, make_tag),
    ("/v1/authors", Author, make_author),
]


@pytest.fixture
def editor(session: Session) -> dict[str, str]:
    return bearer(make_token(session, Scope.taxonomy_write))


class TestCreateTerm:
    @pytest.mark.parametrize(("path", "model", "make"), KINDS)
    def test_slug_from_the_arabic_name(
        self, client: TestClient, session: Session, editor: dict, path: str, model, make
    ) -> None:
        response = client.post(
            path, json={"name": "الشرق الأوسط", "description": "أخبار المنطقة"}, headers=editor
        )

        assert response.status_code == 201
        assert response.headers["location"] == f"{path}/{quote('الشرق-الأوسط')}"
        body = response.json()
        assert (body["slug"], body["name"], body["description"]) == (
            "الشرق-الأوسط",
            "الشرق الأوسط",
            "أخبار المنطقة",
        )
        assert session.exec(select(model.slug)).all() == ["الشرق-الأوسط"]

    def test_author_with_bio_and_avatar(self, client: TestClient, editor: dict) -> None:
        response = client.post(
            "/v1/authors",
            json={
                "name": "ليلى منصور",
                "bio": "صحفية ثقافية.",
                "avatar_url": "https://cdn.example.com/laila.jpg",
            },
            headers=editor,
        )

        assert response.json()["bio"] == "صحفية ثقافية."
        assert response.json()["avatar_url"] == "https://cdn.example.com/laila.jpg"

    @pytest.mark.parametrize(
        ("path", "payload", "loc"),
        [
            ("/v1/categories", {"name": ""}, ["body", "name"]),
            ("/v1/categories", {"name": "س" * 201}, ["body", "name"]),
            ("/v1/tags", {"name": "وسم", "slug": "Bad Slug"}, ["body", "slug"]),
            ("/v1/tags", {"name": "وسم \u202e"}, ["body", "name"]),
            ("/v1/tags", {"name": "!!!"}, ["body", "slug"]),
            ("/v1/categories", {"name": "قسم", "bio": "x"}, ["body", "bio"]),
            (
                "/v1/authors",
                {"name": "كاتب", "avatar_url": "javascript:alert(1)"},
                ["body", "avatar_url"],
            ),
        ],
    )
    def test_invalid_input_is_422(
        self, client: TestClient, editor: dict, path: str, payload: dict, loc: list
    ) -> None:
        response = client.post(path, json=payload, headers=editor)

        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["errors"]] == [loc]

    def test_a_taken_slug_is_409(self, client: TestClient, session: Session, editor: dict) -> None:
        make_tag(session, "طاقة")

        response = client.post("/v1/tags", json={"name": "الطاقة", "slug": "طاقة"}, headers=editor)

        assert response.status_code == 409
        assert response.json()["detail"] == "a tag with slug 'طاقة' already exists"

    @pytest.mark.parametrize(("scope", "status"), [(None, 401), (Scope.articles_write, 403)])
    def test_needs_taxonomy_write(
        self, client: TestClient, session: Session, scope: Scope | None, status: int
    ) -> None:
        headers = bearer(make_token(session, scope)) if scope else {}

        response = client.post("/v1/tags", json={"name": "وسم"}, headers=headers)

        assert response.status_code == status
        assert session.exec(select(func.count()).select_from(Tag)).one() == 0


class TestUpdateTerm:
    def test_rename_moves_the_versions_of_articles_that_embed_it(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        make_category(session, "سياسة")
        article = make_article(session, "خبر", category="سياسة")

        response = client.patch(
            f"/v1/categories/{quote('سياسة')}",
            json={"name": "السياسة", "slug": "السياسة"},
            headers=editor,
        )

        assert response.status_code == 200
        assert response.json()["slug"] == "السياسة"
        embedded = client.get(f"/v1/articles/{article.id}")
        assert embedded.json()["category"]["name"] == "السياسة"
        assert embedded.json()["version"] == 2

    @pytest.mark.parametrize(
        ("payload", "status"),
        [({"name": None}, 422), ({"slug": "اقتصاد"}, 409), ({"colour": "red"}, 422)],
    )
    def test_refused_updates(
        self, client: TestClient, session: Session, editor: dict, payload: dict, status: int
    ) -> None:
        make_category(session, "سياسة")
        make_category(session, "اقتصاد")

        response = client.patch(f"/v1/categories/{quote('سياسة')}", json=payload, headers=editor)

        assert response.status_code == status
        session.expire_all()
        assert session.exec(select(Category.name).order_by(Category.id)).all() == [
            "سياسة",
            "اقتصاد",
        ]

    def test_unknown_slug_is_404(self, client: TestClient, editor: dict) -> None:
        response = client.patch(f"/v1/tags/{quote('لا-يوجد')}", json={"name": "x"}, headers=editor)

        assert response.status_code == 404


class TestDeleteTerm:
    @pytest.mark.parametrize(("path", "model", "make"), KINDS)
    def test_unused_term_is_deleted(
        self, client: TestClient, session: Session, editor: dict, path: str, model, make
    ) -> None:
        make(session, "قديم")

        response = client.delete(f"{path}/{quote('قديم')}", headers=editor)

        assert response.status_code == 204
        assert session.exec(select(func.count()).select_from(model)).one() == 0

    @pytest.mark.parametrize(
        ("path", "kind", "link"),
        [
            ("/v1/categories", "category", None),
            ("/v1/tags", "tag", ArticleTag),
            ("/v1/authors", "author", ArticleAuthor),
        ],
    )
    def test_a_term_in_use_is_409_unless_detached(
        self, client: TestClient, session: Session, editor: dict, path: str, kind: str, link
    ) -> None:
        make_category(session, "مستخدم")
        make_tag(session, "مستخدم")
        make_author(session, "مستخدم")
        for title in ("أول", "ثان"):
            make_article(session, title, category="مستخدم", tags=["مستخدم"], authors=["مستخدم"])

        refused = client.delete(f"{path}/{quote('مستخدم')}", headers=editor)
        detached = client.delete(f"{path}/{quote('مستخدم')}?detach=true", headers=editor)

        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            f"the {kind} 'مستخدم' is used by 2 articles: pass detach=true to remove it from them"
        )
        assert detached.status_code == 204
        session.expire_all()
        articles = session.exec(select(Article).order_by(Article.id)).all()
        assert [a.version for a in articles] == [2, 2]
        if link is None:
            assert [a.category_id for a in articles] == [None, None]
        else:
            assert session.exec(select(func.count()).select_from(link)).one() == 0
