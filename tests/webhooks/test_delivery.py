"""Delivery by the worker, to a real receiver on 127.0.0.1: signed as documented, retried
with back-off, given up after the last attempt, never sent twice at once by several
workers, and not lost when the server stops or is killed."""

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from standardwebhooks import Webhook

from app.core.config import Settings
from app.main import create_app
from app.models import DeliveryStatus, WebhookSubscription
from tests.factories import make_article
from tests.server import AKHBAR, clean_environment, free_port, server_process
from tests.webhooks.conftest import deliveries, outbox
from tests.webhooks.receiver import receiving

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
FAST = {
    "webhooks_allow_private_targets": True,
    "webhooks_retry_base_seconds": 0.2,
    "webhooks_poll_seconds": 0.05,
    "webhooks_timeout_seconds": 2.0,
}


def subscribe(session: Session, url: str, *events: str, is_active: bool = True) -> int:
    subscription = WebhookSubscription(
        url=url, events=list(events) or ["article.published"], secret=SECRET, is_active=is_active
    )
    session.add(subscription)
    session.commit()
    assert subscription.id is not None
    return subscription.id


@pytest.fixture
def working(settings: Settings) -> Iterator[TestClient]:
    """The app with its delivery worker running, retrying fast."""
    app = create_app(settings.model_copy(update={"webhooks_worker": True, **FAST}))
    with TestClient(app) as client:
        yield client


def settle(seconds: float = 0.8) -> None:
    """Give a worker time to send what it should not."""
    time.sleep(seconds)


def documented_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    """The recipe in the README, step by step."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_an_event_arrives_signed_as_documented(
    working: TestClient, session: Session, admin: dict
) -> None:
    with receiving() as receiver:
        subscribe(session, receiver.url)
        response = working.post(
            "/v1/articles",
            json={"title": "هطول أمطار غزيرة على العاصمة", "status": "published"},
            headers=admin,
        )
        [request] = receiver.wait_for(1)
        settle(0.3)

    assert response.status_code == 201
    [event] = outbox(session)
    assert (
        request.body == json.dumps(event.body, ensure_ascii=False, separators=(",", ":")).encode()
    )
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Akhbar-Webhooks/1.0"
    assert request.headers["webhook-id"] == event.body["id"]
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 10
    assert request.headers["webhook-signature"] == documented_signature(
        SECRET, request.headers, request.body
    )
    assert (
        Webhook(SECRET).verify(request.body, request.headers)["data"]["article"]["id"]
        == (response.json()["id"])
    )
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.succeeded,
        1,
        200,
    )
    assert len(receiver.received) == 1


def test_a_receiver_failing_twice_gets_the_event_three_times_then_no_more(
    working: TestClient, session: Session
) -> None:
    with receiving([500, 500]) as receiver:
        subscribe(session, receiver.url)
        make_article(session, "انقطاع الكهرباء عن أحياء المدينة")
        requests = receiver.wait_for(3)
        settle()

        assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert len({r.body for r in requests}) == 1
    for request in requests:
        Webhook(SECRET).verify(request.body, request.headers)
    # Exponential back-off: 0.2 s then 0.4 s, each ± 25 %.
    first_wait, second_wait = (b.at - a.at for a, b in itertools.pairwise(requests))
    assert first_wait >= 0.15
    assert second_wait >= 0.3
    [delivery] = deliveries(session)
    assert delivery.status is DeliveryStatus.succeeded
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (3, 200, None)
    assert delivery.delivered_at is not None


def test_a_retry_after_from_the_receiver_is_honoured(working: TestClient, session: Session) -> None:
    with receiving([503], retry_after="1") as receiver:
        subscribe(session, receiver.url)
        make_article(session, "خبر ينتظر الخادم")
        first, second = receiver.wait_for(2)

    # The back-off alone would have waited 0.2 s ± 25 %.
    assert 1.0 <= second.at - first.at < 2.0


def test_attempts_run_out_and_the_delivery_is_failed(settings: Settings, session: Session) -> None:
    app = create_app(
        settings.model_copy(update={"webhooks_worker": True, **FAST, "webhooks_max_attempts": 3})
    )
    with receiving([500] * 10) as receiver, TestClient(app):
        subscribe(session, receiver.url)
        make_article(session, "تأجيل المباراة بسبب الطقس")
        receiver.wait_for(3)
        settle(1.5)  # the next back-off would have been 0.8 s

        assert len(receiver.received) == 3
    [delivery] = deliveries(session)
    assert delivery.status is DeliveryStatus.failed
    assert (delivery.attempts, delivery.last_status_code) == (3, 500)
    assert delivery.last_error == "HTTP 500: عطل مؤقت"


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    settings: Settings, session: Session
) -> None:
    update = {"webhooks_worker": True, **FAST, "webhooks_timeout_seconds": 0.5}
    app = create_app(settings.model_copy(update=update | {"webhooks_max_attempts": 1}))
    with receiving(delay=3) as receiver, TestClient(app):
        subscribe(session, receiver.url)
        make_article(session, "خبر بطيء الوصول")
        receiver.wait_for(1)
        deadline = time.monotonic() + 5
        while deliveries(session)[0].status is DeliveryStatus.pending:
            assert time.monotonic() < deadline
            time.sleep(0.05)

    [delivery] = deliveries(session)
    assert delivery.status is DeliveryStatus.failed
    assert delivery.last_error == "no answer within 0.5 s"
    assert delivery.last_duration_ms is not None
    assert 450 <= delivery.last_duration_ms < 1500


def test_each_subscription_gets_what_it_asked_for_while_active(
    working: TestClient, session: Session, admin: dict
) -> None:
    with receiving() as ticker_hook, receiving() as paused_hook:
        subscribe(session, ticker_hook.url, "ticker.changed")
        subscribe(session, paused_hook.url, "article.published", is_active=False)
        make_article(session, "خبر لا يريده الشريط")
        working.post("/v1/ticker", json={"text": "عاجل | خبر للشريط"}, headers=admin)
        ticker_hook.wait_for(1)
        settle()

        assert ticker_hook.types() == ["ticker.changed"]
        assert paused_hook.received == []


def test_a_scheduled_article_is_announced_when_its_time_comes(
    working: TestClient, session: Session
) -> None:
    with receiving() as receiver:
        subscribe(session, receiver.url)
        publish_at = datetime.now(UTC) + timedelta(seconds=1.5)
        make_article(session, "خبر مجدول", published_at=publish_at)
        settle(1.0)
        assert receiver.received == []

        [request] = receiver.wait_for(1, timeout=5)

    assert request.at
    assert datetime.now(UTC) >= publish_at
    body = request.json
    assert body["type"] == "article.published"
    assert body["timestamp"] == publish_at.isoformat().replace("+00:00", "Z")


@pytest.fixture
def worker_processes(settings: Settings) -> Iterator[list[Path]]:
    """Two `akhbar worker` processes on the test's database; their log files."""
    env = clean_environment(
        AKHBAR_DATABASE_URL=settings.database_url,
        AKHBAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS="true",
        AKHBAR_WEBHOOKS_POLL_SECONDS="0.05",
    )
    with tempfile.TemporaryDirectory() as directory, contextlib.ExitStack() as files:
        logs = [Path(directory) / f"worker-{n}.log" for n in range(2)]
        processes = [
            subprocess.Popen(
                [AKHBAR, "worker"],
                env=env,
                stdout=files.enter_context(log.open("wb")),
                stderr=subprocess.STDOUT,
            )
            for log in logs
        ]
        try:
            wait_until(lambda: all("webhook worker started" in log.read_text() for log in logs), 30)
            yield logs
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                assert process.wait(timeout=15) == 0


