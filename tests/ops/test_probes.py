"""/healthz and /readyz."""

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.ops.migrations import head_revisions

(HEAD,) = head_revisions(Settings())


class TestHealthz:
    def test_alive(self, client: TestClient) -> None:
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestReadyz:
    def test_ready_when_migrated_to_head(self, client: TestClient) -> None:
        response = client.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"status": "ready", "revisions": [HEAD]}

    def test_503_when_the_database_is_not_migrated(self, tmp_path: Path) -> None:
        app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))

        with TestClient(app) as client:
            response = client.get("/readyz")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == (
            f"the database is at revision none, the code expects ['{HEAD}']: run `akhbar migrate`"
        )

    def test_503_when_the_database_is_unreachable(self) -> None:
        # Nothing listens on port 1 of the loopback interface.
        app = create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"))

        with TestClient(app) as client:
            response = client.get("/readyz")

        assert response.status_code == 503
        assert response.json()["detail"] == "the database is unreachable"
