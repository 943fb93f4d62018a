"""Two editors saving the same version at the same moment: one wins, one gets 412.

Real HTTP against a real server, so that the two requests truly run at once.
"""

import threading

import httpx2 as httpx
from sqlmodel import select

from app.auth.scopes import Scope
from app.core.config import Settings
from app.models import Article, ArticleRevision
from app.wiring import session_for
from tests.factories import bearer, make_article, make_token
from tests.server import running_server

ROUNDS = 10


def test_no_update_is_lost(settings: Settings) -> None:
    with session_for(settings) as session:
        article = make_article(session, "خبر")
        article_id = article.id
        headers = bearer(make_token(session, Scope.articles_write))

    statuses: list[list[int]] = []
    with (
        running_server(settings.database_url) as base_url,
        httpx.Client(base_url=base_url, headers=headers, timeout=30) as client,
    ):
        for round_number in range(ROUNDS):
            version = client.get(f"/v1/articles/{article_id}").json()["version"]
            barrier = threading.Barrier(2)
            answers: list[int] = []

            def save(
                title: str,
                version: int = version,
                barrier: threading.Barrier = barrier,
                answers: list[int] = answers,
            ) -> None:
                barrier.wait()
                response = client.patch(
                    f"/v1/articles/{article_id}",
                    json={"title": title},
                    headers={"If-Match": f'"article-{article_id}-v{version}"'},
                )
                answers.append(response.status_code)

            threads = [
                threading.Thread(target=save, args=(f"نسخة {round_number}-{editor}",))
                for editor in ("أ", "ب")
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            statuses.append(sorted(answers))

    assert statuses == [[200, 412]] * ROUNDS
    with session_for(settings) as session:
        final = session.get(Article, article_id)
        assert final is not None
        assert final.version == 1 + ROUNDS
        revisions = session.exec(select(ArticleRevision.version)).all()
        assert sorted(revisions) == list(range(1, ROUNDS + 1))
