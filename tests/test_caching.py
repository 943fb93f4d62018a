"""HTTP caching of public reads and the response cache, in process."""

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, col

from app.auth.scopes import Scope
from app.core.changes import LOOK_EVERY
from app.core.config import CachePolicy, Settings
from app.core.db import unit_of_work
from app.main import create_app
from app.models import Article, Category
from app.taxonomy.schemas import TermUpdate
from app.taxonomy.service import update_term
from app.wiring import session_for
from tests.factories import (
    bearer,
    make_article,
    make_author,
    make_category,
    make_headline,
    make_tag,
    make_token,
)
from tests.server import running_server

ARTICLE = "public, max-age=60, s-maxage=300, stale-while-revalidate=60"
LIST = "public, max-age=30, s-maxage=60, stale-while-revalidate=30"
COMMENTS = LIST
TICKER = "public, max-age=10, s-maxage=10, stale-while-revalidate=10"
TAXONOMY = "public, max-age=300, s-maxage=3600, stale-while-revalidate=300"


@pytest.fixture
def article_id(session: Session) -> int:
    make_category(session, "ثقافة")
    make_tag(session, "كتب")
    make_author(session, "ليلى")
    article = make_article(
        session, "افتتاح المكتبة", category="ثقافة", tags=["كتب"], authors=["ليلى"]
    )
    make_headline(session, "عاجل | افتتاح المكتبة")
    assert article.id is not None
    return article.id


def heard(settings: Settings) -> None:
    """Wait as long as a write made elsewhere may take to reach a worker: 10 ms on SQLite
    (app.core.changes.LOOK_EVERY), within 100 ms on PostgreSQL (NOTIFY, heard by a
    listener)."""
    time.sleep(LOOK_EVERY if settings.is_sqlite else 0.1)


COMMENT = {"author_name": "قارئ", "author_email": "q@example.org", "body": "تعليق مفيد"}


def answered_as(client: TestClient, path: str) -> str:
    """How the response cache answered a read of ``path`` now: hit, miss or bypass."""
    before = lookups(client)
    client.get(path)
    after = lookups(client)
    (result,) = [name for name, count in after.items() if count != before.get(name, 0)]
    return result


def served_from_cache(client: TestClient, path: str) -> bool:
    return answered_as(client, path) == "hit"


def lookups(client: TestClient) -> dict[str, int]:
    text = client.get("/metrics").text
    found = re.findall(r'^akhbar_response_cache_lookups_total\{result="(\w+)"\} (\d+)', text, re.M)
    return {result: int(count) for result, count in found}


