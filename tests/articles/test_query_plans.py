"""Every public filter and order of the article list is served by an index (SQLite's
query planner, asked with EXPLAIN QUERY PLAN about the very statements the API runs)."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.core.config import Settings
from app.http.resources import resources_of
from tests.factories import make_article, make_author, make_category, make_tag


@pytest.fixture
def statements(client: TestClient, settings: Settings) -> Iterator[list[tuple[str, object]]]:
    if not settings.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by its statistics")
    engine = resources_of(client.app).engine  # type: ignore[arg-type, union-attr]
    seen: list[tuple[str, object]] = []

    def record(
        _conn: object, _cursor: object, statement: str, parameters: object, *_: object
    ) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def content(session: Session) -> None:
    make_category(session, "رياضة")
    make_tag(session, "كرة")
    make_author(session, "سامي")
    for hours in range(3):
        make_article(
            session,
            f"مباراة {hours}",
            hours=hours,
            category="رياضة",
            tags=["كرة"],
            authors=["سامي"],
            is_breaking=True,
            is_exclusive=True,
        )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "category=رياضة",
        "tag=كرة",
        "author=سامي",
        "is_breaking=true",
        "is_exclusive=true",
        "lang=ar",
        "published_after=2026-01-01T00:00:00Z",
        "published_before=2027-01-01T00:00:00Z",
    ],
)
def test_the_list_never_scans_the_article_table(
    client: TestClient, session: Session, statements: list, content: None, query: str
) -> None:
    first = client.get(f"/v1/articles?limit=1&{query}")
    cursor = first.json()["meta"]["next_cursor"]
    second = client.get(f"/v1/articles?limit=1&{query}&cursor={cursor}")
    assert [first.status_code, second.status_code] == [200, 200]
    assert len(second.json()["data"]) == 1

    plans = []
    for statement, parameters in statements:
        if statement.lstrip().startswith("SELECT") and re.search(r"\bFROM article\b", statement):
            rows = session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", tuple(parameters)
            )
            plans.append([row[-1] for row in rows])
    assert plans
    for plan in plans:
        assert [step for step in plan if step.startswith("SCAN article")] == [], plan
