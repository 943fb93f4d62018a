"""Fixtures: a freshly migrated database per test, on SQLite always and on PostgreSQL
when ``AKHBAR_TEST_POSTGRES_URL`` is set (CI sets it; there it must answer).

Each backend is migrated once per run into a template; each test then starts from an
empty, migrated database: a copy of the SQLite file, or PostgreSQL tables truncated.
"""

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import create_db_engine, open_session
from app.main import create_app
from app.models import metadata
from app.ops.migrations import upgrade_to_head
from app.wiring import event_handlers

POSTGRES_URL = os.environ.get("AKHBAR_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("AKHBAR_TEST_REDIS_URL")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="AKHBAR_TEST_POSTGRES_URL is not set (CI sets it)"
        ),
    ),
]


def worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def create_postgres_database(name: str) -> str:
    """A new, empty database on the test server; its URL. Fails loudly if unreachable."""
    assert POSTGRES_URL is not None
    admin = make_url(POSTGRES_URL)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


# No Redis unless a test asks for it, no access log; the webhook delivery worker runs in
# the webhook tests (they turn it on), not beside every other test's queries; searches
# are not limited (tests/search/test_search_limits.py tests the limit and its pauses).
TEST_DEFAULTS: dict[str, Any] = {
    "redis_url": None,
    "access_log": False,
    "webhooks_worker": False,
    "search_rate_limit": "1000000/second",
    "search_refusal_delay_ms": 0,
    # A search's time limit and its wait for a turn are about a loaded server, not about
    # what a search finds: a test machine busy with other tests must not trip them.
    # The tests of those limits set their own (tests/search/test_search_limits.py).
    "search_timeout_ms": 30_000,
    "search_queue_ms": 10_000,
}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "akhbar.db"
    upgrade_to_head(Settings(database_url=f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> str:
    url = create_postgres_database(f"akhbar_test_{worker_suffix()}")
    upgrade_to_head(Settings(database_url=url))
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if backend == "sqlite":
        path = tmp_path / "akhbar.db"
        # The template was closed cleanly, so the database is entirely in the main file.
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield Settings(
            database_url=f"sqlite:///{path}", media_dir=tmp_path / "media", **TEST_DEFAULTS
        )
        return
    url = request.getfixturevalue("postgres_template")
    engine = create_db_engine(Settings(database_url=url))
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield Settings(database_url=url, media_dir=tmp_path / "media", **TEST_DEFAULTS)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_db_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging data and checking rows, apart from the app's own."""
    with open_session(engine, event_handlers()) as session:
        yield session


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


LIMITERS = [
    "memory",
    pytest.param(
        "redis",
        marks=pytest.mark.skipif(
            not REDIS_URL, reason="AKHBAR_TEST_REDIS_URL is not set (CI sets it)"
        ),
    ),
]


@pytest.fixture(params=LIMITERS)
def limiter_settings(request: pytest.FixtureRequest) -> dict[str, object]:
    """Settings that put rate-limit state in memory, or in Redis under a fresh prefix."""
    if request.param == "memory":
        return {"redis_url": None}
    assert REDIS_URL is not None
    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()  # fail, not skip
    return {"redis_url": REDIS_URL, "redis_prefix": f"akhbar-test-{uuid.uuid4().hex}:"}


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_unhandled_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test whose app logged an unhandled error or a defect, even if every answer
    it looked at was right; tests of the 500 answer itself say so with a marker."""
    handler = _ErrorRecords()
    logger = logging.getLogger("akhbar.errors")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("server_error") is None:
        pytest.fail(
            "the app logged errors: "
            + "; ".join(
                f"{r.getMessage()} ({r.exc_info[1]!r})" if r.exc_info else r.getMessage()
                for r in handler.records
            )
        )