class TestHeaders:
    @pytest.mark.parametrize(
        ("path", "policy", "keys"),
        [
            ("/v1/articles", LIST, "articles article-1 category-1 tag-1 author-1"),
            ("/v1/articles/1", ARTICLE, "article-1 category-1 tag-1 author-1"),
            ("/v1/articles/افتتاح-المكتبة", ARTICLE, "article-1 category-1 tag-1 author-1"),
            ("/v1/search?q=المكتبة", LIST, "articles search article-1 category-1 tag-1 author-1"),
            ("/v1/articles/1/comments", COMMENTS, "article-1-comments"),
            ("/v1/ticker", TICKER, "ticker"),
            ("/v1/categories", TAXONOMY, "categories category-1"),
            ("/v1/categories/ثقافة", TAXONOMY, "category-1"),
            ("/v1/tags", TAXONOMY, "tags tag-1"),
            ("/v1/tags/كتب", TAXONOMY, "tag-1"),
            ("/v1/authors", TAXONOMY, "authors author-1"),
            ("/v1/authors/ليلى", TAXONOMY, "author-1"),
        ],
    )
    def test_every_public_read_says_how_long_and_what_it_contains(
        self, client: TestClient, article_id: int, path: str, policy: str, keys: str
    ) -> None:
        response = client.get(path)

        assert response.status_code == 200
        assert response.headers["cache-control"] == policy
        assert response.headers["surrogate-key"] == keys
        assert response.headers["cache-tag"] == keys.replace(" ", ",")
        assert response.headers["vary"] == "Authorization"
        assert re.fullmatch(r'"([a-z0-9-]+-)?[0-9a-f]{20}"', response.headers["etag"])
        assert response.headers["content-length"] == str(len(response.content))

    def test_revalidation_is_a_304_with_the_same_validators(
        self, client: TestClient, article_id: int
    ) -> None:
        first = client.get("/v1/articles")
        again = client.get("/v1/articles", headers={"If-None-Match": first.headers["etag"]})
        listed = client.get(
            "/v1/articles", headers={"If-None-Match": f'"x", W/{first.headers["etag"]}'}
        )
        star = client.get("/v1/articles", headers={"If-None-Match": "*"})
        other = client.get("/v1/articles", headers={"If-None-Match": '"not-it"'})

        assert [again.status_code, listed.status_code, star.status_code] == [304, 304, 304]
        assert again.content == b""
        for header in ("etag", "cache-control", "surrogate-key", "vary"):
            assert again.headers[header] == first.headers[header]
        assert other.status_code == 200
        assert other.content == first.content

    def test_an_article_carries_last_modified(self, client: TestClient, article_id: int) -> None:
        response = client.get(f"/v1/articles/{article_id}")

        updated = datetime.fromisoformat(response.json()["updated_at"])
        assert parsedate_to_datetime(response.headers["last-modified"]) == updated.replace(
            microsecond=0
        )

    def test_etag_changes_exactly_when_the_answer_does(
        self, client: TestClient, session: Session, article_id: int
    ) -> None:
        first = client.get(f"/v1/articles/{article_id}")
        same = client.get(f"/v1/articles/{article_id}")
        with unit_of_work(session):
            update_term(session, Category, "ثقافة", TermUpdate(name="ثقافة وفنون"))
        renamed = client.get(f"/v1/articles/{article_id}")

        assert same.headers["etag"] == first.headers["etag"]
        assert renamed.json()["category"]["name"] == "ثقافة وفنون"
        assert renamed.headers["etag"] != first.headers["etag"]

    @pytest.mark.parametrize("path", ["/v1/articles", "/v1/articles/1", "/v1/ticker"])
    def test_answers_to_a_token_are_never_publicly_cacheable(
        self, client: TestClient, session: Session, article_id: int, path: str
    ) -> None:
        token = bearer(make_token(session, Scope.admin))

        response = client.get(path, headers=token)

        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store"

    @pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/v1/nothing"])
    def test_probes_and_problems_are_not_public(self, client: TestClient, path: str) -> None:
        assert "public" not in client.get(path).headers.get("cache-control", "")

    def test_policies_are_settings(self, settings: Settings, article_id: int) -> None:
        policy = CachePolicy(max_age=5, s_maxage=600, stale_while_revalidate=120)
        with TestClient(create_app(settings.model_copy(update={"cache_article": policy}))) as c:
            response = c.get(f"/v1/articles/{article_id}")

        assert response.headers["cache-control"] == (
            "public, max-age=5, s-maxage=600, stale-while-revalidate=120"
        )


