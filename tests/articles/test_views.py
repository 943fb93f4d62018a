"""Most read: view beacons counted once per reader per article per 30 minutes, bots and
bursts ignored, in Redis or in the database; the popular list and its windows."""

import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from app.articles.service import delete_article
from app.articles.views import (
    FLUSH_SECONDS,
    SCRIPT_VIEWS,
    SqliteViews,
    ViewCounter,
    create_view_counter,
)
from app.core.config import Settings
from app.core.db import unit_of_work
from app.main import create_app
from app.models import Article, ArticleViewSeen, ViewSalt
from app.wiring import session_for
from tests.conftest import REDIS_URL
from tests.factories import make_article, make_category, make_token
from tests.server import running_server
from tests.test_caching import heard

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Firefox/133.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"
PROXY = ("127.0.0.1", 50000)
STORES = [
    "database",
    pytest.param(
        "redis",
        marks=pytest.mark.skipif(
            not REDIS_URL, reason="AKHBAR_TEST_REDIS_URL is not set (CI sets it)"
        ),
    ),
]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def store_settings(settings: Settings, store: str, **changes: object) -> Settings:
    # Behind a proxy on 127.0.0.1: X-Forwarded-For names each reader.
    update: dict[str, object] = {"trusted_proxies": [ip_network("127.0.0.0/8")], **changes}
    if store == "redis":
        # A prefix of its own: counts of other tests stay apart.
        update |= {"redis_url": REDIS_URL, "redis_prefix": f"akhbar-test-{id(settings)}:"}
    return settings.model_copy(update=update)


@pytest.fixture
def counter(settings: Settings, store: str) -> Iterator[ViewCounter]:
    """The store's counter, outside any app: views counted and flushed by hand."""
    counter = create_view_counter(store_settings(settings, store))
    yield counter
    counter.close()


@pytest.fixture
def views_client(settings: Settings, store: str) -> Iterator[TestClient]:
    with TestClient(create_app(store_settings(settings, store)), client=PROXY) as client:
        yield client


@pytest.fixture
def articles(session: Session) -> list[Article]:
    make_category(session, "رياضة")
    make_category(session, "اقتصاد")
    return [
        make_article(session, "مباراة القمة", category="رياضة", hours=1),
        make_article(session, "أسعار النفط", category="اقتصاد", hours=2),
        make_article(session, "الدوري الممتاز", category="رياضة", hours=3),
    ]


def view(client: TestClient, ref: int | str, reader: str = "203.0.113.7", **headers: str) -> int:
    response = client.post(
        f"/v1/articles/{ref}/views",
        headers={"User-Agent": BROWSER, "X-Forwarded-For": reader, **headers},
    )
    return response.status_code


def seen_file(settings: Settings) -> Path:
    return Path(f"{settings.sqlalchemy_url.database}-views")


def popular(client: TestClient, **params: object) -> list[tuple[str, int]]:
    response = client.get("/v1/articles/popular", params=params)
    assert response.status_code == 200, response.text
    return [(item["title"], item["views"]) for item in response.json()["data"]]


def test_each_reader_counts_once_per_article_and_bots_not_at_all(
    views_client: TestClient, articles: list[Article]
) -> None:
    first, second, third = articles
    for reader in ("203.0.113.7", "203.0.113.8", "198.51.100.9"):
        for _ in range(3):  # reloads
            assert view(views_client, first.id, reader) == 204  # type: ignore[arg-type]
    assert view(views_client, second.id, "203.0.113.7") == 204  # type: ignore[arg-type]
    # Another browser behind the same address is another reader.
    assert view(views_client, second.id, "203.0.113.7", **{"User-Agent": PHONE}) == 204  # type: ignore[arg-type]
    for bot in ("Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.5.0", ""):
        assert view(views_client, third.id, "192.0.2.1", **{"User-Agent": bot}) == 204  # type: ignore[arg-type]

    assert popular(views_client) == [(first.title, 3), (second.title, 2)]
    assert popular(views_client, category="رياضة") == [(first.title, 3)]
    assert popular(views_client, limit=1) == [(first.title, 3)]
    response = views_client.get("/v1/articles/popular")
    assert response.headers["cache-control"] == (
        "public, max-age=60, s-maxage=60, stale-while-revalidate=30"
    )


