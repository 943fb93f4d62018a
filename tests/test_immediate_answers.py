"""Answers given at once by `akhbar serve`'s protocol (app.http.immediate), on the wire.

A cached read and a beacon for a known article are written by the protocol without an
ASGI task. From outside nothing may tell them from the app's own answers: the same status,
headers and body, in order on a connection, with its keep-alive rules, counted and
logged alike. Every test here talks HTTP/1.1 to a real server over a raw socket.
"""

import contextlib
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
import pytest

from tests.server import akhbar, running_server

# What differs between two answers by design: the moment and the request's id.
PER_REQUEST = {b"date", b"x-request-id"}


class Wire:
    """A raw connection: requests written as given, answers read whole, one by one."""

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.socket = socket.create_connection((host, int(port)), timeout=10)
        self.buffer = b""

    def __enter__(self) -> "Wire":
        return self

    def __exit__(self, *_: object) -> None:
        self.socket.close()

    def send(self, *requests: str) -> None:
        self.socket.sendall("".join(requests).encode())

    def answer(self, *, head_only: bool = False) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
        """The status line, headers (lowercase names, in order) and body of the next answer."""
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *lines = head.split(b"\r\n")
        headers = [(name.lower(), value) for name, value in (x.split(b": ", 1) for x in lines)]
        length = 0 if head_only else int(dict(headers).get(b"content-length", b"0"))
        while len(self.buffer) < length:
            self._read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def closed(self) -> bool:
        """Whether the server closed the connection (with nothing more to read)."""
        return self.buffer == b"" and self.socket.recv(1) == b""

    def _read(self) -> None:
        chunk = self.socket.recv(65536)
        assert chunk, "the server closed the connection"
        self.buffer += chunk


def get(path: str, *extra: str) -> str:
    return "".join([f"GET {path} HTTP/1.1\r\n", "Host: news.test\r\n", *extra, "\r\n"])


def stable(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in headers if name not in PER_REQUEST]


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('immediate') / 'news.db'}"
    akhbar("migrate", database_url=url)
    akhbar("demo", database_url=url)
    return url


@pytest.fixture(scope="module")
def server(demo_database: str) -> Iterator[str]:
    with running_server(demo_database) as base_url:
        yield base_url


@pytest.fixture
def connect() -> Iterator[Callable[[str], Wire]]:
    """Opens raw connections, closed after the test."""
    with contextlib.ExitStack() as opened:
        yield lambda base_url: opened.enter_context(Wire(base_url))


@pytest.fixture(scope="module")
def slugs(server: str) -> list[str]:
    listing = httpx.get(f"{server}/v1/articles", params={"limit": 5, "fields": "slug"}).json()
    return [item["slug"] for item in listing["data"]]


def test_a_hit_is_the_answer_the_app_made(server: str, connect: Callable[[str], Wire]) -> None:
    wire = connect(server)
    path = "/v1/articles?limit=3"
    wire.send(get(path), get(path), get(path, "X-Request-ID: quick-1\r\n"))
    made, kept, traced = wire.answer(), wire.answer(), wire.answer()
    wire.send(f"HEAD {path} HTTP/1.1\r\nHost: news.test\r\n\r\n")
    head = wire.answer(head_only=True)
    etag = dict(kept[1])[b"etag"].decode()
    wire.send(get(path, f"If-None-Match: {etag}\r\n"))
    unchanged = wire.answer()

    assert made[0] == kept[0] == traced[0] == b"HTTP/1.1 200 OK"
    assert stable(kept[1]) == stable(made[1])
    assert kept[2] == made[2]
    assert len(json.loads(kept[2])["data"]) == 3
    assert next(name for name, _ in kept[1]) == b"date"
    assert dict(traced[1])[b"x-request-id"] == b"quick-1"
    assert re.fullmatch(rb"[0-9a-f]{32}", dict(kept[1])[b"x-request-id"])
    assert dict(kept[1])[b"x-request-id"] != dict(made[1])[b"x-request-id"]
    assert head[0] == b"HTTP/1.1 200 OK"
    assert stable(head[1]) == stable(made[1])
    assert unchanged[0] == b"HTTP/1.1 304 Not Modified"
    assert unchanged[2] == b""
    assert stable(unchanged[1]) == [
        (name, value)
        for name, value in stable(made[1])
        if name not in (b"content-type", b"content-length")
    ]
    assert wire.buffer == b""