class TestResponseCache:
    def test_a_repeated_read_is_served_from_the_cache_until_a_write(
        self, client: TestClient, session: Session, settings: Settings, article_id: int
    ) -> None:
        before = lookups(client)
        answers = [client.get("/v1/articles").content for _ in range(5)]
        make_article(session, "خبر جديد")
        heard(settings)
        fresh = client.get("/v1/articles")
        after = lookups(client)

        assert len(set(answers)) == 1
        assert fresh.json()["data"][0]["title"] == "خبر جديد"
        assert after.get("hit", 0) - before.get("hit", 0) == 4
        assert after["miss"] - before.get("miss", 0) == 2

    def test_a_token_and_a_query_are_different_entries(
        self, client: TestClient, session: Session, article_id: int
    ) -> None:
        token = bearer(make_token(session, Scope.articles_write))
        make_article(session, "مسودة", status="draft")
        client.get("/v1/articles")

        public = client.get("/v1/articles")
        editor = client.get("/v1/articles", params={"status": "draft"}, headers=token)
        limited = client.get("/v1/articles", params={"limit": 1})

        assert [a["title"] for a in public.json()["data"]] == ["افتتاح المكتبة"]
        assert [a["title"] for a in editor.json()["data"]] == ["مسودة"]
        assert len(limited.json()["data"]) == 1

    def test_one_query_spelt_many_ways_is_one_entry(
        self, client: TestClient, settings: Settings, article_id: int
    ) -> None:
        before = lookups(client)
        answers = [
            client.get(f"/v1/articles?{query}").content
            for query in (
                "limit=5&is_exclusive=false",
                "is_exclusive=false&limit=5",
                "limit=%35&is_exclusive=%66alse",
            )
        ]
        after = lookups(client)

        assert len(set(answers)) == 1
        assert (after["miss"] - before.get("miss", 0), after["hit"] - before.get("hit", 0)) == (
            1,
            2,
        )

    def test_bounded_by_bytes_least_recently_used_first(
        self, session: Session, settings: Settings
    ) -> None:
        # Six answers of about 300 KiB each, in a cache of 1 MiB: three fit.
        ids = [
            make_article(session, f"ملف {n}", body="<p>" + "كلمة " * 30_000 + "</p>").id
            for n in range(6)
        ]
        small = settings.model_copy(update={"response_cache_bytes": 1 << 20})
        with TestClient(create_app(small)) as client:
            for article_id in ids:
                client.get(f"/v1/articles/{article_id}")
            before = lookups(client)
            client.get(f"/v1/articles/{ids[-1]}")  # the newest is kept
            client.get(f"/v1/articles/{ids[0]}")  # the oldest went to make room
            after = lookups(client)

        assert (after["hit"] - before.get("hit", 0), after["miss"] - before["miss"]) == (1, 1)

    def test_an_entry_lives_at_most_its_lifetime(self, settings: Settings, article_id: int) -> None:
        # Each entry lives between half the lifetime and all of it: kept at once, made
        # again once the whole lifetime has passed, though nothing changed. (Half of it,
        # 2 s, is far longer than the first requests take on a loaded machine: with 0.5 s,
        # a first answer from PostgreSQL could outlast the entries made before it.)
        paths = ["/v1/articles", f"/v1/articles/{article_id}", "/v1/categories", "/v1/ticker"]
        short = settings.model_copy(update={"response_cache_seconds": 4.0})
        with TestClient(create_app(short)) as client:
            made = [answered_as(client, path) for path in paths]
            kept = [answered_as(client, path) for path in paths]
            time.sleep(4.05)
            remade = [answered_as(client, path) for path in paths]

        assert (made, kept, remade) == (["miss"] * 4, ["hit"] * 4, ["miss"] * 4)

    def test_off_when_its_lifetime_is_zero(self, settings: Settings, article_id: int) -> None:
        off = settings.model_copy(update={"response_cache_seconds": 0})
        with TestClient(create_app(off)) as client:
            for _ in range(3):
                client.get("/v1/articles")
            counts = lookups(client)

        assert counts == {"hit": 0, "bypass": 3}