def test_a_burst_from_one_address_counts_once(
    settings: Settings, store: str, articles: list[Article]
) -> None:
    app = create_app(store_settings(settings, store, views_rate_limit="100/minute"))
    with TestClient(app, client=PROXY) as client:
        statuses = [view(client, articles[0].id, "203.0.113.50") for _ in range(10_000)]  # type: ignore[arg-type]
        assert statuses.count(204) == 100
        assert statuses.count(429) == 9_900
        assert popular(client) == [(articles[0].title, 1)]


def test_drafts_unknown_and_deleted_articles_are_not_counted(
    views_client: TestClient, session: Session, articles: list[Article]
) -> None:
    draft = make_article(session, "مسودة", status="draft", published_at=None)
    assert view(views_client, draft.id) == 404  # type: ignore[arg-type]
    assert view(views_client, 999_999) == 404
    assert popular(views_client) == []


def test_nothing_about_a_reader_is_stored_but_a_keyed_digest(
    views_client: TestClient,
    settings: Settings,
    session: Session,
    store: str,
    articles: list[Article],
) -> None:
    assert view(views_client, articles[0].id, "203.0.113.77") == 204  # type: ignore[arg-type]
    if store == "database":
        # Held by the worker a moment, then recorded without anyone asking.
        time.sleep(FLUSH_SECONDS * 4)
        [salt] = session.exec(select(ViewSalt)).all()
        assert salt.day == datetime.now(UTC).date().isoformat()
        # The first 64 bits of HMAC-SHA256, under the day's key, of the reader and article.
        reader = f"203.0.113.77\n{BROWSER}\n{articles[0].id}".encode()
        keyed = hmac.digest(salt.salt.encode(), reader, "sha256")
        digest = int.from_bytes(keyed[:8], "big", signed=True)
        stored = session.exec(select(ArticleViewSeen.digest)).all()
        if settings.is_sqlite:
            # In the file beside the database that the workers share (app.articles.seen).
            held = seen_file(settings).read_bytes()
            assert stored == []
            assert held.count(digest.to_bytes(8, "little", signed=True)) == 1
            assert b"203.0.113.77" not in held
            assert BROWSER.encode() not in held
        else:
            assert stored == [digest]


def test_windows_move_by_the_hour(
    session: Session, articles: list[Article], counter: ViewCounter
) -> None:
    now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    first, second, _ = articles
    engine = session.get_bind()
    for hours_ago, article, readers in ((0, first, 2), (5, second, 3), (30, first, 4)):
        for reader in range(readers):
            moment = now - timedelta(hours=hours_ago)
            counter.count(article.id, f"r{reader}", moment)  # type: ignore[arg-type]
    # Held, then recorded in one write; a repeat within a batch counts once.
    counter.count(first.id, "r1", now)  # type: ignore[arg-type]
    assert counter.flush(engine) == 9  # type: ignore[arg-type]
    assert counter.flush(engine) == 0  # type: ignore[arg-type]
    counter.count(first.id, "r0", now + timedelta(minutes=29))  # type: ignore[arg-type]
    assert counter.flush(engine) == 0  # type: ignore[arg-type]
    ids = {first.id: "first", second.id: "second"}

    def top(window: str, at: datetime = now) -> list[tuple[str, int]]:
        return [(ids[a], n) for a, n in counter.top(session, window, at, limit=10)]

    assert top("1h") == [("first", 2)]
    assert top("24h") == [("second", 3), ("first", 2)]
    assert top("7d") == [("first", 6), ("second", 3)]
    # Two hours on, this hour's views have left the 1h window.
    assert top("1h", now + timedelta(hours=2)) == []
    # Half an hour after the first view, the same reader counts again.
    counter.count(first.id, "r0", now + timedelta(minutes=31))  # type: ignore[arg-type]
    # The popular list records what its worker holds first.
    assert top("1h", now + timedelta(minutes=31)) == [("first", 3)]


def test_a_flush_of_many_readers_counts_each_once(
    session: Session, articles: list[Article], counter: ViewCounter
) -> None:
    # More views than one run of the Redis script records (they go in several, in one
    # round trip), over several articles: each reader's first view counts, once.
    now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    readers = {article.id: n for article, n in zip(articles, (120, 80, 50), strict=True)}
    assert sum(readers.values()) > 2 * SCRIPT_VIEWS
    engine = session.get_bind()

    def every_reader(at: datetime) -> None:
        for article_id, n in readers.items():
            for reader in range(n):
                counter.count(article_id, f"r{reader}", at)  # type: ignore[arg-type]

    every_reader(now)
    every_reader(now)  # every one a repeat within the batch
    assert counter.flush(engine) == 250  # type: ignore[arg-type]
    every_reader(now + timedelta(minutes=5))
    assert counter.flush(engine) == 0  # type: ignore[arg-type]
    assert counter.top(session, "1h", now, limit=10) == sorted(
        readers.items(), key=lambda item: -item[1]
    )


