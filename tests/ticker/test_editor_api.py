"""Editors changing the ticker: create, update, delete, reorder; validation."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.auth.scopes import Scope
from app.models import TickerHeadline
from app.ticker.service import split_label
from tests.factories import bearer, make_article, make_headline, make_token


@pytest.fixture
def editor(session: Session) -> dict[str, str]:
    return bearer(make_token(session, Scope.ticker_write))


def bar(session: Session) -> list[tuple[int | None, int]]:
    session.expire_all()
    return [
        (h.id, h.position)
        for h in session.exec(
            select(TickerHeadline).order_by(col(TickerHeadline.position), col(TickerHeadline.id))
        )
    ]


class TestLabelSplitting:
    @pytest.mark.parametrize(
        ("text", "label", "rest"),
        [
            ("خاص | 13 قتيلاً بغاراتٍ جويّة", "خاص", "13 قتيلاً بغاراتٍ جويّة"),
            ("عاجل|زلزال بقوة 5 درجات", "عاجل", "زلزال بقوة 5 درجات"),
            ("عاجل ｜ بعرض كامل", "عاجل", "بعرض كامل"),
            ("خاص | أ | ب", "خاص", "أ | ب"),
            ("بلا علامة", None, "بلا علامة"),
            ("| بلا علامة قبل الخط", None, "| بلا علامة قبل الخط"),
            ("خاص |   ", None, "خاص |   "),
            ("ع" * 41 + " | نص", None, "ع" * 41 + " | نص"),
        ],
    )
    def test_examples(self, text: str, label: str | None, rest: str) -> None:
        assert split_label(text) == (label, rest)


class TestCreateHeadline:
    def test_label_split_off_and_added_at_the_end(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        make_headline(session, "موجود")
        article = make_article(session, "تقرير")

        response = client.post(
            "/v1/ticker",
            json={
                "text": "  خاص |  تعزيزات\u200f \u202bتصل\u202c\n إلى المدينة ",
                "article_id": article.id,
            },
            headers=editor,
        )

        assert response.status_code == 201
        body = response.json()
        assert response.headers["location"] == f"/v1/ticker/{body['id']}"
        assert (body["label"], body["text"]) == ("خاص", "تعزيزات تصل إلى المدينة")
        assert body["position"] == 1
        assert body["article"]["slug"] == "تقرير"

    def test_an_explicit_label_keeps_the_text_whole(self, client: TestClient, editor: dict) -> None:
        response = client.post(
            "/v1/ticker", json={"text": "أ | ب", "label": "عاجل"}, headers=editor
        )

        assert (response.json()["label"], response.json()["text"]) == ("عاجل", "أ | ب")

    def test_text_is_stored_nfc(self, client: TestClient, session: Session, editor: dict) -> None:
        client.post(
            "/v1/ticker",
            json={"text": "\u0627\u0653\u0633\u062a\u0627\u0646\u0629"},
            headers=editor,
        )

        (text,) = session.exec(select(TickerHeadline.text)).all()
        assert text == "\u0622\u0633\u062a\u0627\u0646\u0629"

    @pytest.mark.parametrize(
        ("payload", "loc"),
        [
            ({}, ["body", "text"]),
            ({"text": "   "}, ["body", "text"]),
            ({"text": "ع" * 301}, ["body", "text"]),
            ({"text": "خبر\x00"}, ["body", "text"]),
            ({"text": "خبر", "label": "ع" * 41}, ["body", "label"]),
            ({"text": "خبر", "url": "javascript:alert(1)"}, ["body", "url"]),
            ({"text": "خبر", "url": "/v1/articles/1"}, ["body", "url"]),
            ({"text": "خبر", "url": "https://example.org/" + "a" * 2048}, ["body", "url"]),
            ({"text": "خبر", "article_id": 999}, ["body", "article_id"]),
            ({"text": "خبر", "article_id": 1, "url": "https://example.org"}, ["body"]),
            (
                {
                    "text": "خبر",
                    "starts_at": "2026-12-02T00:00:00Z",
                    "ends_at": "2026-12-01T00:00:00Z",
                },
                ["body"],
            ),
            ({"text": "خبر", "starts_at": "2026-12-02T00:00:00"}, ["body", "starts_at"]),
            ({"text": "خبر", "position": -1}, ["body", "position"]),
            ({"text": "خبر", "colour": "red"}, ["body", "colour"]),
        ],
    )
    def test_invalid_input_is_422_and_creates_nothing(
        self, client: TestClient, session: Session, editor: dict, payload: dict, loc: list
    ) -> None:
        make_article(session, "مقال")

        response = client.post("/v1/ticker", json=payload, headers=editor)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["loc"] for error in response.json()["errors"]] == [loc]
        assert session.exec(select(func.count()).select_from(TickerHeadline)).one() == 0

    @pytest.mark.parametrize(("scope", "status"), [(None, 401), (Scope.articles_write, 403)])
    def test_needs_ticker_write(
        self, client: TestClient, session: Session, scope: Scope | None, status: int
    ) -> None:
        headers = bearer(make_token(session, scope)) if scope else {}

        assert (
            client.post("/v1/ticker", json={"text": "خبر"}, headers=headers).status_code == status
        )


class TestUpdateHeadline:
    def test_changes_what_is_sent_and_one_link_replaces_the_other(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "مقال")
        headline = make_headline(session, "خاص | خبر", url="https://example.org/a")

        response = client.patch(
            f"/v1/ticker/{headline.id}", json={"article_id": article.id}, headers=editor
        )

        body = response.json()
        assert response.status_code == 200
        assert (body["label"], body["text"], body["url"]) == ("خاص", "خبر", None)
        assert body["article"]["id"] == article.id

    def test_a_window_that_ends_before_it_starts_is_422(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        headline = make_headline(session, "خبر", starts_at="2026-12-02T00:00:00Z")

        response = client.patch(
            f"/v1/ticker/{headline.id}", json={"ends_at": "2026-12-01T00:00:00Z"}, headers=editor
        )

        assert response.status_code == 422
        session.expire_all()
        assert session.get(TickerHeadline, headline.id).ends_at is None  # type: ignore[union-attr]

    def test_unknown_headline_is_404(self, client: TestClient, editor: dict) -> None:
        response = client.patch("/v1/ticker/999", json={"text": "x"}, headers=editor)

        assert response.status_code == 404


class TestDeleteHeadline:
    def test_deleted(self, client: TestClient, session: Session, editor: dict) -> None:
        headline = make_headline(session, "خبر")

        assert client.delete(f"/v1/ticker/{headline.id}", headers=editor).status_code == 204
        assert client.delete(f"/v1/ticker/{headline.id}", headers=editor).status_code == 404
        assert bar(session) == []


class TestReorder:
    def test_listed_ones_first_in_that_order_the_rest_after(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        ids = [make_headline(session, f"عنوان {n}", position=n).id for n in range(4)]

        response = client.put("/v1/ticker/order", json={"ids": [ids[2], ids[0]]}, headers=editor)

        assert response.status_code == 204
        assert bar(session) == [(ids[2], 0), (ids[0], 1), (ids[1], 2), (ids[3], 3)]
        assert [h["id"] for h in client.get("/v1/ticker").json()["data"]] == [
            ids[2], ids[0], ids[1], ids[3],
        ]  # fmt: skip

    @pytest.mark.parametrize(
        ("order", "loc"),
        [
            (lambda ids: [ids[1], 999, ids[0]], ["body", "ids", 1]),
            (lambda ids: [ids[1], ids[1]], ["body"]),
            (lambda ids: [], ["body", "ids"]),
            (lambda ids: ["x"], ["body", "ids", 0]),
        ],
        ids=["unknown-id", "duplicate", "empty", "not-an-id"],
    )
    def test_a_bad_list_changes_nothing(
        self, client: TestClient, session: Session, editor: dict, order, loc: list
    ) -> None:
        ids = [make_headline(session, f"عنوان {n}", position=n).id for n in range(3)]
        before = bar(session)

        response = client.put("/v1/ticker/order", json={"ids": order(ids)}, headers=editor)

        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["errors"]] == [loc]
        assert bar(session) == before

    def test_needs_ticker_write(self, client: TestClient, session: Session) -> None:
        headline = make_headline(session, "خبر")

        assert client.put("/v1/ticker/order", json={"ids": [headline.id]}).status_code == 401


class TestScopes:
    """A `ticker:write` token learns nothing of articles the public cannot see."""

    def test_linking_to_a_draft_needs_articles_write(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        draft = make_article(session, "مسودة سرية", status="draft")
        both = bearer(make_token(session, Scope.ticker_write, Scope.articles_write))

        to_draft = client.post(
            "/v1/ticker", json={"text": "نبأ", "article_id": draft.id}, headers=editor
        )
        to_nothing = client.post(
            "/v1/ticker", json={"text": "نبأ", "article_id": 999}, headers=editor
        )
        by_both = client.post(
            "/v1/ticker", json={"text": "نبأ", "article_id": draft.id}, headers=both
        )

        assert to_draft.status_code == to_nothing.status_code == 422
        assert to_draft.json()["errors"] == [
            {
                "loc": ["body", "article_id"],
                "message": f"no public article with id {draft.id}",
                "type": "value_error",
            }
        ]
        assert to_nothing.json()["detail"] == "no public article with id 999"
        assert by_both.status_code == 201
        assert by_both.json()["article"] == {
            "id": draft.id,
            "slug": "مسودة-سرية",
            "title": "مسودة سرية",
        }

    def test_a_link_to_an_article_gone_private_shows_only_its_id(
        self, client: TestClient, session: Session, editor: dict
    ) -> None:
        article = make_article(session, "خبر سحب")
        headline = make_headline(session, "نبأ مرتبط", article_id=article.id)
        admin = bearer(make_token(session, Scope.admin))
        client.patch(f"/v1/articles/{article.id}", json={"status": "draft"}, headers=admin)

        listed = client.get("/v1/ticker", params={"all": "true"}, headers=editor).json()["data"]
        one = client.get(f"/v1/ticker/{headline.id}", headers=editor).json()
        to_admin = client.get(f"/v1/ticker/{headline.id}", headers=admin).json()

        hidden = {"id": article.id, "slug": None, "title": None}
        assert [item["article"] for item in listed] == [hidden]
        assert one["article"] == hidden
        assert to_admin["article"] == {"id": article.id, "slug": "خبر-سحب", "title": "خبر سحب"}