def test_no_stale_read_after_any_write_with_two_workers(
    settings: Settings, limiter_settings: dict
) -> None:
    """Every kind of write through one worker; every read after it, on either worker, sees
    it, though both had the old answers cached."""
    if limiter_settings["redis_url"] is not None:
        pytest.skip("the changes are shared through the database: Redis plays no part")
    with session_for(settings) as session:
        make_category(session, "محليات")
        make_author(session, "هالة")
        token = bearer(make_token(session, Scope.admin))
        first_id = make_article(session, "خبر أول", category="محليات", authors=["هالة"]).id
        make_headline(session, "عاجل | خبر أول")
    # Every read comes from one address: its searches are not what this test limits.
    env = {"AKHBAR_COMMENTS_FLOOD_SECONDS": "0", "AKHBAR_SEARCH_RATE_LIMIT": "1000000/second"}

    with running_server(settings.database_url, workers=2, env=env) as base_url:

        def reads(path: str) -> list[httpx.Response]:
            # A new connection each time: the reads spread over both workers.
            return [httpx.get(f"{base_url}{path}") for _ in range(6)]

        def write(
            method: str, path: str, *, headers: dict | None = None, **kwargs: object
        ) -> httpx.Response:
            response = httpx.request(
                method, f"{base_url}{path}", headers={**token, **(headers or {})}, **kwargs
            )
            assert response.status_code < 300, response.text
            heard(settings)  # by the other worker
            return response

        watched = [
            "/v1/articles",
            f"/v1/articles/{first_id}",
            f"/v1/articles/{first_id}/comments",
            "/v1/search?q=خبر",
            "/v1/ticker",
            "/v1/categories",
        ]
        for path in watched:
            reads(path)  # cached on both workers

        created = write(
            "POST", "/v1/articles", json={"title": "خبر ثان", "status": "published"}
        ).json()
        assert all(r.json()["data"][0]["id"] == created["id"] for r in reads("/v1/articles"))
        assert all(len(r.json()["data"]) == 2 for r in reads("/v1/search?q=خبر"))

        etag = httpx.get(f"{base_url}/v1/articles/{first_id}").headers["etag"]
        write(
            "PATCH",
            f"/v1/articles/{first_id}",
            json={"title": "خبر أول معدل"},
            headers={**token, "If-Match": etag},
        )
        assert {r.json()["title"] for r in reads(f"/v1/articles/{first_id}")} == {"خبر أول معدل"}
        assert all(
            "خبر أول معدل" in [a["title"] for a in r.json()["data"]] for r in reads("/v1/articles")
        )

        posted = httpx.post(
            f"{base_url}/v1/articles/{first_id}/comments",
            json={"author_name": "قارئ", "author_email": "q@example.org", "body": "تعليق"},
        )
        reads(f"/v1/articles/{first_id}/comments")
        write("PATCH", f"/v1/comments/{posted.json()['id']}", json={"status": "approved"})
        assert all(len(r.json()["data"]) == 1 for r in reads(f"/v1/articles/{first_id}/comments"))
        assert {r.json()["comment_count"] for r in reads(f"/v1/articles/{first_id}")} == {1}

        write("POST", "/v1/ticker", json={"text": "عاجل | خبر ثان"})
        assert all(len(r.json()["data"]) == 2 for r in reads("/v1/ticker"))

        write("PATCH", "/v1/categories/محليات", json={"name": "شؤون محلية"})
        assert {r.json()["category"]["name"] for r in reads(f"/v1/articles/{first_id}")} == {
            "شؤون محلية"
        }
        assert all(r.json()["data"][0]["name"] == "شؤون محلية" for r in reads("/v1/categories"))

        write("DELETE", f"/v1/articles/{first_id}")
        assert {r.status_code for r in reads(f"/v1/articles/{first_id}")} == {404}
        assert all(len(r.json()["data"]) == 1 for r in reads("/v1/articles"))

        # A write from outside the servers, as `akhbar` commands make them.
        with session_for(settings) as session:
            make_article(session, "خبر من سطر الأوامر", published_at=datetime.now(UTC))
        heard(settings)
        assert all(len(r.json()["data"]) == 2 for r in reads("/v1/articles"))


