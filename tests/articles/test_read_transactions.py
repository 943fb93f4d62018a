"""A public read ends its transaction by committing it, so that PostgreSQL plans each read
once per connection (app.core.db.end_read): psycopg forgets what it prepared at every
rollback, and an article's statement costs PostgreSQL more to plan than to run."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.main import create_app
from tests.conftest import POSTGRES_URL
from tests.factories import make_article

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="AKHBAR_TEST_POSTGRES_URL is not set (CI sets it)"
)

# psycopg prepares a statement the fifth time a connection runs it (prepare_threshold).
READS = 8


@pytest.fixture
def backend() -> str:
    return "postgresql"


def prepared(engine: Engine, marker: str) -> int:
    """How many of the pool's idle connections hold a prepared statement with ``marker``."""
    held = [engine.raw_connection() for _ in range(engine.pool.checkedin())]  # type: ignore[attr-defined]
    try:
        found = 0
        for raw in held:
            cursor = raw.cursor()
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                (f"%{marker}%",),
            )
            (count,) = cursor.fetchone()  # type: ignore[misc]
            found += int(count > 0)
        return found
    finally:
        for raw in held:
            raw.close()


@pytest.mark.parametrize(
    ("what", "path", "marker"),
    [
        (
            "article",
            lambda a: f"/v1/articles/{a.slug}",
            "json_agg(json_build_array(article_related",
        ),
        ("list", lambda a: "/v1/articles?limit=5", "FROM article LEFT OUTER JOIN category"),
        ("comments", lambda a: f"/v1/articles/{a.id}/comments", "FROM comment"),
    ],
)
def test_public_reads_stay_prepared_on_postgresql(
    settings: Settings,
    session: Session,
    what: str,
    path: Callable[..., str],
    marker: str,
) -> None:
    article = make_article(session, "مجلس المدينة يقرّ موازنة العام")
    # The response cache off: every read reaches the database.
    app = create_app(settings.model_copy(update={"response_cache_seconds": 0}))
    with TestClient(app) as client:
        assert prepared(app.state.resources.engine, marker) == 0
        for _ in range(READS):
            assert client.get(path(article)).status_code == 200
        assert prepared(app.state.resources.engine, marker) >= 1, what