def test_views_the_store_failed_to_record_are_recorded_by_the_next_flush(
    settings: Settings, session: Session, articles: list[Article], tmp_path: Path
) -> None:
    counter = create_view_counter(settings)
    first = articles[0]
    now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    for reader in range(3):
        counter.count(first.id, f"r{reader}", now)  # type: ignore[arg-type]
    # The store is away (a database that cannot be opened): nothing is recorded, or lost.
    away = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'views.db'}")
    with pytest.raises(SQLAlchemyError):
        counter.flush(away)
    # A database that fails half way, once the readers are known (here, with no table for
    # the counts): nothing is counted, and the readers are not held as seen either.
    broken = create_engine(f"sqlite:///{tmp_path / 'broken.db'}")
    ViewSalt.__table__.create(broken)  # type: ignore[attr-defined]
    with pytest.raises(SQLAlchemyError):
        counter.flush(broken)
    counter.count(first.id, "r3", now)  # type: ignore[arg-type]
    engine = session.get_bind()
    assert counter.flush(engine) == 4  # type: ignore[arg-type]
    assert counter.flush(engine) == 0  # type: ignore[arg-type]
    assert [views for _, views in counter.top(session, "1h", now, limit=10)] == [4]
    counter.close()


def test_views_of_an_article_purged_before_they_are_recorded_count_nothing(
    settings: Settings, session: Session, articles: list[Article]
) -> None:
    counter = create_view_counter(settings)
    first, second, _ = articles
    now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    for reader in range(3):
        counter.count(first.id, f"r{reader}", now)  # type: ignore[arg-type]
        counter.count(second.id, f"r{reader}", now)  # type: ignore[arg-type]
    counter.count(second.id, "r3", now - timedelta(hours=2))  # type: ignore[arg-type]
    session.delete(first)
    session.commit()
    # The views of the one still there are counted, each under its hour.
    assert counter.flush(session.get_bind()) == 4  # type: ignore[arg-type]
    assert counter.top(session, "1h", now, limit=10) == [(second.id, 3)]
    assert counter.top(session, "24h", now, limit=10) == [(second.id, 4)]
    counter.close()


def test_popular_is_a_path_of_its_own_not_a_slug(
    client: TestClient, session: Session, articles: list[Article]
) -> None:
    token = {"Authorization": f"Bearer {make_token(session)}"}
    made = client.post("/v1/articles", json={"title": "Popular"}, headers=token)
    assert made.json()["slug"] == "popular-2"
    taken = client.post("/v1/articles", json={"title": "خبر", "slug": "popular"}, headers=token)
    assert taken.status_code == 409
    options = client.options("/v1/articles/popular")
    assert options.status_code == 405
    assert options.headers["allow"] == "GET, HEAD"


def test_a_known_article_s_beacons_are_answered_as_the_route_answers(
    views_client: TestClient, session: Session, articles: list[Article]
) -> None:
    first, second, _ = articles
    answers = [
        views_client.post(
            f"/v1/articles/{first.id}/views",
            headers={"User-Agent": BROWSER, "X-Forwarded-For": f"203.0.113.{n}"},
        )
        for n in range(1, 5)
    ]
    # The first went through the route; the rest were answered before the framework.
    assert [answer.status_code for answer in answers] == [204] * 4
    assert len({answer.headers["x-request-id"] for answer in answers}) == 4
    shapes = [{k: v for k, v in a.headers.items() if k != "x-request-id"} for a in answers]
    assert shapes == [shapes[0]] * 4
    assert answers[0].content == answers[3].content == b""
    # Another article, or a query (which the route refuses), goes the long way.
    assert view(views_client, second.id, "203.0.113.1") == 204  # type: ignore[arg-type]
    assert views_client.post(f"/v1/articles/{first.id}/views?x=1").status_code == 422
    assert popular(views_client) == [(first.title, 4), (second.title, 1)]
    metrics = views_client.get("/metrics").text
    assert (
        'akhbar_http_requests_total{method="POST",route="/v1/articles/{ref}/views",status="204"}'
        " 5.0" in metrics
    )