class TestWhatAWriteEnds:
    """Each entry holds its answer's surrogate keys; a write ends the entries holding a key
    it changed, and nothing else."""

    def watch(self, client: TestClient, paths: list[str]) -> dict[str, bool]:
        """Whether each path is answered from the cache now (each was read before)."""
        return {path: served_from_cache(client, path) for path in paths}

    def test_writes_nobody_outside_sees_end_nothing(
        self, client: TestClient, session: Session, settings: Settings, article_id: int
    ) -> None:
        token = bearer(make_token(session, Scope.admin))
        draft = make_article(session, "مسودة", status="draft")
        paths = [
            "/v1/articles",
            f"/v1/articles/{article_id}",
            f"/v1/articles/{article_id}/comments",
            "/v1/search?q=المكتبة",
            "/v1/ticker",
            "/v1/categories",
        ]
        for path in paths:
            client.get(path)

        pending = client.post(f"/v1/articles/{article_id}/comments", json=COMMENT)
        etag = client.get(f"/v1/articles/{draft.id}", headers=token).headers["etag"]
        edited = client.patch(
            f"/v1/articles/{draft.id}",
            json={"title": "مسودة معدلة"},
            headers={**token, "If-Match": etag},
        )
        heard(settings)

        assert (pending.status_code, pending.json()["status"], edited.status_code) == (
            202,
            "pending",
            200,
        )
        assert self.watch(client, paths) == dict.fromkeys(paths, True)

    def test_an_approved_comment_ends_what_shows_it_and_nothing_else(
        self, client: TestClient, session: Session, settings: Settings, article_id: int
    ) -> None:
        token = bearer(make_token(session, Scope.admin))
        other = make_article(session, "خبر آخر")
        comment = client.post(f"/v1/articles/{article_id}/comments", json=COMMENT).json()
        paths = [
            f"/v1/articles/{article_id}",
            f"/v1/articles/{article_id}/comments",
            "/v1/articles",  # both, with their comment counts
            "/v1/articles?limit=1",  # the newest only: the other
            f"/v1/articles/{other.id}",
            f"/v1/articles/{other.id}/comments",
            "/v1/ticker",
            "/v1/categories",
        ]
        for path in paths:
            client.get(path)

        approved = client.patch(
            f"/v1/comments/{comment['id']}", json={"status": "approved"}, headers=token
        )
        heard(settings)

        assert approved.status_code == 200
        assert self.watch(client, paths) == {
            f"/v1/articles/{article_id}": False,
            f"/v1/articles/{article_id}/comments": False,
            "/v1/articles": False,
            "/v1/articles?limit=1": True,
            f"/v1/articles/{other.id}": True,
            f"/v1/articles/{other.id}/comments": True,
            "/v1/ticker": True,
            "/v1/categories": True,
        }
        assert client.get(f"/v1/articles/{article_id}").json()["comment_count"] == 1

    def test_a_category_rename_ends_what_shows_the_category(
        self, client: TestClient, session: Session, settings: Settings, article_id: int
    ) -> None:
        token = bearer(make_token(session, Scope.admin))
        paths = [
            "/v1/categories",
            "/v1/categories/ثقافة",
            f"/v1/articles/{article_id}",
            "/v1/articles",
            "/v1/tags",
            "/v1/ticker",
            f"/v1/articles/{article_id}/comments",
        ]
        for path in paths:
            client.get(path)

        renamed = client.patch("/v1/categories/ثقافة", json={"name": "الثقافة"}, headers=token)
        heard(settings)

        assert renamed.status_code == 200
        assert self.watch(client, paths) == {
            "/v1/categories": False,
            "/v1/categories/ثقافة": False,
            f"/v1/articles/{article_id}": False,
            "/v1/articles": False,
            "/v1/tags": True,
            "/v1/ticker": True,
            f"/v1/articles/{article_id}/comments": True,
        }
        assert client.get(f"/v1/articles/{article_id}").json()["category"]["name"] == "الثقافة"

    def test_the_worker_that_writes_reads_its_write_at_once(
        self, client: TestClient, session: Session, article_id: int
    ) -> None:
        token = bearer(make_token(session, Scope.admin))
        client.get(f"/v1/articles/{article_id}")
        etag = client.get(f"/v1/articles/{article_id}", headers=token).headers["etag"]

        edited = client.patch(
            f"/v1/articles/{article_id}",
            json={"title": "افتتاح المكتبة الوطنية"},
            headers={**token, "If-Match": etag},
        )
        read = client.get(f"/v1/articles/{article_id}")  # no wait, on either database

        assert edited.status_code == 200
        assert read.json()["title"] == "افتتاح المكتبة الوطنية"

    def test_a_new_category_ends_the_list_of_categories(
        self, client: TestClient, session: Session, settings: Settings, article_id: int
    ) -> None:
        client.get("/v1/categories")

        make_category(session, "رياضة")
        heard(settings)

        assert [c["name"] for c in client.get("/v1/categories").json()["data"]] == [
            "ثقافة",
            "رياضة",
        ]

    def test_a_worker_that_cannot_hear_changes_keeps_and_serves_nothing(
        self, client: TestClient, session: Session, settings: Settings, article_id: int
    ) -> None:
        if settings.is_sqlite:
            pytest.skip("on SQLite each request looks at the file itself: nothing to lose")
        path = f"/v1/articles/{article_id}"
        client.get(path)
        assert served_from_cache(client, path)

        session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'akhbar-changes'"
            )
        )
        session.commit()
        # As soon as the worker sees its connection gone, it serves nothing it kept.
        deadline = time.monotonic() + 5
        while answered_as(client, path) != "bypass":
            assert time.monotonic() < deadline, "the worker went on serving its cache"
        # A change it is not told of (nobody listens), then reads: each sees it, whether
        # the worker is still deaf or listening again (it then ended everything it held).
        session.execute(
            update(Article).where(col(Article.id) == article_id).values(title="عنوان جديد")
        )
        session.commit()
        assert [client.get(path).json()["title"] for _ in range(3)] == ["عنوان جديد"] * 3
        # Listening again within a second (it retries every half second), it keeps answers.
        deadline = time.monotonic() + 5
        while not served_from_cache(client, path):
            assert time.monotonic() < deadline, "the worker did not listen again"
            time.sleep(0.1)


