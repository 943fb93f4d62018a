"""What every answer carries and every request passes: request ids, security headers,
the body size limit, allowed hosts, CORS and metrics."""

import gc
import re
import weakref
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, func, select

from app.auth.scopes import Scope
from app.core.config import Settings
from app.main import create_app
from app.models import Article
from tests.factories import bearer, make_author, make_category, make_token

PROBLEM = "application/problem+json"
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


def edge_client(settings: Settings, **changes: object) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=changes)), base_url="http://testserver")


@pytest.fixture
def editor_token(session: Session) -> str:
    make_category(session, name="سياسة")
    make_author(session, name="سلمى")
    return make_token(session, Scope.articles_write)


def article_body(**changes: object) -> dict[str, object]:
    return {
        "title": "خبر عن حجم الطلب",
        "body": "<p>نص الخبر.</p>",
        "category": "سياسة",
        "authors": ["سلمى"],
        "status": "published",
        **changes,
    }


def article_count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Article)).one()


class TestRequestId:
    def test_generated_when_absent_and_returned(self, client: TestClient) -> None:
        first = client.get("/healthz").headers["x-request-id"]
        second = client.get("/healthz").headers["x-request-id"]

        assert re.fullmatch(r"[0-9a-f]{32}", first)
        assert first != second

    def test_a_clients_id_is_kept(self, client: TestClient) -> None:
        response = client.get("/v1/nothing", headers={"X-Request-ID": "cdn-7f3a:2026/11/29"})

        assert response.status_code == 404
        assert response.headers["x-request-id"] == "cdn-7f3a:2026/11/29"

    @pytest.mark.parametrize(
        "sent", ["has space", "x" * 129, 'quote"inside', "سطر", "tab\there", ""]
    )
    def test_an_unsafe_id_is_replaced(self, client: TestClient, sent: str) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": sent.encode()})

        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


class TestSecurityHeaders:
    @pytest.mark.parametrize("path", ["/healthz", "/v1/articles", "/v1/nothing", "/openapi.json"])
    def test_on_json_answers_and_problems(self, client: TestClient, path: str) -> None:
        headers = client.get(path).headers

        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-security-policy"] == JSON_CSP
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in headers

    @pytest.mark.parametrize("path", ["/docs", "/redoc"])
    def test_docs_pages_keep_the_policy_that_lets_them_work(
        self, client: TestClient, path: str
    ) -> None:
        headers = client.get(path).headers

        assert headers["x-content-type-options"] == "nosniff"
        assert headers.get_list("content-security-policy") == [headers["content-security-policy"]]
        assert "script-src 'self'" in headers["content-security-policy"]

    def test_hsts_when_configured(self, settings: Settings) -> None:
        with edge_client(settings, hsts_seconds=31_536_000) as client:
            headers = client.get("/healthz").headers

        assert headers["strict-transport-security"] == "max-age=31536000"

    @pytest.mark.server_error
    def test_an_unexpected_error_is_a_500_problem_with_the_same_headers(
        self, settings: Settings
    ) -> None:
        app = create_app(settings)

        @app.get("/boom")
        def boom() -> None:
            raise RuntimeError("internal detail")

        with TestClient(app) as client:  # the exception never reaches the test client
            response = client.get("/boom", headers={"X-Request-ID": "boom-1"})

        assert response.status_code == 500
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["x-request-id"] == "boom-1"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.json()["detail"] == "the server failed to answer this request"


class TestBodyLimit:
    def test_a_declared_length_over_the_limit_is_refused_unread(
        self, settings: Settings, session: Session, editor_token: str
    ) -> None:
        body = article_body(body="<p>" + "ن" * 3000 + "</p>")
        with edge_client(settings, max_body_bytes=4096) as client:
            response = client.post("/v1/articles", json=body, headers=bearer(editor_token))

        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["connection"] == "close"
        assert response.json() == {
            "type": "/problems/request-entity-too-large",
            "title": "Request Entity Too Large",
            "status": 413,
            "detail": "the request body is larger than the 4096 bytes accepted here",
        }
        assert article_count(session) == 0

    def test_a_streamed_body_is_cut_off_at_the_limit(
        self, settings: Settings, session: Session, editor_token: str
    ) -> None:
        sent = 0

        def chunks() -> Iterator[bytes]:
            nonlocal sent
            yield b'{"title": "x", "body": "'
            for _ in range(1000):
                sent += 1024
                yield b"a" * 1024
            yield b'"}'

        with edge_client(settings, max_body_bytes=8192) as client:
            response = client.post(
                "/v1/articles",
                content=chunks(),
                headers={**bearer(editor_token), "Content-Type": "application/json"},
            )

        assert response.status_code == 413
        assert response.json()["detail"] == (
            "the request body is larger than the 8192 bytes accepted here"
        )
        assert article_count(session) == 0

    def test_a_body_under_the_limit_is_accepted(
        self, settings: Settings, session: Session, editor_token: str
    ) -> None:
        with edge_client(settings, max_body_bytes=4096) as client:
            response = client.post(
                "/v1/articles", json=article_body(), headers=bearer(editor_token)
            )

        assert response.status_code == 201
        assert article_count(session) == 1

    def test_default_is_four_mebibytes(self) -> None:
        assert Settings().max_body_bytes == 4 * 1024 * 1024