def test_a_known_article_s_beacons_follow_its_changes_at_once(
    views_client: TestClient, session: Session, articles: list[Article]
) -> None:
    first = articles[0]
    token = {"Authorization": f"Bearer {make_token(session)}"}
    old_slug = first.slug
    readers = (f"203.0.113.{n}" for n in range(1, 100))
    # Known by id and by slug: the second beacon of each is answered before the framework.
    refs = [first.id, first.id, old_slug, old_slug]
    assert [view(views_client, ref, next(readers)) for ref in refs] == [204] * 4  # type: ignore[arg-type]
    # Deleted: the next beacons are the route's 404, by either ref, and count nothing.
    assert views_client.delete(f"/v1/articles/{first.id}", headers=token).status_code == 204
    assert view(views_client, first.id, next(readers)) == 404  # type: ignore[arg-type]
    assert view(views_client, old_slug, next(readers)) == 404
    undeleted = views_client.post(f"/v1/articles/{first.id}/undelete", headers=token)
    assert undeleted.status_code == 200
    assert view(views_client, first.id, next(readers)) == 204  # type: ignore[arg-type]
    # A new slug: the old one is now the route's redirect, to be sent again to the new one.
    renamed = views_client.patch(
        f"/v1/articles/{first.id}", json={"slug": "match-of-the-year"}, headers=token
    )
    assert renamed.status_code == 200
    moved = views_client.post(
        f"/v1/articles/{old_slug}/views",
        headers={"User-Agent": BROWSER, "X-Forwarded-For": next(readers)},
        follow_redirects=False,
    )
    assert (moved.status_code, moved.headers["location"]) == (
        308,
        "/v1/articles/match-of-the-year/views",
    )
    assert view(views_client, "match-of-the-year", next(readers)) == 204
    assert popular(views_client) == [(first.title, 6)]


@pytest.mark.parametrize("cached", [True, False], ids=["hearing changes", "cache off"])
def test_a_known_article_changed_outside_the_app_is_answered_as_the_route_answers(
    settings: Settings, store: str, articles: list[Article], cached: bool
) -> None:
    first = articles[0]
    off = {} if cached else {"response_cache_seconds": 0}
    app = create_app(store_settings(settings, store, **off))
    with TestClient(app, client=PROXY) as client:
        assert [view(client, first.id, f"203.0.113.{n}") for n in (1, 2)] == [204, 204]  # type: ignore[arg-type]
        with session_for(settings) as outside, unit_of_work(outside):
            delete_article(outside, first.id)  # type: ignore[arg-type]
        if cached:  # the worker hears of it (app.core.changes)
            heard(settings)
        # Without a response cache, the worker hears nothing: every beacon is the route's.
        assert view(client, first.id, "203.0.113.3") == 404  # type: ignore[arg-type]
        assert popular(client) == []


def sqlite_only(settings: Settings) -> None:
    if not settings.is_sqlite:
        pytest.skip("the shared file of readers seen is SQLite's (PostgreSQL keeps a table)")


def test_the_workers_on_one_sqlite_file_share_the_readers_they_have_seen(
    settings: Settings, session: Session, articles: list[Article]
) -> None:
    sqlite_only(settings)
    # Two workers: each maps the file beside the database on its own.
    one, two = create_view_counter(settings), create_view_counter(settings)
    first = articles[0]
    now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    engine = session.get_bind()
    one.count(first.id, "r1", now)  # type: ignore[arg-type]
    assert one.flush(engine) == 1  # type: ignore[arg-type]
    two.count(first.id, "r1", now + timedelta(minutes=1))  # type: ignore[arg-type]
    two.count(first.id, "r2", now + timedelta(minutes=1))  # type: ignore[arg-type]
    assert two.flush(engine) == 1  # type: ignore[arg-type]
    one.count(first.id, "r2", now + timedelta(minutes=2))  # type: ignore[arg-type]
    assert one.flush(engine) == 0  # type: ignore[arg-type]
    assert one.top(session, "1h", now, limit=10) == [(first.id, 2)]
    assert session.exec(select(ArticleViewSeen)).all() == []
    one.close()
    two.close()


