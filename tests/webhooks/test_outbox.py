"""The outbox: each change the public will notice writes its event in the same
transaction; nothing else does, and a change that fails leaves none."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.models import Article
from tests.factories import make_article, make_category, make_headline, make_tag
from tests.media import pictures
from tests.webhooks.conftest import outbox

MESSAGE_ID = r"^msg_[0-9A-HJKMNP-TV-Z]{26}$"


def later(**delta: float) -> datetime:
    return (datetime.now(UTC) + timedelta(**delta)).replace(microsecond=0)


def publish(client: TestClient, admin: dict, **fields: object) -> dict:
    body = {"title": "افتتاح معرض الكتاب في الرباط", "body": "<p>نص</p>", "status": "published"}
    response = client.post("/v1/articles", json=body | fields, headers=admin)
    assert response.status_code == 201, response.text
    return dict(response.json())


def patch(client: TestClient, admin: dict, article_id: int, **fields: object) -> dict:
    response = client.patch(f"/v1/articles/{article_id}", json=fields, headers=admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestArticles:
    def test_publishing_writes_one_event_with_the_article_as_lists_show_it(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        make_category(session, "ثقافة")
        make_tag(session, "كتب")
        article = publish(client, admin, category="ثقافة", tags=["كتب"])

        [published] = outbox(session)

        assert published.type == "article.published"
        assert published.body["id"]
        assert published.body["type"] == "article.published"
        assert published.body["id"].startswith("msg_")
        assert len(published.body["id"]) == 30
        assert published.body["timestamp"] == published.due_at.isoformat().replace("+00:00", "Z")
        listed = client.get("/v1/articles").json()["data"][0]
        assert published.data == {
            "article": listed,
            "previous_slug": None,
            "surrogate_keys": ["articles", f"article-{article['id']}", "category-1", "tag-1"],
        }
        assert not published.fanned_out
        assert published.subject is None

    def test_a_draft_writes_nothing_until_it_is_published(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        draft = publish(client, admin, status="draft")
        patch(client, admin, draft["id"], title="عنوان أفضل للمسودة")
        assert outbox(session) == []

        patch(client, admin, draft["id"], status="published")

        assert [e.type for e in outbox(session)] == ["article.published"]

    def test_each_public_change_has_its_event(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        article = publish(client, admin, slug="معرض-الكتاب")
        article_id = article["id"]
        patch(client, admin, article_id, title="افتتاح معرض الكتاب الدولي")
        patch(client, admin, article_id, slug="معرض-الكتاب-الدولي")
        patch(client, admin, article_id, status="draft")
        patch(client, admin, article_id, status="published")
        assert client.delete(f"/v1/articles/{article_id}", headers=admin).status_code == 204
        assert client.post(f"/v1/articles/{article_id}/undelete", headers=admin).status_code == 200

        events = outbox(session)

        assert [e.type for e in events] == [
            "article.published",
            "article.updated",
            "article.updated",
            "article.unpublished",
            "article.published",
            "article.deleted",
            "article.published",
        ]
        renamed, moved = events[1], events[2]
        assert renamed.data["article"]["title"] == "افتتاح معرض الكتاب الدولي"
        assert renamed.data["previous_slug"] is None
        assert moved.data["article"]["slug"] == "معرض-الكتاب-الدولي"
        assert moved.data["previous_slug"] == "معرض-الكتاب"
        # Gone from public view: the article as the public last saw it.
        unpublished, deleted = events[3], events[5]
        assert unpublished.data["article"]["status"] == "published"
        assert unpublished.data["article"]["version"] == 3
        assert unpublished.data["surrogate_keys"] == [
            "articles",
            f"article-{article_id}",
            f"article-{article_id}-comments",
        ]
        assert deleted.data["article"]["version"] == 5
        assert len({e.body["id"] for e in events}) == 7

    def test_a_scheduled_article_leaves_one_event_due_at_its_time(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        first_time, second_time = later(hours=1), later(hours=2)
        article = publish(client, admin, published_at=first_time.isoformat())
        patch(client, admin, article["id"], published_at=second_time.isoformat())

        [scheduled] = outbox(session)

        assert scheduled.type == "article.published"
        assert scheduled.due_at == second_time
        assert scheduled.body["timestamp"] == second_time.isoformat().replace("+00:00", "Z")
        assert scheduled.data["article"]["published_at"] == scheduled.body["timestamp"]
        assert scheduled.subject == f"article-{article['id']}"

        patch(client, admin, article["id"], status="draft")

        assert outbox(session) == []

    def test_rescheduling_a_public_article_unpublishes_it_until_then(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        article = publish(client, admin)
        tomorrow = later(days=1)
        patch(client, admin, article["id"], published_at=tomorrow.isoformat())

        events = outbox(session)

        assert [(e.type, e.subject) for e in events] == [
            ("article.published", None),
            ("article.unpublished", None),
            ("article.published", f"article-{article['id']}"),
        ]
        assert events[2].due_at == tomorrow

    def test_a_refused_change_writes_nothing(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        article = publish(client, admin)
        patch(client, admin, article["id"], title="تعديل أول")

        stale = client.patch(
            f"/v1/articles/{article['id']}",
            json={"title": "تعديل متأخر"},
            headers={**admin, "If-Match": f'"article-{article["id"]}-v1"'},
        )
        taken = client.post(
            "/v1/articles",
            json={"title": "خبر آخر", "slug": article["slug"], "status": "published"},
            headers=admin,
        )

        assert (stale.status_code, taken.status_code) == (412, 409)
        assert [e.type for e in outbox(session)] == ["article.published", "article.updated"]

    @pytest.mark.server_error
    def test_a_transaction_that_fails_at_commit_leaves_neither_change_nor_event(
        self, app: object, settings: object, session: Session, admin: dict
    ) -> None:
        article = make_article(session, "خبر قبل العطل")
        events_before = len(outbox(session))

        def fail(_session: OrmSession) -> None:
            raise RuntimeError("the disk is full")

        event.listen(OrmSession, "before_commit", fail)
        try:
            with TestClient(app, raise_server_exceptions=False) as client:  # type: ignore[arg-type]
                response = client.patch(
                    f"/v1/articles/{article.id}", json={"title": "تعديل لن يُحفظ"}, headers=admin
                )
        finally:
            event.remove(OrmSession, "before_commit", fail)

        assert response.status_code == 500
        session.expire_all()
        assert session.get_one(Article, article.id).title == "خبر قبل العطل"
        assert len(outbox(session)) == events_before


class TestTerms:
    """Articles embed their terms: a term's change is a change of every public article
    showing it, announced as such."""

    def test_renaming_a_category_announces_each_public_article_showing_it(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        make_category(session, "ثقافة")
        first = make_article(session, "معرض الكتاب", category="ثقافة")
        second = make_article(session, "مهرجان الموسيقى", category="ثقافة", hours=1)
        draft = make_article(session, "مسودة", category="ثقافة", status="draft")
        other = make_article(session, "خبر آخر", hours=2)
        before = len(outbox(session))

        response = client.patch(
            f"/v1/categories/{quote('ثقافة')}", json={"name": "ثقافة وفنون"}, headers=admin
        )

        assert response.status_code == 200
        events = outbox(session)[before:]
        assert [e.type for e in events] == ["article.updated", "article.updated"]
        assert sorted(e.data["article"]["id"] for e in events) == [first.id, second.id]
        assert [e.data["article"]["category"]["name"] for e in events] == ["ثقافة وفنون"] * 2
        assert all("category-1" in e.data["surrogate_keys"] for e in events)
        session.expire_all()
        versions = {a.id: session.get_one(Article, a.id).version for a in (first, draft, other)}
        assert versions == {first.id: 2, draft.id: 2, other.id: 1}

    def test_deleting_a_tag_announces_the_articles_that_lose_it(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        make_tag(session, "كتب")
        article = make_article(session, "معرض الكتاب", tags=["كتب"])
        before = len(outbox(session))

        response = client.delete(f"/v1/tags/{quote('كتب')}?detach=true", headers=admin)

        assert response.status_code == 204
        [updated] = outbox(session)[before:]
        assert updated.type == "article.updated"
        assert (updated.data["article"]["id"], updated.data["article"]["tags"]) == (article.id, [])
        assert updated.data["surrogate_keys"] == ["articles", f"article-{article.id}", "tag-1"]


class TestTicker:
    def test_changes_to_the_bar_have_events_and_windows_wait_for_their_time(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        shown = client.post("/v1/ticker", json={"text": "عاجل | زلزال"}, headers=admin).json()
        hidden = client.post(
            "/v1/ticker", json={"text": "خبر مؤجل", "is_active": False}, headers=admin
        ).json()
        opens, closes = later(hours=1), later(hours=3)
        windowed = client.post(
            "/v1/ticker",
            json={"text": "موعد", "starts_at": opens.isoformat(), "ends_at": closes.isoformat()},
            headers=admin,
        ).json()
        client.patch(f"/v1/ticker/{shown['id']}", json={"text": "زلزال بقوة 5"}, headers=admin)
        client.patch(f"/v1/ticker/{hidden['id']}", json={"text": "ما زال مخفياً"}, headers=admin)
        client.put("/v1/ticker/order", json={"ids": [hidden["id"], shown["id"]]}, headers=admin)
        client.delete(f"/v1/ticker/{shown['id']}", headers=admin)

        events, now = outbox(session), datetime.now(UTC)

        assert [(e.data["reason"], e.data["headline_ids"], e.due_at <= now) for e in events] == [
            ("created", [shown["id"]], True),
            ("window_opened", [windowed["id"]], False),
            ("window_closed", [windowed["id"]], False),
            ("updated", [shown["id"]], True),
            ("reordered", [shown["id"]], True),
            ("deleted", [shown["id"]], True),
        ]
        assert {e.type for e in events} == {"ticker.changed"}
        assert events[1].due_at == opens
        assert events[2].due_at == closes
        assert events[0].data["surrogate_keys"] == ["ticker"]

    def test_moving_a_window_replaces_its_events(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        headline = client.post(
            "/v1/ticker",
            json={"text": "موعد", "starts_at": later(hours=1).isoformat()},
            headers=admin,
        ).json()
        moved_to = later(hours=2)
        client.patch(
            f"/v1/ticker/{headline['id']}", json={"starts_at": moved_to.isoformat()}, headers=admin
        )
        assert [e.due_at for e in outbox(session)] == [moved_to]

        client.delete(f"/v1/ticker/{headline['id']}", headers=admin)

        assert outbox(session) == []

    def test_a_linked_article_leaving_public_view_changes_the_bar(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        article = make_article(session, "خبر مرتبط")
        headline = make_headline(session, "عاجل | تفاصيل", article_id=article.id)
        patch(client, admin, article.id, status="archived")  # type: ignore[arg-type]

        events = outbox(session)

        assert [e.type for e in events][-2:] == ["article.unpublished", "ticker.changed"]
        assert events[-1].data["reason"] == "article_changed"
        assert events[-1].data["headline_ids"] == [headline.id]


class TestComments:
    @pytest.fixture
    def article(self, session: Session) -> Article:
        return make_article(session, "مقال للتعليق")

    def post(self, client: TestClient, article: Article) -> int:
        response = client.post(
            f"/v1/articles/{article.id}/comments",
            json={"author_name": "قارئة", "author_email": "reader@example.org", "body": "رأي"},
        )
        assert response.status_code == 202, response.text
        return int(response.json()["id"])

    def test_approval_edit_and_removal_have_events_without_private_fields(
        self, client: TestClient, session: Session, admin: dict, article: Article
    ) -> None:
        comment_id = self.post(client, article)
        assert outbox(session)[-1].type == "article.published"  # from make_article

        for change in ({"status": "approved"}, {"body": "رأي بعد التحرير"}, {"status": "spam"}):
            response = client.patch(f"/v1/comments/{comment_id}", json=change, headers=admin)
            assert response.status_code == 200, response.text

        events = outbox(session)[1:]
        assert [e.type for e in events] == [
            "comment.approved",
            "comment.updated",
            "comment.removed",
        ]
        approved = events[0].data
        public = client.get(f"/v1/articles/{article.id}/comments").json()
        assert public["data"] == []  # spam now
        assert approved["comment"]["id"] == comment_id
        assert approved["comment"]["body"] == "رأي"
        assert set(approved["comment"]) == {
            "id",
            "article_id",
            "parent_id",
            "author_name",
            "author_url",
            "body",
            "created_at",
        }
        assert approved["article"] == {"id": article.id, "slug": article.slug}
        assert approved["surrogate_keys"] == [
            f"article-{article.id}-comments",
            f"article-{article.id}",
        ]
        assert all("reader@example.org" not in str(e.body) for e in events)

    def test_nothing_is_said_of_comments_on_an_article_the_public_cannot_see(
        self, client: TestClient, session: Session, admin: dict, article: Article
    ) -> None:
        comment_id = self.post(client, article)
        # Unpublished, and its slug changed while a draft: the slug is not public.
        unpublished = client.patch(
            f"/v1/articles/{article.id}",
            json={"status": "draft", "slug": "عنوان-لم-ينشر-بعد"},
            headers=admin,
        )
        assert unpublished.status_code == 200, unpublished.text
        before = len(outbox(session))

        for change in ({"status": "approved"}, {"body": "رأي بعد التحرير"}, {"status": "spam"}):
            response = client.patch(f"/v1/comments/{comment_id}", json=change, headers=admin)
            assert response.status_code == 200, response.text

        assert outbox(session)[before:] == []
        assert "عنوان-لم-ينشر-بعد" not in str([e.body for e in outbox(session)])

    def test_a_held_comment_writes_nothing(
        self, client: TestClient, session: Session, admin: dict, article: Article
    ) -> None:
        before = len(outbox(session))
        comment_id = self.post(client, article)
        client.patch(f"/v1/comments/{comment_id}", json={"status": "trash"}, headers=admin)

        assert len(outbox(session)) == before


class TestMedia:
    """A picture's files are public: a change says which files went, and the articles
    showing it are announced as changed."""

    def test_a_new_focal_point_and_a_deletion_are_announced_with_the_files_that_went(
        self, client: TestClient, session: Session, admin: dict
    ) -> None:
        picture = client.post(
            "/v1/media",
            files={"file": ("a.jpg", pictures.jpeg(800, 600))},
            data={"alt": "ساحة المدينة"},
            headers=admin,
        ).json()
        article = publish(client, admin, featured_image={"media_id": picture["id"]})
        before = len(outbox(session))
        crops = {f["url"] for f in picture["renditions"] if f["kind"] == "crop"}

        moved = client.patch(
            f"/v1/media/{picture['id']}", json={"focal_point": {"x": 0, "y": 0}}, headers=admin
        ).json()

        media_event, article_event = outbox(session)[before:]
        assert media_event.type == "media.updated"
        assert media_event.data["media"] == moved
        kept = {f["url"] for f in moved["renditions"]}
        assert sorted(media_event.data["removed_files"]) == sorted(crops - kept)
        assert media_event.data["surrogate_keys"] == [f"media-{picture['id']}"]
        assert article_event.type == "article.updated"
        assert article_event.data["article"]["id"] == article["id"]
        assert article_event.data["article"]["featured_image"]["renditions"] == moved["renditions"]
        assert f"media-{picture['id']}" in article_event.data["surrogate_keys"]

        before = len(outbox(session))
        client.delete(f"/v1/media/{picture['id']}?detach=true", headers=admin)

        media_event, article_event = outbox(session)[before:]
        assert (media_event.type, media_event.data["media"]) == ("media.deleted", None)
        assert sorted(media_event.data["removed_files"]) == sorted(kept)
        assert article_event.type == "article.updated"
        assert article_event.data["article"]["featured_image"] is None
