"""`akhbar import wordpress --url`, against a stand-in for WordPress's REST API on
127.0.0.1 that misbehaves on purpose: pages, retries, an interruption and its resumption,
an application password. (The real WordPress: test_wordpress_live.py.)"""

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.config import Settings
from app.models import ImportSource
from tests.factories import bearer, make_token
from tests.server import akhbar

PAGE = 2  # this WordPress pages by 2, whatever per_page says
CREDENTIALS = "Basic " + base64.b64encode(b"editor:abcd efgh ijkl mnop").decode()


def post(n: int, status: str = "publish") -> dict[str, Any]:
    return {
        "id": n,
        "status": status,
        "date_gmt": f"2025-04-0{n}T08:00:00",
        "modified_gmt": f"2025-04-0{n}T09:00:00",
        "slug": f"news-{n}",
        "title": {"rendered": f"الخبر رقم {n}", "raw": f"الخبر رقم {n}"},
        "content": {"rendered": f"<p>نص {n}</p>", "raw": f"نص {n}\n\n[caption]صورة[/caption]"},
        "excerpt": {"rendered": f"<p>نص {n}</p>", "raw": ""},
        "author": 1,
        "featured_media": 0,
        "comment_status": "open",
        "sticky": False,
        "categories": [3],
        "tags": [],
    }


