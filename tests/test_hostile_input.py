"""Hostile input: each is answered with a 4xx problem and changes nothing.

Broken encodings and lone surrogates, NUL, huge and deeply nested bodies, enormous
fields, bidi overrides and zero-width characters, combining-mark floods, SQL and
full-text syntax in every parameter, absurd limits, unknown fields."""

import json
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, func, select

from app.models import Article, Category, Comment, TickerHeadline, WebhookSubscription
from tests.conftest import BACKENDS
from tests.factories import bearer, make_article, make_category, make_token

PROBLEM = "application/problem+json"
WRITES = [
    ("POST", "/v1/articles"),
    ("PATCH", "/v1/articles/1"),
    ("POST", "/v1/categories"),
    ("POST", "/v1/ticker"),
    ("POST", "/v1/articles/1/comments"),
    ("POST", "/v1/webhooks"),
    ("POST", "/v1/tokens"),
]


@pytest.fixture
def backend() -> str:
    """SQLite: these are refused before any query; what reaches the database (query
    syntax in parameters) is tried on each database below."""
    return "sqlite"


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    make_category(session, "سياسة")
    make_article(session, "خبر قائم")
    return bearer(make_token(session, name="مدير"))


def counts(session: Session) -> list[int]:
    session.expire_all()
    models = (Article, Category, Comment, TickerHeadline, WebhookSubscription)
    return [session.exec(select(func.count()).select_from(model)).one() for model in models]


def refused(response: object, *statuses: int) -> None:
    assert response.status_code in (statuses or (400, 413, 415, 422)), response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    problem = response.json()  # type: ignore[attr-defined]
    assert problem["status"] == response.status_code  # type: ignore[attr-defined]
    assert problem["detail"]


RAW_BODIES = {
    "invalid UTF-8": b'{"title": "\xff\xfe\xd8", "name": "\xc3\x28", "text": "\xed\xa0\x80"}',
    "a lone surrogate": b'{"title": "\\ud800", "name": "a\\udfffb", "text": "\\ud83d", '
    b'"body": "\\udc00", "author_name": "\\ud800", "author_email": "a@b.org", '
    b'"url": "https://x.org/\\ud800"}',
    "NUL": b'{"title": "a\\u0000b", "name": "\\u0000", "text": "x\\u0000", "body": "\\u0000", '
    b'"author_name": "\\u0000", "author_email": "a@b.org"}',
    "deep nesting": b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "not JSON": b"title=hello",
    "JSON, not an object": b'["title"]',
    "a number too large": b'{"title": "x", "position": 1' + b"0" * 5000 + b"}",
}


@pytest.mark.parametrize("body", RAW_BODIES.values(), ids=RAW_BODIES.keys())
@pytest.mark.parametrize(("method", "path"), WRITES)
def test_broken_bodies_are_refused_and_change_nothing(
    client: TestClient, session: Session, admin: dict, method: str, path: str, body: bytes
) -> None:
    before = counts(session)

    response = client.request(
        method, path, content=body, headers={**admin, "Content-Type": "application/json"}
    )

    refused(response)
    assert counts(session) == before


def test_a_10_mb_body_is_refused_unread(client: TestClient, session: Session, admin: dict) -> None:
    before = counts(session)
    body = json.dumps({"title": "x", "body": "ن" * (5 << 20)}).encode()

    response = client.post(
        "/v1/articles", content=body, headers={**admin, "Content-Type": "application/json"}
    )

    refused(response, 413)
    assert counts(session) == before


HOSTILE_FIELDS = {
    "100,000 characters": "خ" * 100_000,
    "a bidi override": "عنوان \u202eمقلوب\u202c",
    "an isolate": "اسم \u2066x\u2069",
    "a combining-mark flood": "ا" + "\u0651" * 400,
}


@pytest.mark.parametrize("value", HOSTILE_FIELDS.values(), ids=HOSTILE_FIELDS.keys())
@pytest.mark.parametrize(
    ("path", "field", "extra"),
    [
        ("/v1/articles", "title", {}),
        ("/v1/categories", "name", {}),
        ("/v1/authors", "name", {}),
        ("/v1/articles/1/comments", "author_name", {"author_email": "r@x.org", "body": "رأي"}),
        (
            "/v1/webhooks",
            "description",
            {"url": "https://x.example/h", "events": ["ticker.changed"]},
        ),
    ],
)
def test_hostile_names_are_refused_naming_the_field(
    client: TestClient,
    session: Session,
    admin: dict,
    path: str,
    field: str,
    extra: dict,
    value: str,
) -> None:
    before = counts(session)

    response = client.post(path, json={field: value, **extra}, headers=admin)

    refused(response, 422)
    assert [error["loc"] for error in response.json()["errors"]] == [["body", field]]
    assert counts(session) == before


