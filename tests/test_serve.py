"""From a fresh database to answers over real HTTP: migrate, demo, serve, curl."""

import contextlib
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
import pytest

from app.demo.loader import demo_content
from tests.server import akhbar, running_server, server_errors


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'news.db'}"
    akhbar("migrate", database_url=url)
    akhbar("demo", database_url=url)
    with running_server(url) as base_url:
        yield base_url


class TestServedDemo:
    def test_lists_the_demo_articles_in_readable_arabic(self, demo_server: str) -> None:
        response = httpx.get(f"{demo_server}/v1/articles", params={"limit": 100})

        published = [a for a in demo_content()["articles"] if a["status"] == "published"]
        scheduled = [a for a in published if "publish_in_days" in a]
        assert response.status_code == 200
        assert len(response.json()["data"]) == len(published) - len(scheduled)
        assert "جولة مفاوضات جديدة في جنيف".encode() in response.content

    def test_article_by_arabic_slug_as_typed_and_percent_encoded(self, demo_server: str) -> None:
        slug = "جولة-مفاوضات-جديدة-في-جنيف"

        # As typed: the client percent-encodes the UTF-8 on the wire, as curl and browsers do.
        typed = httpx.get(f"{demo_server}/v1/articles/{slug}")
        encoded = httpx.get(f"{demo_server}/v1/articles/{quote(slug)}")
        lower_hex = httpx.get(f"{demo_server}/v1/articles/{quote(slug).lower()}")

        assert typed.status_code == encoded.status_code == lower_hex.status_code == 200
        assert typed.json() == encoded.json() == lower_hex.json()
        assert typed.json()["slug"] == slug

    def test_draft_and_scheduled_are_nowhere_in_public_answers(self, demo_server: str) -> None:
        hidden = [
            a
            for a in demo_content()["articles"]
            if a["status"] != "published" or "publish_in_days" in a
        ]
        listing = httpx.get(f"{demo_server}/v1/articles", params={"limit": 100}).content

        assert len(hidden) == 2
        for article in hidden:
            assert article["slug"].encode() not in listing
            assert article["title"].encode() not in listing
            single = httpx.get(f"{demo_server}/v1/articles/{quote(article['slug'])}")
            assert single.status_code == 404

    def test_ready(self, demo_server: str) -> None:
        assert httpx.get(f"{demo_server}/readyz").status_code == 200


def test_two_workers_serve_the_same_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'news.db'}"
    akhbar("migrate", database_url=url)
    akhbar("demo", database_url=url)

    with running_server(url, workers=2) as base_url:
        answers = [httpx.get(f"{base_url}/v1/categories").json() for _ in range(6)]

    assert all(answer == answers[0] for answer in answers)
    assert len(answers[0]["data"]) == len(demo_content()["categories"])


README = Path(__file__).parent.parent / "README.md"


def readme_curl_commands() -> list[str]:
    """The curl lines of the README's first-steps block, as a new user copies them."""
    text = README.read_text(encoding="utf-8")
    block = text.split("Then, in another terminal:", 1)[1].split("```sh\n", 1)[1]
    lines = block.split("```", 1)[0].splitlines()
    return [line.split("  #", 1)[0].strip() for line in lines if line.startswith("curl ")]


class TestReadmeCommands:
    @pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
    @pytest.mark.parametrize("command", readme_curl_commands())
    def test_runs_as_written(self, demo_server: str, command: str) -> None:
        command = command.replace("127.0.0.1:8000", demo_server.removeprefix("http://"))
        # -sS: quiet, but errors shown; -w: the status after the body.
        done = subprocess.run(
            ["bash", "-c", f"{command} -sS -w '\\n%{{http_code}}'"],
            capture_output=True,
            text=True,
            timeout=30,
        )

        assert done.returncode == 0, done.stderr
        answer, status = done.stdout.rsplit("\n", 1)
        assert status == "200", answer
        if not command.startswith("curl -I"):
            assert json.loads(answer)  # JSON, Arabic unescaped, not a problem
        else:
            assert answer.splitlines()[0] == "HTTP/1.1 200 OK"
            assert "etag: " in answer.lower()

    def test_there_are_commands_to_try(self) -> None:
        assert len(readme_curl_commands()) >= 5


