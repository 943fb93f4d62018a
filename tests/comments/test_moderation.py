"""Moderators working the queue with `comments:moderate`."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.scopes import Scope
from app.comments.schemas import CommentCreate
from app.comments.service import CommentPolicy, post_comment
from app.core.db import unit_of_work
from app.http.limits import MemoryLimiter
from app.models import Article, Comment, CommentStatus
from tests.factories import bearer, make_article, make_token

POLICY = CommentPolicy(
    auto_approve=False,
    flood_seconds=0,
    rate_limit=1000,
    rate_window_seconds=60,
    max_links=2,
    disallowed_words=frozenset(),
    disallowed_phrases=(),
)


def post(session: Session, article: Article, n: int, **fields: object) -> int:
    data = CommentCreate(
        author_name=f"قارئ {n}",
        author_email=f"reader{n}@example.com",
        body=f"تعليق {n}",
        **fields,  # type: ignore[arg-type]
    )
    with unit_of_work(session):
        posted = post_comment(
            session,
            article_ref=str(article.id),
            data=data,
            client=f"198.51.100.{n}",
            client_key=f"198.51.100.{n}",
            user_agent="test",
            policy=POLICY,
            limiter=MemoryLimiter(),
        )
    return posted.comment_id


@pytest.fixture
def moderator(session: Session) -> dict[str, str]:
    return bearer(make_token(session, Scope.comments_moderate))


class TestModerationQueue:
    def test_shows_e_mails_and_metadata_filtered_by_status_and_article(
        self, client: TestClient, session: Session, moderator: dict
    ) -> None:
        first = make_article(session, "أول")
        second = make_article(session, "ثان")
        a = post(session, first, 1)
        b = post(session, second, 2)
        c = post(session, first, 3, homepage="https://spam.example")

        pending = client.get("/v1/comments", params={"status": "pending"}, headers=moderator)
        on_first = client.get("/v1/comments", params={"article": first.slug}, headers=moderator)

        assert [(x["id"], x["author_email"]) for x in pending.json()["data"]] == [
            (a, "reader1@example.com"),
            (b, "reader2@example.com"),
        ]
        entry = pending.json()["data"][0]
        assert (entry["client_ip"], entry["user_agent"], entry["status"]) == (
            "198.51.100.1",
            "test",
            "pending",
        )
        assert [(x["id"], x["held_reason"]) for x in on_first.json()["data"]] == [
            (a, None),
            (c, "honeypot"),
        ]

    @pytest.mark.parametrize(("scope", "status"), [(None, 401), (Scope.articles_write, 403)])
    def test_needs_comments_moderate(
        self, client: TestClient, session: Session, scope: Scope | None, status: int
    ) -> None:
        headers = bearer(make_token(session, scope)) if scope else {}

        assert client.get("/v1/comments", headers=headers).status_code == status


class TestModerateComment:
    def test_approve_publishes_and_counts_then_trash_takes_it_back(
        self, client: TestClient, session: Session, moderator: dict
    ) -> None:
        article = make_article(session, "خبر")
        comment_id = post(session, article, 1)

        approved = client.patch(
            f"/v1/comments/{comment_id}", json={"status": "approved"}, headers=moderator
        )
        public_after_approval = client.get(f"/v1/articles/{article.id}/comments").json()["data"]
        count_after_approval = client.get(f"/v1/articles/{article.id}").json()["comment_count"]
        trashed = client.delete(f"/v1/comments/{comment_id}", headers=moderator)
        public_after_trash = client.get(f"/v1/articles/{article.id}/comments").json()["data"]

        assert approved.json()["status"] == "approved"
        assert [c["id"] for c in public_after_approval] == [comment_id]
        assert count_after_approval == 1
        assert trashed.status_code == 204
        assert public_after_trash == []
        assert client.get(f"/v1/articles/{article.id}").json()["comment_count"] == 0
        session.expire_all()
        assert session.get(Comment, comment_id).status is CommentStatus.trash  # type: ignore[union-attr]

    def test_edit_the_text(self, client: TestClient, session: Session, moderator: dict) -> None:
        article = make_article(session, "خبر")
        comment_id = post(session, article, 1)

        response = client.patch(
            f"/v1/comments/{comment_id}", json={"body": "نص بعد التحرير"}, headers=moderator
        )

        assert response.json()["body"] == "نص بعد التحرير"

    @pytest.mark.parametrize(
        ("payload", "status"), [({"status": "deleted"}, 422), ({"author_email": "x@y.z"}, 422)]
    )
    def test_invalid_changes(
        self, client: TestClient, session: Session, moderator: dict, payload: dict, status: int
    ) -> None:
        article = make_article(session, "خبر")
        comment_id = post(session, article, 1)

        assert (
            client.patch(f"/v1/comments/{comment_id}", json=payload, headers=moderator).status_code
            == status
        )

    def test_unknown_comment_is_404(self, client: TestClient, moderator: dict) -> None:
        assert (
            client.patch("/v1/comments/999", json={"status": "spam"}, headers=moderator).status_code
            == 404
        )
        assert client.delete("/v1/comments/999", headers=moderator).status_code == 404