@pytest.mark.parametrize(
    ("label", "stored"),
    [("عاجل \u202eمقلوب\u202c", "عاجل مقلوب"), ("خاص \u2066x\u2069", "خاص x")],
)
def test_ticker_lines_lose_their_direction_controls(
    client: TestClient, admin: dict, label: str, stored: str
) -> None:
    response = client.post("/v1/ticker", json={"text": f"{label} | خبر"}, headers=admin)

    assert response.status_code == 201, response.text
    assert response.json()["label"] == stored


@pytest.mark.parametrize("value", ["خ" * 100_000, "ا" + "\u0651" * 400])
def test_ticker_lines_too_long_are_refused(
    client: TestClient, session: Session, admin: dict, value: str
) -> None:
    before = counts(session)

    response = client.post("/v1/ticker", json={"text": "خبر", "label": value}, headers=admin)

    refused(response, 422)
    assert counts(session) == before


def test_zero_width_characters_leave_names_but_not_slugs(
    client: TestClient, session: Session, admin: dict
) -> None:
    response = client.post("/v1/categories", json={"name": "ريا\u200cضة\u200b"}, headers=admin)

    assert response.status_code == 201, response.text
    assert response.json()["slug"] == "رياضة"


INJECTIONS = [
    "' OR 1=1 --",
    '"; DROP TABLE article; --',
    "NEAR(a b) title:x ^y -z * ( ) AND OR NOT",
    "a:b & c | !d <-> e:*",
    "%' UNION SELECT secret_hash FROM api_token --",
    "\\x00\\' \"",
    "\u0000",
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value", INJECTIONS)
def test_query_syntax_in_every_parameter_is_only_text(
    client: TestClient, session: Session, admin: dict, value: str
) -> None:
    before = counts(session)
    search = client.get("/v1/search", params={"q": value})
    assert search.status_code in (200, 422), search.text
    if search.status_code == 200:
        assert search.json()["data"] == []
    for path, params in [
        ("/v1/articles", {"category": value}),
        ("/v1/articles", {"tag": value}),
        ("/v1/articles", {"author": value}),
        ("/v1/articles", {"lang": value}),
        ("/v1/articles", {"fields": value}),
        ("/v1/articles", {"published_after": value}),
        ("/v1/comments", {"article": value}),
        (f"/v1/articles/{quote(value, safe='')}", {}),
        (f"/v1/categories/{quote(value, safe='')}", {}),
    ]:
        response = client.get(path, params=params, headers=admin)
        assert response.status_code in (404, 422), (path, params, response.text)
        refused(response, 404, 422)
    assert counts(session) == before


@pytest.mark.parametrize("limit", ["-1", "0", "101", "99999999999999999999999", "1e3", "NaN", ""])
@pytest.mark.parametrize("path", ["/v1/articles", "/v1/search?q=خبر", "/v1/ticker", "/v1/tags"])
def test_absurd_limits_are_422(client: TestClient, path: str, limit: str) -> None:
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}limit={limit}")

    refused(response, 422)


@pytest.mark.parametrize(
    "path", ["/v1/articles/99999999999999999999", "/v1/ticker/-1", "/v1/webhooks/0/ping"]
)
def test_ids_out_of_range_are_4xx(client: TestClient, admin: dict, path: str) -> None:
    method = "POST" if path.endswith("ping") else "GET"
    refused(client.request(method, path, headers=admin), 404, 422)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_unknown_fields_are_refused(
    client: TestClient, session: Session, admin: dict, method: str, path: str
) -> None:
    before = counts(session)

    response = client.request(method, path, json={"is_admin": True, "__proto__": {}}, headers=admin)

    refused(response, 422)
    assert counts(session) == before


