"""What a search may cost: a rate limit per client, a time limit in the database, and a
number of searches each server runs at once."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from ipaddress import ip_network

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import QueryTimedOut, time_limit
from app.main import create_app
from tests.factories import make_article
from tests.test_caching import heard

# A statement that counts to a billion: far longer than any limit below.
ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)"
    " SELECT count(*) FROM n"
)


@pytest.fixture
def limited(settings: Settings, limiter_settings: dict) -> Iterator[TestClient]:
    app = create_app(
        settings.model_copy(update={"search_rate_limit": "3/minute", **limiter_settings})
    )
    with TestClient(app) as client:
        yield client


class TestRateLimit:
    def test_a_client_over_its_searches_is_429_with_retry_after(
        self, limited: TestClient, session: Session
    ) -> None:
        make_article(session, "خبر عن المطر", body="<p>مطر غزير</p>")

        answers = [limited.get("/v1/search", params={"q": q}) for q in ("مطر", "غزير", "خبر", "عن")]

        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["detail"] == "at most 3 searches per 60 s"
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert (refused.headers["ratelimit-limit"], refused.headers["ratelimit-remaining"]) == (
            "3",
            "0",
        )

    def test_an_answer_from_the_cache_costs_nothing_and_is_not_counted(
        self, limited: TestClient, session: Session, settings: Settings
    ) -> None:
        make_article(session, "خبر عن المطر", body="<p>مطر غزير</p>")
        # Written from outside the app: once the app has heard of it, the first answer
        # stays cached (heard later, the write would end it, and a repeat would count).
        heard(settings)

        first = limited.get("/v1/search", params={"q": "مطر"})
        repeats = [limited.get("/v1/search", params={"q": "مطر"}) for _ in range(5)]
        others = [limited.get("/v1/search", params={"q": q}) for q in ("غزير", "خبر", "عن")]

        assert first.status_code == 200
        assert [r.status_code for r in repeats] == [200] * 5
        assert [r.json() for r in repeats] == [first.json()] * 5
        assert [o.status_code for o in others] == [200, 200, 429]

    def test_after_a_burst_searches_are_paced_not_let_in_again_all_at_once(
        self, settings: Settings, limiter_settings: dict, session: Session
    ) -> None:
        """2 a second: two at once, then one every half second (GCRA), so clients that
        started together do not come back together when a window would turn."""
        make_article(session, "خبر عن المطر", body="<p>مطر غزير</p>")
        update = {"search_rate_limit": "2/second", **limiter_settings}
        with TestClient(create_app(settings.model_copy(update=update))) as client:
            started = time.monotonic()
            burst = [client.get("/v1/search", params={"q": q}).status_code for q in "أبت"]
            assert time.monotonic() - started < 0.5  # else the test proves nothing
            time.sleep(0.6)
            paced = client.get("/v1/search", params={"q": "ث"})
            again = client.get("/v1/search", params={"q": "ج"})

        assert burst == [200, 200, 429]
        assert paced.status_code == 200
        assert again.status_code == 429
        assert again.headers["retry-after"] == "1"

    def test_a_refusal_is_held_back_so_a_flood_costs_one_a_second(
        self, settings: Settings, limiter_settings: dict, session: Session
    ) -> None:
        update = {
            "search_rate_limit": "1/minute",
            "search_refusal_delay_ms": 300,
            **limiter_settings,
        }
        with TestClient(create_app(settings.model_copy(update=update))) as client:
            first = client.get("/v1/search", params={"q": "أ"})
            started = time.monotonic()
            refused = client.get("/v1/search", params={"q": "ب"})
            held = time.monotonic() - started

        assert (first.status_code, refused.status_code) == (200, 429)
        assert held >= 0.3

    def test_a_refusal_held_back_holds_back_no_one_else_asking_the_same(
        self, settings: Settings, limiter_settings: dict, session: Session
    ) -> None:
        """The refused search was the one making the answer others asking the same query
        would share (the response cache): they make their own, rather than wait for it."""
        make_article(session, "خبر عن المطر", body="<p>مطر غزير</p>")
        update = {
            "search_rate_limit": "1/minute",
            "search_refusal_delay_ms": 1000,
            "trusted_proxies": [ip_network("127.0.0.1/32")],
            **limiter_settings,
        }
        app = create_app(settings.model_copy(update=update))
        first, second = {"X-Forwarded-For": "198.51.100.1"}, {"X-Forwarded-For": "198.51.100.2"}
        with TestClient(app, client=("127.0.0.1", 50000)) as client:
            assert client.get("/v1/search", params={"q": "غزير"}, headers=first).status_code == 200
            refused = Search(client, "مطر", headers=first)
            time.sleep(0.3)  # its refusal is being held back
            started = time.monotonic()
            other = client.get("/v1/search", params={"q": "مطر"}, headers=second)
            waited = time.monotonic() - started
            held = refused.answer()

        assert (held.status_code, other.status_code) == (429, 200)
        assert [hit["title"] for hit in other.json()["data"]] == ["خبر عن المطر"]
        assert waited < 0.5

    def test_arabic_readers_read_the_refusal_in_arabic(
        self, limited: TestClient, session: Session
    ) -> None:
        for q in ("أ", "ب", "ت"):
            limited.get("/v1/search", params={"q": q})

        refused = limited.get("/v1/search", params={"q": "ث"}, headers={"Accept-Language": "ar"})

        assert refused.status_code == 429
        assert refused.json()["detail"] == "لا يُقبل أكثر من 3 عمليات بحث كل 60 ثانية"


class TestTimeLimit:
    def test_a_statement_past_the_limit_is_stopped(self, engine: Engine) -> None:
        with Session(engine) as session:
            started = time.monotonic()
            with pytest.raises(QueryTimedOut), time_limit(session, 50):
                session.execute(text(ENDLESS))
            stopped_after = time.monotonic() - started
            session.rollback()
            # The session goes on, without the limit.
            assert session.execute(text("SELECT 1")).scalar_one() == 1

        assert stopped_after < 5

    def test_statements_within_the_limit_run_and_the_limit_ends_with_the_block(
        self, engine: Engine
    ) -> None:
        with Session(engine) as session:
            with time_limit(session, 2000):
                assert session.execute(text("SELECT 41 + 1")).scalar_one() == 42
            started = time.monotonic()
            # A statement after the block runs to its end, however long it is.
            short = ENDLESS.replace("1000000000", "300000")
            assert session.execute(text(short)).scalar_one() == 300000
            assert time.monotonic() - started < 30

    def test_a_search_the_database_cannot_finish_in_time_is_503(
        self, settings: Settings, engine: Engine, session: Session
    ) -> None:
        """Deterministically slow: another transaction holds the search index locked, so
        the search waits until its time limit stops it."""
        make_article(session, "خبر عن المطر", body="<p>مطر غزير</p>")
        app = create_app(settings.model_copy(update={"search_timeout_ms": 200}))
        with index_locked(settings, engine) as release, TestClient(app) as client:
            started = time.monotonic()
            response = client.get("/v1/search", params={"q": "مطر"})
            waited = time.monotonic() - started
            ar = client.get("/v1/search", params={"q": "غزير"}, headers={"Accept-Language": "ar"})
            release()
            after = client.get("/v1/search", params={"q": "مطر"})

        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.json()["detail"] == (
            "the search ran past its time limit (200 ms) and was stopped; "
            "try again, with rarer words or a filter"
        )
        assert ar.json()["detail"].startswith("استغرق البحث أطول مما يُسمح به")
        assert waited < 5
        assert after.status_code == 200
        assert [hit["title"] for hit in after.json()["data"]] == ["خبر عن المطر"]


class TestConcurrency:
    """A server runs `search_concurrency` searches at once; one more waits for a turn up
    to `search_queue_ms`, then is a 503. Searches are held deterministically by a lock on
    the search index, as above."""

    def _app(self, settings: Settings, *, queue_ms: int) -> FastAPI:
        update = {"search_concurrency": 1, "search_queue_ms": queue_ms, "search_timeout_ms": 5000}
        return create_app(settings.model_copy(update=update))

    def test_a_search_with_no_turn_in_time_is_503_and_the_running_one_finishes(
        self, settings: Settings, engine: Engine, session: Session
    ) -> None:
        make_article(session, "خبر عن المطر", body="<p>مطر غزير</p>")
        app = self._app(settings, queue_ms=100)
        with index_locked(settings, engine) as release, TestClient(app) as client:
            running = Search(client, "مطر")
            time.sleep(0.3)  # it has its turn, and waits on the lock
            started = time.monotonic()
            busy = client.get("/v1/search", params={"q": "غزير"})
            waited = time.monotonic() - started
            ar = client.get("/v1/search", params={"q": "خبر"}, headers={"Accept-Language": "ar"})
            release()
            first = running.answer()
            after = client.get("/v1/search", params={"q": "غزير"})

        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.json()["detail"] == (
            "too many searches are running on this server; try again in a second"
        )
        assert ar.json()["detail"] == (
            "عمليات بحث كثيرة تجري الآن على هذا الخادم: أعد المحاولة بعد ثانية"
        )
        assert 0.1 <= waited < 3
        assert first.status_code == 200
        assert [hit["title"] for hit in first.json()["data"]] == ["خبر عن المطر"]
        assert after.status_code == 200

    def test_a_search_that_gets_its_turn_in_time_runs(
        self, settings: Settings, engine: Engine, session: Session
    ) -> None:
        make_article(session, "خبر عن المطر", body="<p>مطر غزير</p>")
        app = self._app(settings, queue_ms=5000)
        with index_locked(settings, engine) as release, TestClient(app) as client:
            running = Search(client, "مطر")
            time.sleep(0.3)
            waiting = Search(client, "غزير")
            time.sleep(0.3)
            release()
            answers = [running.answer(), waiting.answer()]

        assert [a.status_code for a in answers] == [200, 200]
        assert [[hit["title"] for hit in a.json()["data"]] for a in answers] == [
            ["خبر عن المطر"],
            ["خبر عن المطر"],
        ]


class Search:
    """A search sent from a thread of its own; `answer()` waits for it."""

    def __init__(self, client: TestClient, q: str, headers: dict[str, str] | None = None) -> None:
        self._answer: list[Response] = []
        self._thread = threading.Thread(
            target=lambda: self._answer.append(
                client.get("/v1/search", params={"q": q}, headers=headers)
            )
        )
        self._thread.start()

    def answer(self) -> Response:
        self._thread.join(10)
        return self._answer[0]


@contextmanager
def index_locked(settings: Settings, engine: Engine) -> Iterator[Callable[[], None]]:
    """Another transaction holds the search index locked until the function given is
    called (or the block ends): searches wait. PostgreSQL only: SQLite readers never wait
    for a writer (WAL)."""
    if settings.is_sqlite:
        pytest.skip("SQLite readers never wait for a writer (WAL); PostgreSQL runs this")
    locked, released = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE article_search IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            released.wait(10)
            connection.rollback()

    holder = threading.Thread(target=hold_lock)
    holder.start()

    def release() -> None:
        released.set()
        holder.join()

    try:
        assert locked.wait(10)
        yield release
    finally:
        release()
