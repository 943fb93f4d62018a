"""/healthz and /readyz."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.core.config import Settings
from app.main import create_app
from app.ops.migrations import head_revisions

(HEAD,) = head_revisions(Settings())


@pytest.fixture
def stamp(session: Session) -> Iterator[Callable[[str], None]]:
    """Set the database's recorded revision; put head back afterwards (on PostgreSQL the
    migrated database is shared by the tests)."""

    def set_revision(revision: str) -> None:
        session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        session.commit()

    yield set_revision
    set_revision(HEAD)


class TestHealthz:
    def test_alive(self, client: TestClient) -> None:
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestReadyz:
    def test_ready_when_migrated_to_head(self, client: TestClient) -> None:
        response = client.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"status": "ready", "revisions": [HEAD], "rate_limits": "memory"}

    def test_ready_when_a_rolling_upgrade_migrated_past_this_code(
        self, client: TestClient, stamp: Callable[[str], None]
    ) -> None:
        stamp("20991231_01")

        response = client.get("/readyz")

        assert response.status_code == 200
        assert response.json()["revisions"] == ["20991231_01"]

    def test_503_when_the_database_is_behind_this_code(
        self, client: TestClient, stamp: Callable[[str], None]
    ) -> None:
        stamp("20261129_01")

        response = client.get("/readyz")

        assert response.status_code == 503
        assert response.json()["detail"] == (
            f"the database is at revision ['20261129_01'], the code expects ['{HEAD}']: "
            "run `akhbar migrate`"
        )

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