def exchange(base_url: str, *parts: bytes, pause: float = 0) -> tuple[bytes, dict]:
    """Send ``parts`` on a raw connection (pausing ``pause`` s before the last one), read
    until the server closes it; the status line and the problem it answered."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        try:
            for n, part in enumerate(parts):
                if pause and n == len(parts) - 1:
                    time.sleep(pause)
                connection.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before we finished sending: the answer is waiting
        raw = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := connection.recv(65536):
                raw += chunk
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"content-type: application/problem+json" in head.lower()
    assert b"connection: close" in head.lower()
    return head.splitlines()[0], json.loads(body)


class TestRefusedBeforeTheApp:
    def test_raw_non_ascii_in_the_request_line_is_a_problem(self, demo_server: str) -> None:
        status, problem = exchange(
            demo_server, "GET /v1/articles?category=اقتصاد HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )

        assert status == b"HTTP/1.1 400 Bad Request"
        assert problem == {
            "type": "/problems/bad-request",
            "title": "Bad Request",
            "status": 400,
            "detail": "this is not a valid HTTP request: a URL must be ASCII, with any other "
            "character percent-encoded (curl: -G --data-urlencode 'q=…'; browsers and HTTP "
            "libraries do it)",
        }


def test_a_served_test_fails_on_the_errors_its_server_logged() -> None:
    log = "\n".join(
        [
            '{"level":"info","logger":"akhbar.access","message":"request","status":200}',
            '{"level":"warning","logger":"akhbar.errors","message":"database unavailable"}',
            '{"level":"error","logger":"akhbar.errors","message":"unhandled error"}',
            '{"level":"error","logger":"uvicorn.error","message":"Exception in ASGI application"}',
            '{"level":"error","logger":"akhbar.webhooks","message":"a receiver is down"}',
            "Traceback (most recent call last):",
        ]
    )

    assert server_errors(log) == log.splitlines()[2:4] + log.splitlines()[5:]

    def test_an_oversized_header_section_is_a_431_before_it_is_all_read(
        self, demo_server: str
    ) -> None:
        started = time.monotonic()
        status, problem = exchange(
            demo_server,
            b"GET /v1/articles HTTP/1.1\r\nHost: x\r\nX-Padding: ",
            *[b"a" * 65536] * 64,  # 4 MiB of one header line
            b"\r\n\r\n",
        )

        assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
        assert problem["detail"] == (
            "the request's header section is larger than the 65536 bytes accepted here"
        )
        assert time.monotonic() - started < 5

    def test_a_large_body_is_not_a_large_head(self, demo_server: str) -> None:
        body = b"{" + b" " * (1 << 20) + b"}"
        response = httpx.post(
            f"{demo_server}/v1/articles",
            content=body,
            headers={"Authorization": "Bearer akh_nonsense", "Content-Type": "application/json"},
        )

        assert response.status_code == 401


def test_a_head_that_never_ends_is_a_408(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'news.db'}"
    akhbar("migrate", database_url=url)
    env = {"AKHBAR_HTTP_HEAD_TIMEOUT_SECONDS": "1"}
    with running_server(url, env=env) as base_url:
        started = time.monotonic()
        # A header byte now and then, never the end of the head (slowloris).
        status, problem = exchange(
            base_url, b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n", b"X-A: b", pause=0.5
        )
        waited = time.monotonic() - started
        # The server still answers everyone else.
        assert httpx.get(f"{base_url}/healthz").status_code == 200

    assert status == b"HTTP/1.1 408 Request Timeout"
    assert problem["detail"] == "the request's head did not arrive within 1 s"
    assert 0.9 < waited < 5
