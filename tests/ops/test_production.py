"""The production path against real `akhbar serve` processes: several servers on one
database and Redis, metrics of all workers, JSON logs without secrets, graceful shutdown,
the body limit on the wire, and recovery when the database or Redis goes away."""

import json
import re
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import func
from sqlmodel import select as sql_select

from app.auth.scopes import Scope
from app.core.config import Settings
from app.main import create_app
from app.models import Comment
from app.wiring import session_for
from tests.factories import bearer, make_article, make_author, make_category, make_token
from tests.proxy import TcpRelay
from tests.server import (
    AKHBAR,
    akhbar,
    clean_environment,
    free_port,
    running_server,
    server_process,
)

COMMENT = {"author_name": "قارئة", "author_email": "reader.secret@example.org", "body": "تعليق"}


def wait_for(condition: Callable[[], bool], *, seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def comment_count(settings: Settings) -> int:
    with session_for(settings) as session:
        return session.exec(sql_select(func.count()).select_from(Comment)).one()


def test_two_servers_share_the_database_and_the_limits(
    settings: Settings, limiter_settings: dict
) -> None:
    """Written through one server, read through the other at once; one rate limit."""
    if limiter_settings["redis_url"] is None:
        pytest.skip("two servers share limits only through Redis")
    with session_for(settings) as session:
        make_category(session, name="محليات")
        make_author(session, name="هالة")
        token = bearer(make_token(session, Scope.articles_write))
        target = make_article(session, "خبر للتعليق").id
    env = {
        "AKHBAR_REDIS_URL": str(limiter_settings["redis_url"]),
        "AKHBAR_REDIS_PREFIX": str(limiter_settings["redis_prefix"]),
        "AKHBAR_COMMENTS_RATE_LIMIT": "3/minute",
        "AKHBAR_COMMENTS_FLOOD_SECONDS": "0",
    }
    with (
        running_server(settings.database_url, env=env) as one,
        running_server(settings.database_url, env=env) as other,
    ):
        created = httpx.post(
            f"{one}/v1/articles",
            json={
                "title": "افتتاح جسر المدينة",
                "body": "<p>نص.</p>",
                "status": "published",
                "category": "محليات",
                "authors": ["هالة"],
            },
            headers=token,
        )
        assert created.status_code == 201
        article = created.json()
        seen = httpx.get(f"{other}/v1/articles/{article['slug']}")
        assert seen.status_code == 200
        assert seen.json()["title"] == "افتتاح جسر المدينة"
        newest = httpx.get(f"{other}/v1/articles").json()["data"][0]
        assert newest["id"] == article["id"]

        edited = httpx.patch(
            f"{other}/v1/articles/{article['id']}",
            json={"title": "افتتاح جسر المدينة الجديد"},
            headers={**token, "If-Match": seen.headers["etag"]},
        )
        assert edited.status_code == 200
        assert httpx.get(f"{one}/v1/articles/{article['id']}").json()["title"] == (
            "افتتاح جسر المدينة الجديد"
        )

        assert httpx.delete(f"{one}/v1/articles/{article['id']}", headers=token).status_code == 204
        assert httpx.get(f"{other}/v1/articles/{article['id']}").status_code == 404

        answers = [
            httpx.post(
                f"{server}/v1/articles/{target}/comments", json={**COMMENT, "body": f"تعليق {n}"}
            ).status_code
            for n, server in enumerate((one, other, one, other, one))
        ]
    assert answers == [202, 202, 202, 429, 429]


def test_metrics_count_the_requests_of_every_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'akhbar.db'}"
    counted = re.compile(
        r'^akhbar_http_requests_total\{method="GET",route="/healthz",status="200"\} (\d+)\.0$',
        re.M,
    )

    def healthz_count(text: str) -> int:
        match = counted.search(text)
        assert match, text
        return int(match.group(1))

    with running_server(url, workers=2) as base_url:
        before = healthz_count(httpx.get(f"{base_url}/metrics").text)
        for _ in range(30):  # a new connection each time: the requests spread over both
            assert httpx.get(f"{base_url}/healthz").status_code == 200
        scrapes = [httpx.get(f"{base_url}/metrics").text for _ in range(6)]

    assert [healthz_count(text) - before for text in scrapes] == [30] * 6
    for text in scrapes:
        # Two workers, each with a pool of 5 connections on SQLite.
        assert re.search(r"^akhbar_db_pool_connections_max 10\.0$", text, re.M)


