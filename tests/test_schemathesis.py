"""Schemathesis against a real server: every operation of the API's own schema, with
generated valid and invalid input, anonymously and with an admin token, every check on:
no 5xx, and every status code, header, content type and body as the schema documents;
then the same checks on sequences of calls that follow the schema's links."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.errors import Flaky
from schemathesis import Case

from app.auth.secrets import digest, generate_secret, lookup_prefix
from app.core.config import Settings
from app.core.db import unit_of_work
from app.demo.loader import load_demo
from app.media.library import MediaLibrary
from app.models import ApiToken
from app.ops.migrations import upgrade_to_head
from app.wiring import session_for
from tests.factories import make_token
from tests.server import server_process

EXAMPLES = int(os.environ.get("AKHBAR_TEST_SCHEMATHESIS_EXAMPLES", "15"))
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
    folder = tmp_path_factory.mktemp("schemathesis")
    path = folder / "akhbar.db"
    database = Settings(database_url=f"sqlite:///{path}", media_dir=folder / "media")
    upgrade_to_head(database)
    with session_for(database) as session:
        with unit_of_work(session):
            load_demo(session, MediaLibrary.from_settings(database))
        # Tokens enough that a generated DELETE /v1/tokens/{id} rarely finds ours.
        for n in range(30):
            make_token(session, name=f"t{n}")
        session.add(
            ApiToken(
                name="schemathesis",
                prefix=lookup_prefix(ADMIN_SECRET),
                secret_hash=digest(ADMIN_SECRET),
                scopes="admin",
            )
        )
        session.commit()
    env = {**SERVER_ENV, "AKHBAR_MEDIA_DIR": str(database.media_dir)}
    with server_process(database.database_url, env=env) as (base_url, _process):
        yield base_url, ADMIN_SECRET


# The committed schema (a test checks that it is the one the app serves), twice: as
# anonymous callers see it, and with an admin token that Schemathesis itself applies (so
# its own checks know which requests carry it and which it took it out of).
COMMITTED = Path(__file__).parent.parent / "openapi" / "openapi.json"
# A stream that never ends by itself: tests/ticker/test_stream.py reads it.
NEVER_ENDS = "/v1/ticker/stream"
anonymous = schemathesis.openapi.from_path(COMMITTED).exclude(path=NEVER_ENDS)
admin = schemathesis.openapi.from_path(COMMITTED).exclude(path=NEVER_ENDS)
# Known before the server exists: Schemathesis sets it on cases as it makes them.
ADMIN_SECRET = generate_secret()


@admin.auth()
class AdminToken:
    def get(self, case: Case, context: object) -> str:
        return ADMIN_SECRET

    def set(self, case: Case, data: str, context: object) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


RUN = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@anonymous.parametrize()
@RUN
def test_every_operation_keeps_its_contract_anonymously(
    case: Case, served: tuple[str, str]
) -> None:
    case.call_and_validate(base_url=served[0])


@admin.parametrize()
@RUN
def test_every_operation_keeps_its_contract_with_an_admin_token(
    case: Case, served: tuple[str, str]
) -> None:
    case.call_and_validate(base_url=served[0])


def test_the_run_covers_every_operation() -> None:
    assert len(list(anonymous.get_all_operations())) >= 50


SCENARIOS = int(os.environ.get("AKHBAR_TEST_SCHEMATHESIS_SCENARIOS", "20"))


def test_linked_operations_keep_their_contract(served: tuple[str, str]) -> None:
    """Stateful: sequences of calls that follow the schema's links (those it publishes and
    those Schemathesis infers), each using what an earlier answer gave: an article is made,
    then edited, read by its id, its revisions listed; a webhook made, then
    pinged… every answer checked as above."""
    failures: list[str] = []

    class Linked(admin.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case) -> dict[str, str]:
            return {"base_url": served[0]}

        def validate_response(self, response: Any, case: Case, **kwargs: Any) -> None:
            try:
                super().validate_response(response, case, **kwargs)
            except Exception as failure:
                failures.append(f"{case.operation.label}: {failure}")
                raise

    # The server's state moves on from one scenario to the next (a tag made once is a 409
    # the second time), so Hypothesis's replay of a sequence may take another path, and it
    # calls the run flaky. As Schemathesis's own runner does, what counts is whether any
    # answer broke the contract: those are recorded as they happen.
    with contextlib.suppress(Flaky):
        Linked.run(
            settings=settings(
                max_examples=SCENARIOS,
                stateful_step_count=10,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
        )
    assert failures == []