def test_answers_keep_the_order_of_the_requests(
    server: str, slugs: list[str], connect: Callable[[str], Wire]
) -> None:
    wire = connect(server)
    hit = "/v1/articles?limit=1&fields=id"
    wire.send(get(hit))
    wire.answer()
    # In one packet: reads the app makes (slow) between reads kept in memory (at once).
    wire.send(get(f"/v1/articles/{quote(slugs[1])}"), get(hit), get("/v1/ticker"), get(hit))
    answers = [json.loads(wire.answer()[2]) for _ in range(4)]

    assert answers[0]["slug"] == slugs[1]
    assert answers[1] == answers[3]
    assert list(answers[1]["data"][0]) == ["id"]
    assert "data" in answers[2]
    assert answers[2] != answers[1]


@pytest.mark.parametrize(
    "request_line",
    [
        get("/v1/articles?limit=2", "Connection: close\r\n"),
        "GET /v1/articles?limit=2 HTTP/1.0\r\n\r\n",
    ],
    ids=["connection-close", "http-1.0"],
)
def test_a_client_that_ends_the_connection_gets_it_ended(
    server: str, request_line: str, connect: Callable[[str], Wire]
) -> None:
    warm = connect(server)
    warm.send(get("/v1/articles?limit=2"))
    warm.answer()
    wire = connect(server)
    wire.send(request_line)
    status, headers, body = wire.answer()

    assert status.endswith(b"200 OK")
    assert json.loads(body)["data"]
    assert dict(headers)[b"connection"] == b"close"
    assert wire.closed()


def test_a_busy_connection_outlives_the_keep_alive_timeout(
    server: str, connect: Callable[[str], Wire]
) -> None:
    """Answers written at once must not leave keep-alive timers behind (uvicorn's: 5 s),
    which would close a connection in use."""
    wire = connect(server)
    path = "/v1/articles?limit=4"
    wire.send(get(path))
    wire.answer()
    wire.send(get(path), get(path), get(path))
    statuses = [wire.answer()[0] for _ in range(3)]
    for _ in range(6):
        time.sleep(1)
        wire.send(get(path))
        statuses.append(wire.answer()[0])

    assert statuses == [b"HTTP/1.1 200 OK"] * 9


def test_hits_are_counted_and_logged_as_any_answer(
    demo_database: str, tmp_path: Path, connect: Callable[[str], Wire]
) -> None:
    log_path = tmp_path / "server.log"
    path = "/v1/articles?limit=5"
    with running_server(demo_database, log_path=log_path) as base_url:
        wire = connect(base_url)
        wire.send(get(path))
        wire.answer()
        wire.send(*(get(path, f"X-Request-ID: quick-{n}\r\n") for n in range(3)))
        ids = [dict(wire.answer()[1])[b"x-request-id"] for _ in range(3)]
        metrics = httpx.get(f"{base_url}/metrics").text
    entries = [json.loads(line) for line in log_path.read_text().splitlines()]
    access = [e for e in entries if e.get("request_id", "").startswith("quick-")]

    assert ids == [b"quick-0", b"quick-1", b"quick-2"]
    assert re.search(
        r'^akhbar_http_requests_total\{method="GET",route="/v1/articles",status="200"\} 4\.0$',
        metrics,
        re.M,
    )
    assert re.search(r'^akhbar_response_cache_lookups_total\{result="hit"\} 3\.0$', metrics, re.M)
    assert [
        {k: e[k] for k in ("request_id", "method", "path", "query", "route", "status", "client")}
        for e in access
    ] == [
        {
            "request_id": f"quick-{n}",
            "method": "GET",
            "path": "/v1/articles",
            "query": "limit=5",
            "route": "/v1/articles",
            "status": 200,
            "client": "127.0.0.1",
        }
        for n in range(3)
    ]
    assert all(isinstance(e["duration_ms"], float) for e in access)


def test_a_beacon_for_a_known_article_is_the_routes_204(
    server: str, slugs: list[str], connect: Callable[[str], Wire]
) -> None:
    wire = connect(server)
    beacon = f"POST /v1/articles/{quote(slugs[2])}/views HTTP/1.1\r\nHost: news.test\r\n"
    wire.send(beacon + "Content-Length: 0\r\n\r\n", beacon + "Content-Length: 0\r\n\r\n")
    routed, known = wire.answer(), wire.answer()

    assert routed[0] == known[0] == b"HTTP/1.1 204 No Content"
    assert stable(known[1]) == stable(routed[1])
    assert routed[2] == known[2] == b""