def test_a_reader_seen_is_forgotten_two_windows_after(
    settings: Settings, session: Session, articles: list[Article]
) -> None:
    sqlite_only(settings)
    counter = create_view_counter(settings)
    first, second, _ = articles
    engine = session.get_bind()
    start = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)  # a window begins (UTC, 30 minutes)
    counter.count(first.id, "r1", start + timedelta(minutes=29))  # type: ignore[arg-type]
    assert counter.flush(engine) == 1  # type: ignore[arg-type]
    [salt] = session.exec(select(ViewSalt)).all()
    keyed = hmac.digest(salt.salt.encode(), f"r1\n{first.id}".encode(), "sha256")
    digest = keyed[:8][::-1]  # as the file keeps it: 64 bits, little-endian
    assert seen_file(settings).read_bytes().count(digest) == 1
    # In the next window, still there: seen until 30 minutes after the view.
    counter.count(first.id, "r1", start + timedelta(minutes=58))  # type: ignore[arg-type]
    assert counter.flush(engine) == 0  # type: ignore[arg-type]
    counter.count(second.id, "r2", start + timedelta(minutes=59))  # type: ignore[arg-type]
    assert counter.flush(engine) == 1  # type: ignore[arg-type]
    assert seen_file(settings).read_bytes().count(digest) == 1
    # Two windows after its own began, the first window's readers are gone from the file.
    counter.count(second.id, "r2", start + timedelta(minutes=60))  # type: ignore[arg-type]
    assert counter.flush(engine) == 0  # type: ignore[arg-type]
    assert seen_file(settings).read_bytes().count(digest) == 0
    counter.close()


def test_readers_a_full_file_cannot_hold_are_held_by_the_database(
    settings: Settings, session: Session, articles: list[Article]
) -> None:
    sqlite_only(settings)
    # 16 slots a table, of which 12 are used at most.
    counter = SqliteViews(seen_file(settings), slot_bits=4)
    first = articles[0]
    engine = session.get_bind()
    now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    for reader in range(20):
        counter.count(first.id, f"r{reader}", now)  # type: ignore[arg-type]
    assert counter.flush(engine) == 20  # type: ignore[arg-type]
    # The database decided for all (the file overflowed), and holds them all.
    assert len(session.exec(select(ArticleViewSeen)).all()) == 20
    for minutes in (1, 35):  # in this window, and in the next: the file overflowed
        for reader in range(20):
            counter.count(first.id, f"r{reader}", now + timedelta(minutes=minutes))  # type: ignore[arg-type]
        assert counter.flush(engine) == 20 * (minutes > 30)  # type: ignore[arg-type]
    assert counter.top(session, "1h", now + timedelta(minutes=35), limit=10) == [(first.id, 40)]
    counter.close()


def test_a_file_of_another_kind_where_the_readers_go_is_replaced(
    settings: Settings, session: Session, articles: list[Article]
) -> None:
    sqlite_only(settings)
    seen_file(settings).write_bytes(b"not a file of readers seen")
    counter = create_view_counter(settings)
    now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    counter.count(articles[0].id, "r1", now)  # type: ignore[arg-type]
    counter.count(articles[0].id, "r1", now)  # type: ignore[arg-type]
    assert counter.flush(session.get_bind()) == 1  # type: ignore[arg-type]
    assert seen_file(settings).read_bytes().startswith(b"AKHBSEEN")
    counter.close()


def test_a_reader_counts_once_whichever_worker_of_a_server_it_reaches(
    settings: Settings, articles: list[Article]
) -> None:
    env = {"AKHBAR_TRUSTED_PROXIES": "127.0.0.1/32"}
    with running_server(settings.database_url, workers=2, env=env) as base_url:
        for attempt in range(40):  # each on a new connection, accepted by either worker
            reader = "203.0.113.9" if attempt % 2 else f"198.51.100.{attempt}"
            answer = httpx.post(
                f"{base_url}/v1/articles/{articles[0].id}/views",
                headers={"User-Agent": BROWSER, "X-Forwarded-For": reader},
            )
            assert answer.status_code == 204
        time.sleep(FLUSH_SECONDS * 4)  # each worker records what it holds
        listed = httpx.get(f"{base_url}/v1/articles/popular").json()["data"]
    assert [(item["id"], item["views"]) for item in listed] == [(articles[0].id, 21)]