def test_several_workers_deliver_each_event_once(
    settings: Settings, session: Session, worker_processes: list[Path]
) -> None:
    with receiving(delay=0.3) as receiver:  # slow enough that one worker cannot take all
        subscribe(session, receiver.url)
        for n in range(30):
            make_article(session, f"خبر رقم {n + 1}")
        receiver.wait_for(30, timeout=30)
        settle(1.5)

        ids = [request.headers["webhook-id"] for request in receiver.received]
    assert len(ids) == 30
    assert len(set(ids)) == 30
    assert {d.status for d in deliveries(session)} == {DeliveryStatus.succeeded}
    failed_attempts = [
        line
        for log in worker_processes
        for line in log.read_text().splitlines()
        if '"error":' in line and '"error":null' not in line
    ]
    assert {d.attempts for d in deliveries(session)} == {1}, failed_attempts
    attempts_by_worker = [
        sum('"message":"webhook delivery attempt"' in line for line in log.read_text().splitlines())
        for log in worker_processes
    ]
    assert sum(attempts_by_worker) == 30
    assert min(attempts_by_worker) > 0, attempts_by_worker


def wait_until(check: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


SERVER_ENV = {
    "AKHBAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
    "AKHBAR_WEBHOOKS_POLL_SECONDS": "0.05",
    "AKHBAR_WEBHOOKS_RETRY_BASE_SECONDS": "2",
    "AKHBAR_WEBHOOKS_TIMEOUT_SECONDS": "1",
}


def post_article(base_url: str, admin: dict, title: str) -> None:
    body = {"title": title, "status": "published"}
    assert httpx.post(f"{base_url}/v1/articles", json=body, headers=admin).status_code == 201


def test_events_left_undelivered_by_a_stopped_server_go_out_when_it_starts_again(
    settings: Settings, session: Session, admin: dict
) -> None:
    port = free_port()  # nothing listens there yet
    subscribe(session, f"http://127.0.0.1:{port}/hook")
    with server_process(settings.database_url, env=SERVER_ENV) as (base_url, _process):
        post_article(base_url, admin, "خبر قبل التوقف")
        wait_until(lambda: [d.attempts for d in deliveries(session)] == [1])
    # Stopped (SIGTERM) with the event undelivered: refused once, its retry still ahead.
    [delivery] = deliveries(session)
    assert delivery.status is DeliveryStatus.pending
    assert delivery.last_error is not None
    assert "ConnectionRefusedError" in delivery.last_error

    with receiving(port=port) as receiver, server_process(settings.database_url, env=SERVER_ENV):
        [request] = receiver.wait_for(1)
        settle(0.5)

    assert request.json["data"]["article"]["title"] == "خبر قبل التوقف"
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.succeeded, 2)


def test_an_attempt_cut_short_by_sigkill_is_made_again_after_a_restart(
    settings: Settings, session: Session, admin: dict
) -> None:
    with receiving(delay=30) as receiver:
        subscribe(session, receiver.url)
        with server_process(settings.database_url, env=SERVER_ENV) as (base_url, process):
            post_article(base_url, admin, "خبر قبل الانهيار")
            [first] = receiver.wait_for(1)
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        receiver.delay = 0
        # Its claim outlives the attempt's deadline (2 × 1 s + 5 s): then it is due again.
        with server_process(settings.database_url, env=SERVER_ENV):
            [_, second] = receiver.wait_for(2, timeout=20)
            settle(0.3)

    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert second.body == first.body
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.succeeded, 2)