class TestFields:
    def test_list_items_carry_only_the_fields_asked_for(
        self, client: TestClient, article_id: int
    ) -> None:
        response = client.get("/v1/articles", params={"fields": "title,id,slug"})

        assert response.status_code == 200
        assert response.json() == {
            "data": [{"id": article_id, "slug": "افتتاح-المكتبة", "title": "افتتاح المكتبة"}],
            "meta": {"limit": 20, "next_cursor": None},
        }
        assert response.headers["cache-control"] == LIST
        assert response.headers["surrogate-key"].startswith("articles article-1")

    def test_search_hits_too(self, client: TestClient, article_id: int) -> None:
        response = client.get("/v1/search", params={"q": "المكتبة", "fields": "id,snippet"})

        assert response.json()["data"] == [{"id": article_id, "snippet": "نصّ الخبر."}]

    def test_paging_keeps_working(self, client: TestClient, session: Session) -> None:
        for n in range(3):
            make_article(session, f"خبر {n}", hours=n)

        first = client.get("/v1/articles", params={"fields": "id", "limit": 2})
        second = client.get(
            "/v1/articles",
            params={"fields": "id", "limit": 2, "cursor": first.json()["meta"]["next_cursor"]},
        )

        assert [a["id"] for a in first.json()["data"]] == [3, 2]
        assert [a["id"] for a in second.json()["data"]] == [1]
        assert first.headers["link"].startswith("</v1/articles?")

    @pytest.mark.parametrize("fields", ["id,body", "id,nope,x"])
    def test_an_unknown_field_is_a_422(
        self, client: TestClient, article_id: int, fields: str
    ) -> None:
        response = client.get("/v1/articles", params={"fields": fields})

        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert (error["loc"], error["type"]) == (["query", "fields"], "string_pattern_mismatch")
        # The pattern names every field there is to choose from.
        assert "|slug|url|title|" in error["message"]

    @pytest.mark.parametrize("fields", ["", "id,", "id;title", "ID", "id, title"])
    def test_a_malformed_list_is_a_422(self, client: TestClient, fields: str) -> None:
        assert client.get("/v1/articles", params={"fields": fields}).status_code == 422


def test_the_clock_ends_cached_answers_at_the_right_moment(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """Nothing is written, yet a scheduled article appears and a ticker window closes on
    time: cached answers never outlive the next such moment."""
    now = datetime.now(UTC)
    appears, closes = now + timedelta(seconds=2), now + timedelta(seconds=2.5)
    make_article(session, "خبر منشور", published_at=now - timedelta(hours=1))
    make_article(session, "خبر مجدول", published_at=appears)
    make_headline(session, "عاجل | نافذة قصيرة", ends_at=closes)
    before = lookups(client)

    def read(path: str) -> tuple[list[dict], datetime]:
        """The answer and when it came (on a stalled machine, after a moment has passed:
        then the new answer is right too)."""
        return client.get(path).json()["data"], datetime.now(UTC)

    early = [read("/v1/articles") for _ in range(3)]
    bar = [read("/v1/ticker") for _ in range(3)]
    time.sleep(max(0.0, (closes + timedelta(seconds=0.1) - datetime.now(UTC)).total_seconds()))
    late = client.get("/v1/articles").json()["data"]
    closed = client.get("/v1/ticker").json()["data"]

    for page, answered in early:
        titles = [a["title"] for a in page]
        assert titles == ["خبر منشور"] or (answered > appears and len(titles) == 2)
    for headlines, answered in bar:
        assert len(headlines) == 1 or (answered > closes and headlines == [])
    assert [a["title"] for a in late] == ["خبر مجدول", "خبر منشور"]
    assert closed == []
    if settings.is_sqlite and bar[-1][1] < appears:  # the cache was used meanwhile
        assert lookups(client)["hit"] - before.get("hit", 0) == 4