class TestBoundedCost:
    """A body built to make validation slow, or its answer huge, is refused small."""

    @pytest.mark.parametrize(
        "shape",
        [
            {f"k{n}": n for n in range(200_000)},
            {"title": "خبر", "tags": ["وسم"] * 100_000},
        ],
        ids=["unknown-keys", "list-items"],
    )
    def test_a_body_of_hundreds_of_thousands_of_values_is_refused_before_validation(
        self, client: TestClient, session: Session, admin: dict, shape: dict
    ) -> None:
        before = counts(session)
        body = json.dumps(shape).encode()
        assert 1 << 20 < len(body) < 4 << 20  # within the body limit for a token

        response = client.post(
            "/v1/articles", content=body, headers={**admin, "Content-Type": "application/json"}
        )

        refused(response, 413)
        assert response.json()["detail"] == (
            "the body holds more than 10000 values (keys, items and scalars): "
            "no request here needs as many"
        )
        assert counts(session) == before

    def test_many_mistakes_are_counted_and_the_first_twenty_listed(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        body = {"title": "خبر", **{f"unknown_{n}": n for n in range(500)}}

        response = client.post("/v1/articles", json=body, headers=admin)

        refused(response, 422)
        problem = response.json()
        assert problem["detail"] == "500 invalid fields in the request (the first 20 listed)"
        assert [e["loc"] for e in problem["errors"]] == [
            ["body", f"unknown_{n}"] for n in range(20)
        ]
        assert len(response.content) < 4096

    def test_a_reader_s_body_gets_the_small_limit(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        comment = {"author_name": "قارئ", "author_email": "r@example.com", "body": "ن" * 40_000}

        anonymous = client.post("/v1/articles/1/comments", json=comment)
        declared = client.post(
            "/v1/articles/1/comments",
            content=b"{}",
            headers={"Content-Length": str(65 << 10), "Content-Type": "application/json"},
        )

        refused(anonymous, 413)
        assert anonymous.json()["detail"] == (
            "the request body is larger than the 65536 bytes accepted here"
        )
        assert declared.status_code == 413
        assert counts(session)[2] == 0


class TestValuesAtTheEdges:
    """Values at the ends of what a type holds are a 422, never a 500 (SQLite and
    PostgreSQL)."""

    @pytest.fixture(params=BACKENDS)
    def backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
    def test_a_time_outside_the_calendar_in_utc(
        self, client: TestClient, session: Session, admin: dict, moment: str
    ) -> None:
        before = counts(session)
        answers = [
            client.get("/v1/articles", params={"published_after": moment}),
            client.get("/v1/articles", params={"published_before": moment}),
            client.get("/v1/search", params={"q": "خبر", "published_after": moment}),
            client.post(
                "/v1/articles",
                json={"title": "خبر", "status": "published", "published_at": moment},
                headers=admin,
            ),
            client.post("/v1/ticker", json={"text": "نبأ", "ends_at": moment}, headers=admin),
            client.post(
                "/v1/tokens",
                json={"name": "أداة", "scopes": ["admin"], "expires_at": moment},
                headers=admin,
            ),
        ]

        for response in answers:
            refused(response, 422)
            assert response.json()["errors"][0]["message"] == (
                "Value error, this time is outside the years 1 to 9999 in UTC"
            )
        assert counts(session) == before

    @pytest.mark.parametrize(
        "url",
        [
            "/v1/articles/%2500",
            "/v1/articles/a%2500b",
            "/v1/articles?category=%2500",
            "/v1/articles?tag=x%2500",
            "/v1/search?q=خبر&author=%2500",
            "/v1/categories/%2500",
            "/v1/articles/a%2500/comments",
        ],
    )
    def test_a_nul_behind_a_second_encoding(
        self, client: TestClient, admin: dict, url: str
    ) -> None:
        response = client.get(url)

        assert response.status_code in (404, 422), response.text
        assert response.headers["content-type"] == PROBLEM

    def test_a_comment_on_an_article_purged_meanwhile_is_its_404(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        article_id = make_article(session, "خبر يُمحى").id
        purged = []

        def purge_first(_session: OrmSession, *_args: object) -> None:
            # Between the comment's look-up of its article and its insert.
            if not purged:
                purged.append(article_id)
                with engine.begin() as connection:
                    connection.execute(delete(Article).where(col(Article.id) == article_id))

        event.listen(OrmSession, "before_flush", purge_first)
        try:
            response = client.post(
                f"/v1/articles/{article_id}/comments",
                json={"author_name": "قارئ", "author_email": "r@example.com", "body": "تعليق"},
            )
        finally:
            event.remove(OrmSession, "before_flush", purge_first)

        assert purged == [article_id]
        refused(response, 404)
        assert counts(session)[2] == 0