def test_logs_are_json_lines_with_request_ids_and_no_secrets(
    settings: Settings, tmp_path: Path
) -> None:
    with session_for(settings) as session:
        article_id = make_article(session, "خبر").id
        token = make_token(session, Scope.articles_write)
    log_path = tmp_path / "server.log"
    env = {"AKHBAR_COMMENTS_FLOOD_SECONDS": "0"}
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    with running_server(settings.database_url, env=env, log_path=log_path) as base_url:
        traced = httpx.get(f"{base_url}/v1/articles", headers={"X-Request-ID": "trace-42"})
        posted = httpx.post(f"{base_url}/v1/articles/{article_id}/comments", json=COMMENT)
        typo = httpx.post(
            f"{base_url}/v1/articles/{article_id}/comments",
            json={**COMMENT, "author_email": "reader.secret@example"},
        )
        httpx.post(f"{base_url}/v1/articles", json={"title": ""}, headers=bearer(token))
        httpx.get(f"{base_url}/v1/articles?status=draft", headers=bearer(forged))
        httpx.get(f"{base_url}/v1/search", params={"q": "reader.secret@example.org"})
        httpx.get(f"{base_url}/v1/articles/خبر-غير-موجود")
    log = log_path.read_text(encoding="utf-8")

    assert traced.headers["x-request-id"] == "trace-42"
    assert posted.status_code == 202
    assert typo.status_code == 422
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    access = [e for e in entries if e["logger"] == "akhbar.access"]
    assert len(access) >= 7
    first = next(e for e in access if e["request_id"] == "trace-42")
    assert first | {"time": "", "duration_ms": 0} == {
        "time": "",
        "level": "info",
        "logger": "akhbar.access",
        "message": "request",
        "request_id": "trace-42",
        "method": "GET",
        "path": "/v1/articles",
        "query": None,
        "route": "/v1/articles",
        "status": 200,
        "duration_ms": 0,
        "client": "127.0.0.1",
        "user_agent": first["user_agent"],
    }
    assert all(re.fullmatch(r"[0-9a-f]{32}|trace-42", e["request_id"]) for e in access)
    assert {e["status"] for e in access} >= {200, 202, 401, 404, 422}
    assert any(e["path"] == "/v1/articles/خبر-غير-موجود" for e in access)
    assert all(e["logger"] in {"akhbar.access", "uvicorn.error"} for e in entries)
    for secret in (token, forged, token[4:20], "reader.secret", "example.org"):
        assert secret not in log


def test_a_request_in_flight_finishes_after_sigterm(settings: Settings) -> None:
    with session_for(settings) as session:
        article_id = make_article(session, "خبر").id
    payload = json.dumps(COMMENT).encode()
    with server_process(settings.database_url) as (base_url, process):
        port = urlsplit(base_url).port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                f"POST /v1/articles/{article_id}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
                + payload[:10]
            )
            time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert process.poll() is None  # still finishing the request
            refused = False
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                refused = True
            sock.sendall(payload[10:])
            answer = sock.recv(65536).decode()
        # uvicorn ends by re-raising the signal it caught, after the graceful shutdown.
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)

    assert answer.startswith("HTTP/1.1 202 ")
    assert refused  # no new connections once shutting down
    assert comment_count(settings) == 1


def test_a_streamed_body_is_cut_off_on_the_wire(tmp_path: Path) -> None:
    """Chunked upload of up to 64 MB to a 64 KB limit: the 413 comes after about 64 KB,
    so the server never holds (or even receives) the rest."""
    url = f"sqlite:///{tmp_path / 'akhbar.db'}"
    with server_process(url, env={"AKHBAR_MAX_BODY_BYTES": "65536"}) as (base_url, _):
        port = urlsplit(base_url).port
        sent = 0
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"4000\r\n" + b"a" * 0x4000 + b"\r\n"
            try:
                while sent < 64 << 20 and not select.select([sock], [], [], 0.005)[0]:
                    sock.sendall(chunk)
                    sent += 0x4000
            except OSError:
                pass
            answer = sock.recv(65536).decode()

    assert answer.startswith("HTTP/1.1 413 ")
    assert "connection: close" in answer.lower()
    assert sent < 4 << 20


