"""Simultaneous writes that collide on a unique key, against a real server with two
workers: never a 500. A derived article slug that loses the race takes the next free
suffix (every request succeeds); an explicit slug that another request took first is a
409 naming it; writes with nothing unique to collide on all succeed."""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from sqlmodel import SQLModel, col, func, select

from app.core.config import Settings
from app.models import ApiToken, Article, Category, Comment, TickerHeadline, WebhookSubscription
from app.ops.migrations import upgrade_to_head
from app.wiring import session_for
from tests.conftest import BACKENDS, TEST_DEFAULTS, create_postgres_database, worker_suffix
from tests.factories import bearer, make_article, make_token
from tests.server import running_server

CLIENTS = 16
ROUNDS = 5


@pytest.fixture(scope="module", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A migrated database of this module's own: one server serves all its tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('concurrent') / 'akhbar.db'}"
    else:
        url = create_postgres_database(f"akhbar_test_concurrent_{worker_suffix()}")
    settings = Settings(database_url=url, **TEST_DEFAULTS)
    upgrade_to_head(settings)
    return settings


@pytest.fixture(scope="module")
def served(database: Settings) -> Iterator[tuple[str, dict[str, str], int]]:
    """Two workers on it; the base URL, an admin's headers, an article to comment on."""
    with session_for(database) as session:
        admin = bearer(make_token(session))
        article_id = make_article(session, "خبر للتعليق").id
        assert article_id is not None
    env = {"AKHBAR_COMMENTS_FLOOD_SECONDS": "0", "AKHBAR_COMMENTS_RATE_LIMIT": "100000/minute"}
    with running_server(database.database_url, workers=2, env=env) as base_url:
        yield base_url, admin, article_id


def at_once(
    base_url: str,
    method: str,
    path: str | Callable[[int], str],
    body: Callable[[int], Any],
    headers: dict[str, str],
) -> list[httpx.Response]:
    """CLIENTS requests released together, each on a connection of its own (so the two
    workers share them); their answers in client order."""
    answers: list[httpx.Response | None] = [None] * CLIENTS
    start = threading.Barrier(CLIENTS)

    def send(n: int) -> None:
        url = path if isinstance(path, str) else path(n)
        with httpx.Client(base_url=base_url, timeout=60, headers=headers) as client:
            start.wait()
            answers[n] = client.request(method, url, json=body(n))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def count_rows(database: Settings, model: type[SQLModel], *where: Any) -> int:
    with session_for(database) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def statuses(answers: list[httpx.Response]) -> Counter[int]:
    return Counter(answer.status_code for answer in answers)


class TestArticles:
    def test_a_derived_slug_that_loses_the_race_takes_the_next_suffix(
        self, served: tuple[str, dict[str, str], int], database: Settings
    ) -> None:
        base_url, admin, _article = served
        for round_ in range(ROUNDS):
            title = f"قمة طارئة في الجولة {round_ + 1}"
            answers = at_once(
                base_url, "POST", "/v1/articles", lambda n, t=title: {"title": t}, admin
            )

            assert statuses(answers) == {201: CLIENTS}
            base = f"قمة-طارئة-في-الجولة-{round_ + 1}"
            expected = {base} | {f"{base}-{n}" for n in range(2, CLIENTS + 1)}
            assert {answer.json()["slug"] for answer in answers} == expected
            with session_for(database) as session:
                stored = session.exec(select(Article.slug).where(Article.title == title)).all()
            assert sorted(stored) == sorted(expected)

    def test_an_explicit_slug_is_given_to_one_and_refused_to_the_rest(
        self, served: tuple[str, dict[str, str], int], database: Settings
    ) -> None:
        base_url, admin, _article = served
        for round_ in range(ROUNDS):
            slug = f"سبق-صحفي-{round_ + 1}"
            answers = at_once(
                base_url,
                "POST",
                "/v1/articles",
                lambda n, slug=slug: {"title": f"سبق صحفي {n}", "slug": slug},
                admin,
            )

            assert statuses(answers) == {201: 1, 409: CLIENTS - 1}
            for refused in (a for a in answers if a.status_code == 409):
                assert refused.headers["content-type"] == "application/problem+json"
                assert refused.json()["detail"] == f"another article has the slug {slug!r}"
            assert count_rows(database, Article, Article.slug == slug) == 1


class TestTaxonomy:
    @pytest.mark.parametrize("plural", ["categories", "tags", "authors"])
    @pytest.mark.parametrize("explicit", [False, True], ids=["derived", "explicit"])
    def test_one_term_is_made_and_the_rest_are_told_the_slug_is_taken(
        self, served: tuple[str, dict[str, str], int], plural: str, explicit: bool
    ) -> None:
        base_url, admin, _article = served
        for round_ in range(ROUNDS):
            way = "صريح" if explicit else "مشتق"
            name = f"شؤون إقليمية {way} {round_ + 1}"
            slug = f"شؤون-إقليمية-{way}-{round_ + 1}"
            body = {"name": name, **({"slug": slug} if explicit else {})}
            answers = at_once(base_url, "POST", f"/v1/{plural}", lambda n, b=body: b, admin)

            assert statuses(answers) == {201: 1, 409: CLIENTS - 1}
            kind = {"categories": "a category", "tags": "a tag", "authors": "an author"}[plural]
            assert {a.json()["detail"] for a in answers if a.status_code == 409} == {
                f"{kind} with slug {slug!r} already exists"
            }


@pytest.mark.parametrize(
    ("plural", "field", "model", "taken"),
    [
        ("articles", "title", Article, "another article has the slug {!r}"),
        ("categories", "name", Category, "a category with slug {!r} already exists"),
    ],
)
def test_renames_to_one_slug_leave_one_owner(
    served: tuple[str, dict[str, str], int],
    database: Settings,
    plural: str,
    field: str,
    model: type[Article] | type[Category],
    taken: str,
) -> None:
    base_url, admin, _article = served
    for round_ in range(ROUNDS):
        made = at_once(
            base_url,
            "POST",
            f"/v1/{plural}",
            lambda n, r=round_: {field: f"عنوان {r} {n}"},
            admin,
        )
        assert statuses(made) == {201: CLIENTS}
        slugs = [answer.json()["slug"] for answer in made]
        target = f"عنوان-موحد-{round_}"
        answers = at_once(
            base_url,
            "PATCH",
            lambda n, slugs=slugs: f"/v1/{plural}/{slugs[n]}",
            lambda n, t=target: {"slug": t},
            admin,
        )

        assert statuses(answers) == {200: 1, 409: CLIENTS - 1}
        assert {a.json()["detail"] for a in answers if a.status_code == 409} == {
            taken.format(target)
        }
        assert count_rows(database, model, model.slug == target) == 1


class TestWritesWithNothingUniqueToShare:
    """Headlines, tokens and webhooks: all made, none lost."""

    @pytest.mark.parametrize(
        ("path", "body", "model"),
        [
            ("/v1/ticker", lambda n: {"text": f"خاص | نبأ رقم {n}"}, TickerHeadline),
            ("/v1/tokens", lambda n: {"name": f"أداة {n}", "scopes": ["ticker:write"]}, ApiToken),
            (
                "/v1/webhooks",
                lambda n: {"url": f"https://hooks.example.com/{n}", "events": ["ticker.changed"]},
                WebhookSubscription,
            ),
        ],
        ids=["ticker", "tokens", "webhooks"],
    )
    def test_every_one_is_stored(
        self,
        served: tuple[str, dict[str, str], int],
        database: Settings,
        path: str,
        body: Callable[[int], Any],
        model: type[TickerHeadline] | type[ApiToken] | type[WebhookSubscription],
    ) -> None:
        base_url, admin, _article = served
        for round_ in range(ROUNDS):
            answers = at_once(base_url, "POST", path, body, admin)

            assert statuses(answers) == {201: CLIENTS}
            # The admin's own token is a row too.
            assert count_rows(database, model) == CLIENTS * (round_ + 1) + (model is ApiToken)


class TestComments:
    def test_identical_comments_at_once_are_stored_once(
        self, served: tuple[str, dict[str, str], int], database: Settings
    ) -> None:
        base_url, _admin, article_id = served
        for round_ in range(ROUNDS):
            text = f"تعليق متكرر {round_}"
            answers = at_once(
                base_url,
                "POST",
                f"/v1/articles/{article_id}/comments",
                # One reader, one text, whatever the address it types each time.
                lambda n, t=text: {
                    "author_name": "قارئ",
                    "author_email": f"r{n}@example.com",
                    "body": t,
                },
                {},
            )

            assert statuses(answers) == {202: 1, 409: CLIENTS - 1}
            assert count_rows(database, Comment, col(Comment.body) == text) == 1