class TestAllowedHosts:
    def test_any_host_by_default(self, client: TestClient) -> None:
        assert client.get("/healthz", headers={"Host": "whatever.example"}).status_code == 200

    @pytest.mark.parametrize(
        ("host", "status"),
        [
            ("api.akhbar.example", 200),
            ("API.Akhbar.Example:443", 200),
            ("cdn.akhbar.example", 200),
            ("akhbar.example", 200),
            ("evil.example", 400),
            ("akhbar.example.evil.example", 400),
            ("notakhbar.example", 400),
            ("", 400),
        ],
    )
    def test_only_the_configured_names(self, settings: Settings, host: str, status: int) -> None:
        with edge_client(
            settings, allowed_hosts=["api.akhbar.example", "*.akhbar.example", "akhbar.example"]
        ) as client:
            response = client.get("/healthz", headers={"Host": host})

        assert response.status_code == status
        if status == 400:
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["detail"] == "this server does not answer for that Host"


class TestCors:
    def test_no_origin_is_allowed_by_default(self, client: TestClient) -> None:
        response = client.get("/v1/articles", headers={"Origin": "https://akhbar.example"})

        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers

    def test_configured_origins_may_read_and_preflight(self, settings: Settings) -> None:
        origins = ["https://akhbar.example", "http://localhost:3000"]
        with edge_client(settings, cors_origins=origins) as client:
            simple = client.get("/v1/articles", headers={"Origin": "http://localhost:3000"})
            preflight = client.options(
                "/v1/articles/1",
                headers={
                    "Origin": "https://akhbar.example",
                    "Access-Control-Request-Method": "PATCH",
                    "Access-Control-Request-Headers": "authorization, if-match, content-type",
                },
            )
            stranger = client.get("/v1/articles", headers={"Origin": "https://evil.example"})

        assert simple.headers["access-control-allow-origin"] == "http://localhost:3000"
        exposed = {
            h.strip().lower() for h in simple.headers["access-control-expose-headers"].split(",")
        }
        assert {"etag", "link", "location", "x-request-id", "retry-after"} <= exposed
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://akhbar.example"
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in preflight.headers
        assert preflight.headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in stranger.headers


class TestMetrics:
    def test_with_a_token_set_only_the_scraper_reads_them(self, settings: Settings) -> None:
        token = "scraper-secret-0123456789"
        with edge_client(settings, metrics_token=SecretStr(token)) as client:
            answers = {
                "none": client.get("/metrics"),
                "wrong": client.get("/metrics", headers={"Authorization": "Bearer guessed"}),
                "api token": client.get("/metrics", headers={"Authorization": "Bearer akh_x"}),
                "scraper": client.get("/metrics", headers={"Authorization": f"Bearer {token}"}),
            }

        assert {name: r.status_code for name, r in answers.items()} == {
            "none": 401,
            "wrong": 401,
            "api token": 401,
            "scraper": 200,
        }
        assert answers["none"].headers["www-authenticate"] == 'Bearer realm="akhbar"'
        assert answers["none"].json()["detail"] == (
            "/metrics needs the token set in AKHBAR_METRICS_TOKEN"
        )
        assert "akhbar_http_requests_total" in answers["scraper"].text

    def test_requests_are_counted_by_route_template(self, client: TestClient) -> None:
        for slug in ["خبر-أول", "خبر-ثان", "%D8%AE%D8%A8%D8%B1"]:
            assert client.get(f"/v1/articles/{slug}").status_code == 404
        assert client.get("/v1/articles").status_code == 200
        client.get("/no/such/path")

        response = client.get("/metrics")
        text = response.text

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=")
        assert (
            'akhbar_http_requests_total{method="GET",route="/v1/articles/{ref}",status="404"} 3.0'
            in text
        )
        assert (
            'akhbar_http_requests_total{method="GET",route="/v1/articles",status="200"} 1.0' in text
        )
        assert (
            'akhbar_http_requests_total{method="GET",route="<unmatched>",status="404"} 1.0' in text
        )
        assert (
            'akhbar_http_request_duration_seconds_count{method="GET",'
            'route="/v1/articles/{ref}",status="404"} 3.0' in text
        )
        assert 'akhbar_http_request_duration_seconds_bucket{le="0.05",method="GET"' in text
        assert "خبر" not in text
        assert "%D8" not in text
        assert re.search(r"^akhbar_db_pool_connections_in_use 0\.0$", text, re.M)
        assert re.search(r"^akhbar_db_pool_connections_max \d+\.0$", text, re.M)
        assert re.search(r"^akhbar_http_requests_in_flight 1\.0$", text, re.M)


def test_an_app_is_freed_once_its_server_stops(settings: Settings) -> None:
    """Nothing process-wide (FastAPI's caches of endpoint facts, event listeners, metrics)
    keeps a stopped app alive: a process that makes many (the test suite) stays small."""
    app = create_app(settings.model_copy(update={"webhooks_worker": True}))
    with TestClient(app) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/v1/articles", "/v1/ticker"):
            assert client.get(path).status_code == 200
    freed = weakref.ref(app)
    del app, client
    gc.collect()

    assert freed() is None
