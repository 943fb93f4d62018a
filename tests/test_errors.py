"""Every error is an RFC 9457 problem document, never HTML or a stack trace."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.core.config import Settings
from app.main import create_app

PROBLEM = "application/problem+json"


class TestProblems:
    def test_unknown_route_is_404_problem(self, client: TestClient) -> None:
        response = client.get("/v1/nothing-here")

        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json() == {
            "type": "/problems/not-found",
            "title": "Not Found",
            "status": 404,
            "detail": "no such resource",
        }

    def test_wrong_method_is_405_problem_with_allow(self, client: TestClient) -> None:
        response = client.put("/v1/articles")

        assert response.status_code == 405
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["allow"] == "GET, HEAD, POST"
        assert response.json()["detail"] == "PUT is not allowed here: use GET, HEAD, POST"
        assert response.json()["type"] == "/problems/method-not-allowed"

    @pytest.mark.parametrize(
        ("url", "where"),
        [
            ("/v1/articles?tag=%00", "query"),
            ("/v1/articles?lang=a%00b", "query"),
            ("/v1/articles/abc%00def", "path"),
            ("/v1/tags/%00", "path"),
        ],
    )
    def test_nul_anywhere_in_the_url_is_422(self, client: TestClient, url: str, where: str) -> None:
        response = client.get(url)

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"] == [
            {"loc": [where], "message": "contains NUL", "type": "nul"}
        ]

    @pytest.mark.server_error
    @pytest.mark.parametrize(
        "error",
        [
            IntegrityError(
                "INSERT INTO article (slug) VALUES (?)", ("سر",), Exception("UNIQUE failed")
            ),
            StaleDataError("UPDATE statement on table 'tag' expected to update 1 row(s)"),
        ],
        ids=["integrity", "stale"],
    )
    def test_a_race_no_service_foresaw_is_a_409_in_plain_words(
        self, settings: Settings, caplog: pytest.LogCaptureFixture, error: Exception
    ) -> None:
        app = create_app(settings)

        @app.get("/race")
        def race() -> None:
            raise error

        with TestClient(app) as client:
            response = client.get("/race")

        assert response.status_code == 409
        assert response.headers["content-type"] == PROBLEM
        assert response.json() == {
            "type": "/problems/conflict",
            "title": "Conflict",
            "status": 409,
            "detail": "another request changed the same data at the same moment: fetch it "
            "again and retry",
        }
        (record,) = [r for r in caplog.records if r.name == "akhbar.errors"]
        assert record.levelname == "ERROR"
        assert record.getMessage().startswith(f"defect: {type(error).__name__} reached")

    @pytest.mark.server_error
    def test_unexpected_error_is_a_500_problem_without_internals(self, settings: Settings) -> None:
        app = create_app(settings)

        @app.get("/boom")
        def boom() -> None:
            raise RuntimeError("secret internal detail: password=hunter2")

        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/boom")

        assert response.status_code == 500
        assert response.headers["content-type"] == PROBLEM
        assert response.json() == {
            "type": "/problems/internal-server-error",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "the server failed to answer this request",
        }
        assert b"secret" not in response.content
        assert b"Traceback" not in response.content
