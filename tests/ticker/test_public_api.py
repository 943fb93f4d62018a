"""GET /v1/ticker and the headline itself, as a frontend sees them."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.scopes import Scope
from app.ticker.schemas import TickerListQuery
from app.ticker.service import list_headlines
from tests.factories import bearer, make_article, make_headline, make_token

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def texts(client: TestClient, **params: object) -> list[str]:
    return [h["text"] for h in client.get("/v1/ticker", params=params).json()["data"]]


class TestWindow:
    @pytest.mark.parametrize(
        ("starts_at", "ends_at", "showing"),
        [
            (None, None, True),
            (NOW, None, True),  # opens exactly now
            (NOW + SECOND, None, False),  # opens in a second
            (NOW - SECOND, None, True),
            (None, NOW, False),  # closes exactly now
            (None, NOW + SECOND, True),
            (None, NOW - SECOND, False),
            (NOW - SECOND, NOW + SECOND, True),
            (NOW - 2 * SECOND, NOW - SECOND, False),
        ],
    )
    def test_edges(
        self,
        session: Session,
        starts_at: datetime | None,
        ends_at: datetime | None,
        showing: bool,
    ) -> None:
        make_headline(session, "نافذة", starts_at=starts_at, ends_at=ends_at)

        rows, _ = list_headlines(session, query=TickerListQuery(), now=NOW)

        assert [row.text for row in rows] == (["نافذة"] if showing else [])

    def test_inactive_and_out_of_window_headlines_are_left_out(
        self, client: TestClient, session: Session
    ) -> None:
        now = datetime.now(UTC)
        make_headline(session, "ظاهر")
        make_headline(session, "معطل", is_active=False)
        make_headline(session, "انتهى", ends_at=now - timedelta(minutes=1))
        make_headline(session, "لاحقاً", starts_at=now + timedelta(hours=1))

        assert texts(client) == ["ظاهر"]


class TestListTicker:
    def test_position_order_then_newest_first(self, client: TestClient, session: Session) -> None:
        make_headline(session, "ثالث", position=2)
        make_headline(session, "أول قديم", position=0)
        make_headline(session, "أول جديد", position=0)
        make_headline(session, "ثانٍ", position=1)

        assert texts(client) == ["أول جديد", "أول قديم", "ثانٍ", "ثالث"]

    def test_pages_follow_the_same_order(self, client: TestClient, session: Session) -> None:
        for index, position in enumerate([0, 0, 1, 1, 2]):
            make_headline(session, f"عنوان {index}", position=position)

        first = client.get("/v1/ticker", params={"limit": 2}).json()
        second = client.get(
            "/v1/ticker", params={"limit": 2, "cursor": first["meta"]["next_cursor"]}
        ).json()
        third = client.get(
            "/v1/ticker", params={"limit": 2, "cursor": second["meta"]["next_cursor"]}
        ).json()

        assert [h["text"] for h in first["data"] + second["data"] + third["data"]] == [
            "عنوان 1", "عنوان 0", "عنوان 3", "عنوان 2", "عنوان 4",
        ]  # fmt: skip
        assert third["meta"]["next_cursor"] is None

    def test_links_show_the_article_or_the_url(self, client: TestClient, session: Session) -> None:
        article = make_article(session, "مفاوضات جنيف")
        make_headline(session, "بمقال", article_id=article.id, position=0)
        make_headline(session, "برابط", url="https://example.org/x", position=1)
        make_headline(session, "بلا رابط", position=2)

        data = client.get("/v1/ticker").json()["data"]

        assert [(h["article"], h["url"]) for h in data] == [
            ({"id": article.id, "slug": "مفاوضات-جنيف", "title": "مفاوضات جنيف"}, None),
            (None, "https://example.org/x"),
            (None, None),
        ]
        assert data[0]["label"] is None
        assert data[0]["dir"] == "rtl"

    @pytest.mark.parametrize(
        "fields",
        [
            {"status": "draft", "published_at": None},
            {"status": "archived"},
            {"published_at": datetime(2099, 1, 1, tzinfo=UTC)},
        ],
        ids=["draft", "archived", "scheduled"],
    )
    def test_a_headline_linked_to_an_article_the_public_cannot_see_is_left_out(
        self, client: TestClient, session: Session, fields: dict
    ) -> None:
        hidden = make_article(session, "مخفي", **fields)
        make_headline(session, "يشير إلى مخفي", article_id=hidden.id)
        make_headline(session, "عادي")

        assert texts(client) == ["عادي"]

    def test_deleting_the_article_takes_its_headline_off_the_bar(
        self, client: TestClient, session: Session
    ) -> None:
        article = make_article(session, "سيحذف")
        make_headline(session, "يشير إليه", article_id=article.id)
        editor = bearer(make_token(session, Scope.articles_write))

        before = texts(client)
        client.delete(f"/v1/articles/{article.id}", headers=editor)

        assert before == ["يشير إليه"]
        assert texts(client) == []

    def test_short_cache_lifetime_with_etag_and_304(
        self, client: TestClient, session: Session
    ) -> None:
        make_headline(session, "خبر")

        first = client.get("/v1/ticker")
        again = client.get("/v1/ticker", headers={"If-None-Match": first.headers["etag"]})
        make_headline(session, "خبر آخر")
        changed = client.get("/v1/ticker", headers={"If-None-Match": first.headers["etag"]})

        assert first.headers["cache-control"] == (
            "public, max-age=10, s-maxage=10, stale-while-revalidate=10"
        )
        assert first.headers["content-type"] == "application/json"
        assert again.status_code == 304
        assert again.headers["etag"] == first.headers["etag"]
        assert changed.status_code == 200
        assert changed.headers["etag"] != first.headers["etag"]

    def test_editors_see_every_headline_uncached(
        self, client: TestClient, session: Session
    ) -> None:
        make_headline(session, "ظاهر", position=0)
        make_headline(session, "معطل", is_active=False, position=1)
        editor = bearer(make_token(session, Scope.ticker_write))
        other = bearer(make_token(session, Scope.articles_write))

        response = client.get("/v1/ticker", params={"all": "true"}, headers=editor)

        assert [h["text"] for h in response.json()["data"]] == ["ظاهر", "معطل"]
        assert response.headers["cache-control"] == "private, no-store"
        assert client.get("/v1/ticker", params={"all": "true"}).status_code == 401
        assert client.get("/v1/ticker", params={"all": "true"}, headers=other).status_code == 403


class TestGetHeadline:
    def test_showing_headline_by_id(self, client: TestClient, session: Session) -> None:
        headline = make_headline(session, "خاص | خبر")

        response = client.get(f"/v1/ticker/{headline.id}")

        assert response.status_code == 200
        assert (response.json()["label"], response.json()["text"]) == ("خاص", "خبر")

    def test_a_headline_not_showing_is_404_except_to_editors(
        self, client: TestClient, session: Session
    ) -> None:
        headline = make_headline(session, "معطل", is_active=False)
        editor = bearer(make_token(session, Scope.ticker_write))

        assert client.get(f"/v1/ticker/{headline.id}").status_code == 404
        assert client.get(f"/v1/ticker/{headline.id}", headers=editor).status_code == 200
        assert client.get("/v1/ticker/999999").status_code == 404
        assert client.get(f"/v1/ticker/{'9' * 30}").status_code == 422