def test_readiness_follows_the_database_away_and_back(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("an embedded SQLite file cannot become unreachable over the network")
    url = make_url(settings.database_url)
    relay = TcpRelay(url.port or 5432)
    relay.start()
    through_relay = settings.model_copy(
        update={"database_url": url.set(port=relay.port).render_as_string(hide_password=False)}
    )
    with TestClient(create_app(through_relay)) as client:
        assert client.get("/readyz").status_code == 200

        relay.cut()
        down = client.get("/readyz")
        read = client.get("/v1/articles")
        relay.start()
        recovered = wait_for(lambda: client.get("/readyz").status_code == 200, seconds=10)
        after = client.get("/v1/articles")

    assert down.status_code == 503
    assert down.json()["detail"] == "the database is unreachable"
    assert read.status_code == 503
    assert read.headers["retry-after"] == "5"
    assert read.json()["detail"] == "the database is unavailable; try again shortly"
    assert recovered
    assert after.status_code == 200


def test_redis_away_stops_comment_posts_not_reads(settings: Settings) -> None:
    with session_for(settings) as session:
        article_id = make_article(session, "خبر").id
    nowhere = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(nowhere)) as client:
        ready = client.get("/readyz")
        posted = client.post(f"/v1/articles/{article_id}/comments", json=COMMENT)
        read = client.get(f"/v1/articles/{article_id}/comments")

    assert ready.status_code == 200
    assert ready.json()["rate_limits"] == "unreachable"
    assert read.status_code == 200
    assert posted.status_code == 503
    assert posted.json()["detail"] == "the rate-limit store (Redis) is unreachable"
    assert posted.headers["retry-after"] == "5"
    assert comment_count(settings) == 0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "AKHBAR_DATABSE_URL",
            "postgresql://db/akhbar",
            "akhbar: invalid configuration: AKHBAR_DATABSE_URL: unknown setting "
            "(did you mean AKHBAR_DATABASE_URL?)",
        ),
        (
            "AKHBAR_CORS_ORIGINS",
            '["https://akhbar.example/news"]',
            "akhbar: invalid configuration: AKHBAR_CORS_ORIGINS: Value error, not an origin "
            "(scheme://host[:port]): 'https://akhbar.example/news'",
        ),
        (
            "AKHBAR_MAX_BODY_BYTES",
            "lots",
            "akhbar: invalid configuration: AKHBAR_MAX_BODY_BYTES: Input should be a valid "
            "integer, unable to parse string as an integer",
        ),
        (
            "AKHBAR_LOG_LEVEL",
            "loud",
            "akhbar: invalid configuration: AKHBAR_LOG_LEVEL: Input should be 'debug', "
            "'info', 'warning' or 'error'",
        ),
    ],
)
def test_serve_refuses_a_bad_configuration_in_one_line(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = subprocess.run(
        [AKHBAR, "serve", "--port", str(free_port())],
        env=clean_environment(**{variable: value}),
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert result.stderr == message + "\n"


def test_a_burst_of_uncached_reads_never_stalls(tmp_path: Path) -> None:
    """60 simultaneous reads, more than the worker threads, with 2 database connections:
    were a thread to wait for a connection while the holders wait for a thread, the
    server would stall; every read is answered instead."""
    url = f"sqlite:///{tmp_path / 'akhbar.db'}"
    akhbar("migrate", database_url=url)
    akhbar("demo", database_url=url)
    env = {"AKHBAR_DATABASE_POOL_SIZE": "2", "AKHBAR_RESPONSE_CACHE_SECONDS": "0"}
    with running_server(url, env=env) as base_url:
        barrier = threading.Barrier(60)

        def read(n: int) -> int:
            barrier.wait(timeout=10)
            return httpx.get(f"{base_url}/v1/articles?limit={n % 20 + 1}", timeout=30).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=60) as pool:
            statuses = list(pool.map(read, range(60)))
        took = time.monotonic() - started

    assert statuses == [200] * 60
    assert took < 20