class FakeWordPress:
    def __init__(self) -> None:
        self.posts = [post(n) for n in range(1, 6)]
        self.draft = post(6, "draft")
        self.comments = [
            {"id": 40, "post": 1, "parent": 0, "author_name": "قارئ", "status": "approved",
             "date_gmt": "2025-04-01T10:00:00", "content": {"rendered": "<p>رأي</p>"}},
            {"id": 41, "post": 1, "parent": 0, "author_name": "قارئة", "status": "hold",
             "author_email": "held@readers.example", "date_gmt": "2025-04-01T11:00:00",
             "content": {"rendered": "<p>ينتظر</p>", "raw": "ينتظر"}},
        ]  # fmt: skip
        self.fail: dict[str, list[int]] = {}  # path → statuses to answer first
        self.broken_pages: set[int] = set()
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with fake.lock:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    time.sleep(0.02)
                    fake.answer(self)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = parts.path.removeprefix("/wp-json/wp/v2")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        authorised = handler.headers.get("Authorization") == CREDENTIALS
        with self.lock:
            self.requests.append((path, query, dict(handler.headers.items())))
            failing = self.fail.get(path)
            status = failing.pop(0) if failing else 200
        if status != 200:
            return self.send(handler, status, {"code": "busy"}, {"Retry-After": "0"})
        if path == "/categories":
            return self.send(handler, 200, [{"id": 3, "slug": "local", "name": "محليات"}])
        if path in ("/tags", "/users"):
            items = [{"id": 1, "name": "غرفة الأخبار", "slug": "desk-login"}] * (path == "/users")
            return self.send(handler, 200, items)
        if path == "/comments":
            wanted = {"approve": "approved"}.get(query.get("status", ""), query.get("status"))
            found = [
                c
                for c in self.comments
                if c["post"] == int(query["post"]) and c["status"] == wanted
            ]
            return self.send(handler, 200, found if authorised or wanted == "approved" else [])
        if path == "/posts":
            posts = self.posts + ([self.draft] if authorised and "context" in query else [])
            after = query.get("modified_after")
            posts = [p for p in posts if not after or p["modified_gmt"] > after[:19]]
            posts.sort(key=lambda p: p["modified_gmt"])
            page = int(query.get("page", 1))
            if page in self.broken_pages:
                return self.send(handler, 500, {"code": "internal_server_error"})
            size = 1 if query.get("per_page") == "1" else PAGE
            total_pages = max(1, -(-len(posts) // size))
            chunk = posts[(page - 1) * size : page * size]
            headers = {"X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(total_pages)}
            return self.send(handler, 200, chunk, headers)
        return self.send(handler, 404, {"code": "rest_no_route"})

    @staticmethod
    def send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def post_queries(self) -> list[dict[str, str]]:
        return [q for path, q, _h in self.requests if path == "/posts" and q.get("per_page") != "1"]


@contextmanager
def fake_wordpress() -> Iterator[FakeWordPress]:
    fake = FakeWordPress()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def import_from(settings: Settings, url: str, *options: str) -> Any:
    return akhbar(
        "import", "wordpress", "--url", url, *options,
        database_url=settings.database_url, check=False,
    )  # fmt: skip


def posts_line(report: str) -> str:
    return next(line for line in report.splitlines() if line.startswith("posts"))


def test_pages_come_in_modified_order_with_retries_and_bounded_concurrency(
    settings: Settings, client: TestClient
) -> None:
    with fake_wordpress() as wordpress:
        wordpress.fail["/posts"] = [503]
        result = import_from(settings, wordpress.url, "--concurrency", "2")

    assert result.returncode == 0, result.stderr
    assert posts_line(result.stdout) == "posts              5        0          0        0       0"
    counted = [q for path, q, _h in wordpress.requests if q.get("per_page") == "1"]
    assert len(counted) == 2  # a 503, then the count
    assert [q.get("page") for q in wordpress.post_queries()] == ["1", "2", "3"]
    assert all(q["orderby"] == "modified" and q["order"] == "asc" for q in wordpress.post_queries())
    assert wordpress.most_in_flight <= 2
    assert {h["User-Agent"] for _p, _q, h in wordpress.requests} == {"Akhbar-Importer/1.0"}
    listed = client.get("/v1/articles").json()["data"]
    assert [a["slug"] for a in listed] == [f"news-{n}" for n in (5, 4, 3, 2, 1)]
    assert listed[-1]["comment_count"] == 1
    assert listed[-1]["category"]["name"] == "محليات"
    assert [a["slug"] for a in listed[-1]["authors"]] == ["غرفة-الأخبار"]  # not the login


def test_an_interrupted_import_resumes_from_its_checkpoint(
    settings: Settings, client: TestClient, session: Session
) -> None:
    with fake_wordpress() as wordpress:
        wordpress.broken_pages = {2}
        broken = import_from(settings, wordpress.url, "--retries", "1")

        assert broken.returncode == 2
        assert broken.stderr.splitlines()[-1] == (
            f"akhbar: GET {wordpress.url}/wp-json/wp/v2/posts?per_page=100&page=2"
            "&orderby=modified&order=asc: HTTP 500 Internal Server Error"
        )
        assert [a["slug"] for a in client.get("/v1/articles").json()["data"]] == [
            "news-2",
            "news-1",
        ]
        source = session.exec(select(ImportSource)).one()
        assert source.checkpoint == "2025-04-02T09:00:00"

        wordpress.broken_pages = set()
        wordpress.requests.clear()
        resumed = import_from(settings, wordpress.url)

    assert resumed.returncode == 0, resumed.stderr
    # The last post of the checkpoint's second comes again, and is seen to be unchanged.
    assert posts_line(resumed.stdout) == "posts              3        0          1        0       0"
    assert {q["modified_after"] for q in wordpress.post_queries()} == {"2025-04-02T08:59:59+00:00"}
    assert len(client.get("/v1/articles").json()["data"]) == 5
    session.expire_all()
    assert session.exec(select(ImportSource)).one().checkpoint == "2025-04-05T09:00:00"


def test_an_application_password_brings_drafts_raw_content_and_held_comments(
    settings: Settings, client: TestClient, session: Session
) -> None:
    with fake_wordpress() as wordpress:
        result = import_from(
            settings, wordpress.url, "--user", "editor", "--app-password", "abcd efgh ijkl mnop"
        )

    assert result.returncode == 0, result.stderr
    assert posts_line(result.stdout) == "posts              6        0          0        0       0"
    token = bearer(make_token(session))
    drafts = client.get("/v1/articles?status=draft", headers=token).json()["data"]
    assert [a["slug"] for a in drafts] == ["news-6"]
    first = client.get("/v1/articles/news-1").json()
    # The raw content: WordPress's paragraphs and shortcode made here, not its rendering.
    assert first["body"] == "<p>نص 1</p>\n<figure><figcaption>صورة</figcaption></figure>"
    held = client.get("/v1/comments?status=pending", headers=token).json()["data"]
    assert [(c["body"], c["author_email"]) for c in held] == [("ينتظر", "held@readers.example")]
    assert all(h.get("Authorization") == CREDENTIALS for _p, _q, h in wordpress.requests)
