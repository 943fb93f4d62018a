"""Bearer tokens: every way a token can fail, scopes, and /v1/tokens."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import secrets
from app.auth.scopes import Scope
from app.auth.service import create_token
from app.core.db import unit_of_work
from app.models import ApiToken
from tests.factories import bearer, make_token

INVALID = {
    "type": "/problems/unauthorized",
    "title": "Unauthorized",
    "status": 401,
    "detail": "the bearer token is missing, malformed, unknown, revoked or expired",
}
NEW_ARTICLE = {"title": "خبر جديد"}


def revoked_token(session: Session) -> str:
    with unit_of_work(session):
        token, secret = create_token(session, name="قديم", scopes=[Scope.articles_write])
        token.revoked_at = datetime.now(UTC)
    return secret


def expired_token(session: Session) -> str:
    past = datetime.now(UTC) - timedelta(days=2)
    with unit_of_work(session):
        _token, secret = create_token(
            session,
            name="منتهي",
            scopes=[Scope.articles_write],
            expires_at=past + timedelta(days=1),
            now=past,
        )
    return secret


def unknown_token() -> str:
    return secrets.generate_secret()  # well formed, checksum right, never stored


def bad_checksum_token() -> str:
    secret = secrets.generate_secret()
    return secret[:-1] + ("a" if secret[-1] != "a" else "b")


class TestBearerAuthentication:
    def test_without_a_token_is_401_with_a_bearer_challenge(self, client: TestClient) -> None:
        response = client.post("/v1/articles", json=NEW_ARTICLE)

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == 'Bearer realm="akhbar"'
        assert response.json() == INVALID

    @pytest.mark.parametrize(
        "make_secret",
        [
            lambda session: "not-a-token",
            lambda session: bad_checksum_token(),
            lambda session: unknown_token(),
            revoked_token,
            expired_token,
        ],
        ids=["malformed", "bad-checksum", "unknown", "revoked", "expired"],
    )
    def test_every_failing_token_gets_the_same_401(
        self, client: TestClient, session: Session, make_secret
    ) -> None:
        response = client.post(
            "/v1/articles", json=NEW_ARTICLE, headers=bearer(make_secret(session))
        )

        assert response.status_code == 401
        assert (
            response.headers["www-authenticate"] == 'Bearer realm="akhbar", error="invalid_token"'
        )
        assert response.json() == INVALID
        assert session.exec(select(ApiToken.last_used_at)).all() in ([], [None])

    @pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Token akh_x", "bearer"])
    def test_a_header_that_is_not_a_bearer_token_is_401(
        self, client: TestClient, header: str
    ) -> None:
        response = client.post("/v1/articles", json=NEW_ARTICLE, headers={"Authorization": header})

        assert response.status_code == 401
        assert response.json() == INVALID

    def test_a_failing_token_is_401_even_on_a_public_read(
        self, client: TestClient, session: Session
    ) -> None:
        response = client.get("/v1/articles", headers=bearer(revoked_token(session)))

        assert response.status_code == 401

    def test_wrong_scope_is_403(self, client: TestClient, session: Session) -> None:
        secret = make_token(session, Scope.taxonomy_write, Scope.ticker_write)

        response = client.post("/v1/articles", json=NEW_ARTICLE, headers=bearer(secret))

        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "this token lacks the scope 'articles:write'"

    @pytest.mark.parametrize("scope", [Scope.articles_write, Scope.admin])
    def test_right_scope_or_admin_is_let_through(
        self, client: TestClient, session: Session, scope: Scope
    ) -> None:
        secret = make_token(session, scope)

        response = client.post("/v1/articles", json=NEW_ARTICLE, headers=bearer(secret))

        assert response.status_code == 201

    def test_use_is_recorded(self, client: TestClient, session: Session) -> None:
        secret = make_token(session, Scope.articles_write)

        client.post("/v1/articles", json=NEW_ARTICLE, headers=bearer(secret))

        session.expire_all()
        (last_used_at,) = session.exec(select(ApiToken.last_used_at)).all()
        assert last_used_at is not None
        assert datetime.now(UTC) - last_used_at < timedelta(minutes=1)


class TestCreateToken:
    def test_answers_the_secret_once_and_stores_only_a_digest(
        self, client: TestClient, session: Session
    ) -> None:
        admin = make_token(session, Scope.admin, name="مدير")

        response = client.post(
            "/v1/tokens",
            json={"name": "تطبيق الهاتف", "scopes": ["taxonomy:write", "articles:write"]},
            headers=bearer(admin),
        )

        assert response.status_code == 201
        body = response.json()
        assert response.headers["location"] == f"/v1/tokens/{body['id']}"
        secret = body.pop("token")
        assert secrets.is_well_formed(secret)
        assert body["name"] == "تطبيق الهاتف"
        assert body["scopes"] == ["articles:write", "taxonomy:write"]
        assert body["prefix"] == secret[4:12]
        assert (body["expires_at"], body["last_used_at"], body["revoked_at"]) == (None, None, None)
        row = session.get(ApiToken, body["id"])
        assert row is not None
        assert row.secret_hash == secrets.digest(secret)
        assert secret not in {row.secret_hash, row.prefix, row.name, row.scopes}
        # The new token works, with its scopes.
        created = client.post("/v1/articles", json=NEW_ARTICLE, headers=bearer(secret))
        assert created.status_code == 201

    @pytest.mark.parametrize(
        ("payload", "loc"),
        [
            ({"name": "x", "scopes": []}, ["body", "scopes"]),
            ({"name": "x", "scopes": ["root"]}, ["body", "scopes", 0]),
            ({"name": "", "scopes": ["admin"]}, ["body", "name"]),
            (
                {"name": "x", "scopes": ["admin"], "expires_at": "2020-01-01T00:00:00Z"},
                ["body", "expires_at"],
            ),
            (
                {"name": "x", "scopes": ["admin"], "expires_at": "2099-01-01T00:00:00"},
                ["body", "expires_at"],
            ),
            ({"name": "x", "scopes": ["admin"], "secret": "mine"}, ["body", "secret"]),
        ],
    )
    def test_invalid_request_is_422_and_creates_nothing(
        self, client: TestClient, session: Session, payload: dict, loc: list
    ) -> None:
        admin = make_token(session, Scope.admin)

        response = client.post("/v1/tokens", json=payload, headers=bearer(admin))

        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["errors"]] == [loc]
        assert len(session.exec(select(ApiToken)).all()) == 1

    def test_needs_admin(self, client: TestClient, session: Session) -> None:
        editor = make_token(session, Scope.articles_write, Scope.taxonomy_write)

        response = client.post(
            "/v1/tokens", json={"name": "x", "scopes": ["admin"]}, headers=bearer(editor)
        )

        assert response.status_code == 403


class TestListTokens:
    def test_lists_without_secrets(self, client: TestClient, session: Session) -> None:
        admin = make_token(session, Scope.admin, name="مدير")
        make_token(session, Scope.ticker_write, name="شريط الأخبار")

        response = client.get("/v1/tokens", headers=bearer(admin))

        assert response.status_code == 200
        data = response.json()["data"]
        assert [(t["name"], t["scopes"]) for t in data] == [
            ("مدير", ["admin"]),
            ("شريط الأخبار", ["ticker:write"]),
        ]
        assert all("token" not in t and "secret_hash" not in t for t in data)
        assert admin not in response.text


class TestRevokeToken:
    def test_revoked_token_stops_working_at_once(
        self, client: TestClient, session: Session
    ) -> None:
        admin = make_token(session, Scope.admin)
        editor = make_token(session, Scope.articles_write)
        editor_id = session.exec(select(ApiToken.id).order_by(ApiToken.id.desc())).first()  # type: ignore[union-attr]

        revoked = client.delete(f"/v1/tokens/{editor_id}", headers=bearer(admin))
        again = client.delete(f"/v1/tokens/{editor_id}", headers=bearer(admin))
        refused = client.post("/v1/articles", json=NEW_ARTICLE, headers=bearer(editor))

        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] is not None
        assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
        assert refused.status_code == 401

    @pytest.mark.parametrize(("token_id", "status"), [(999, 404), ("9" * 30, 422), (0, 422)])
    def test_unknown_id(
        self, client: TestClient, session: Session, token_id: object, status: int
    ) -> None:
        admin = make_token(session, Scope.admin)

        response = client.delete(f"/v1/tokens/{token_id}", headers=bearer(admin))

        assert response.status_code == status
