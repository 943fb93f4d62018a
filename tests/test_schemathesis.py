"""Schemathesis against a real server: every operation of the API's own schema, with
generated valid and invalid input, anonymously and with an admin token, every check on:
no 5xx, and every status code, header, content type and body as the schema documents."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from sqlmodel import Session

from app.config import Settings
from app.db import create_db_engine
from app.demo.loader import load_demo
from app.ops.migrations import upgrade_to_head
from tests.factories import make_token
from tests.server import server_process

EXAMPLES = int(os.environ.get("AKHBAR_TEST_SCHEMATHESIS_EXAMPLES", "25"))
SERVER_ENV = {
    "AKHBAR_ACCESS_LOG": "false",
    "AKHBAR_COMMENTS_FLOOD_SECONDS": "0",
    "AKHBAR_COMMENTS_RATE_LIMIT": "9999999/minute",
    # Generated webhook targets lead nowhere: fail fast.
    "AKHBAR_WEBHOOKS_TIMEOUT_SECONDS": "0.3",
    "AKHBAR_LOG_LEVEL": "error",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server on SQLite with the demo content; its URL and an admin token."""
    path = tmp_path_factory.mktemp("schemathesis") / "akhbar.db"
    database = Settings(database_url=f"sqlite:///{path}")
    upgrade_to_head(database)
    engine = create_db_engine(database)
    with Session(engine) as session:
        load_demo(session)
        # Tokens enough that a generated DELETE /v1/tokens/{id} rarely finds ours.
        for n in range(30):
            make_token(session, name=f"t{n}")
        token = make_token(session, name="schemathesis")
    engine.dispose()
    with server_process(database.database_url, env=SERVER_ENV) as (base_url, _process):
        yield base_url, token


@pytest.fixture(scope="module")
def api_schema(served: tuple[str, str]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{served[0]}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.parametrize("auth", ["anonymous", "admin"])
def test_every_operation_keeps_its_contract(
    case: Case, served: tuple[str, str], auth: str
) -> None:
    headers = {"Authorization": f"Bearer {served[1]}"} if auth == "admin" else None
    case.call_and_validate(headers=headers)


def test_the_run_covers_the_committed_schema() -> None:
    committed = Path(__file__).parent.parent / "openapi" / "openapi.json"
    loaded = schemathesis.openapi.from_path(committed)
    assert len(list(loaded.get_all_operations())) >= 50
