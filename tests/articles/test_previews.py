"""Draft previews: secret links that show a draft, or a pinned revision, to whoever holds
them, and nothing to anyone else; on both databases."""

import hashlib
import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.scopes import Scope
from app.core.config import Settings
from app.main import create_app
from app.models import ArticlePreview
from tests.factories import bearer, make_category, make_tag, make_token
from tests.test_caching import lookups

DRAFT = {
    "title": "مسودة: خطة النقل الجديدة",
    "body": "<p>تفاصيل الخطة قبل إعلانها.</p>",
    "category": "محليات",
    "tags": ["نقل"],
}


@pytest.fixture
def editor(session: Session) -> dict[str, str]:
    make_category(session, "محليات")
    make_tag(session, "نقل")
    return bearer(make_token(session, Scope.articles_write))


@pytest.fixture
def draft(client: TestClient, editor: dict[str, str]) -> dict:
    response = client.post("/v1/articles", json=DRAFT, headers=editor)
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_link(client: TestClient, editor: dict[str, str], article_id: int, **body: object) -> dict:
    response = client.post(f"/v1/articles/{article_id}/previews", json=body, headers=editor)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_link_shows_the_draft_as_it_is_to_anyone_holding_it(
    client: TestClient, editor: dict[str, str], draft: dict, session: Session
) -> None:
    link = make_link(client, editor, draft["id"])
    assert link["secret"].startswith("akp_")
    assert link["url"] is None
    assert link["revision_id"] is None

    shown = client.get(f"/v1/previews/{link['secret']}")
    assert shown.status_code == 200
    assert shown.json()["title"] == DRAFT["title"]
    assert shown.json()["status"] == "draft"
    assert [t["slug"] for t in shown.json()["tags"]] == ["نقل"]
    assert shown.headers["cache-control"] == "private, no-store"
    assert shown.headers["x-robots-tag"] == "noindex"
    assert shown.headers.get_list("referrer-policy") == ["no-referrer"]

    # The link follows the draft.
    edited = client.patch(
        f"/v1/articles/{draft['id']}", json={"title": "الخطة بعد التعديل"}, headers=editor
    )
    assert edited.status_code == 200
    assert client.get(f"/v1/previews/{link['secret']}").json()["title"] == "الخطة بعد التعديل"

    # Only a digest of the secret is stored.
    [row] = session.exec(select(ArticlePreview)).all()
    assert row.digest == hashlib.sha256(link["secret"].encode()).hexdigest()
    assert link["secret"] not in repr(row.model_dump())


def test_a_pinned_revision_stays_as_it_was(
    client: TestClient, editor: dict[str, str], draft: dict
) -> None:
    client.patch(
        f"/v1/articles/{draft['id']}",
        json={"title": "العنوان الثاني", "body": "<p>نص ثان.</p>", "tags": []},
        headers=editor,
    )
    [revision] = client.get(f"/v1/articles/{draft['id']}/revisions", headers=editor).json()["data"]
    link = make_link(client, editor, draft["id"], revision_id=revision["id"])
    client.patch(f"/v1/articles/{draft['id']}", json={"title": "العنوان الثالث"}, headers=editor)

    shown = client.get(f"/v1/previews/{link['secret']}").json()
    assert shown["title"] == DRAFT["title"]
    assert shown["body"] == DRAFT["body"]
    assert [t["slug"] for t in shown["tags"]] == ["نقل"]
    assert shown["category"]["slug"] == "محليات"
    assert shown["version"] == revision["version"]

    other = client.post("/v1/articles", json={"title": "خبر آخر"}, headers=editor).json()
    refused = client.post(
        f"/v1/articles/{other['id']}/previews", json={"revision_id": revision["id"]}, headers=editor
    )
    assert refused.status_code == 404


def test_expired_revoked_and_unknown_links_are_the_same_404(
    client: TestClient, editor: dict[str, str], draft: dict
) -> None:
    short = make_link(client, editor, draft["id"], expires_in=1)
    kept = make_link(client, editor, draft["id"])
    revoked = make_link(client, editor, draft["id"])
    listed = client.get(f"/v1/articles/{draft['id']}/previews", headers=editor).json()["data"]
    assert [p["id"] for p in listed] == [revoked["id"], kept["id"], short["id"]]
    assert "secret" not in listed[0]

    gone = client.delete(f"/v1/articles/{draft['id']}/previews/{revoked['id']}", headers=editor)
    assert gone.status_code == 204
    again = client.delete(f"/v1/articles/{draft['id']}/previews/{revoked['id']}", headers=editor)
    assert again.status_code == 404
    time.sleep(1.1)

    answers = [
        client.get(f"/v1/previews/{secret}")
        for secret in (short["secret"], revoked["secret"], "akp_" + "x" * 43)
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert len({a.json()["detail"] for a in answers}) == 1
    assert client.get(f"/v1/previews/{kept['secret']}").status_code == 200
    listed = client.get(f"/v1/articles/{draft['id']}/previews", headers=editor).json()["data"]
    assert [p["id"] for p in listed] == [kept["id"]]


def test_previews_leak_nowhere(
    client: TestClient, editor: dict[str, str], draft: dict, session: Session
) -> None:
    link = make_link(client, editor, draft["id"])
    before = lookups(client)
    for _ in range(2):
        assert client.get(f"/v1/previews/{link['secret']}").status_code == 200
    after = lookups(client)
    assert after.get("hit", 0) == before.get("hit", 0)  # never served from the cache
    assert client.get("/v1/articles").json()["data"] == []
    assert client.get(f"/v1/articles/{draft['id']}").status_code == 404
    assert client.get("/v1/search", params={"q": "خطة النقل"}).json()["data"] == []
    # A deleted article's links show nothing.
    assert client.delete(f"/v1/articles/{draft['id']}", headers=editor).status_code == 204
    assert client.get(f"/v1/previews/{link['secret']}").status_code == 404


def test_writing_links_needs_articles_write(
    client: TestClient, session: Session, draft: dict
) -> None:
    reader = bearer(make_token(session, Scope.comments_moderate))
    for method in ("post", "get"):
        denied = getattr(client, method)(f"/v1/articles/{draft['id']}/previews", headers=reader)
        assert denied.status_code == 403
        assert getattr(client, method)(f"/v1/articles/{draft['id']}/previews").status_code == 401
    too_long = client.post(
        f"/v1/articles/{draft['id']}/previews",
        json={"expires_in": 7 * 24 * 3600 + 1},
        headers=bearer(make_token(session, Scope.articles_write)),
    )
    assert too_long.status_code == 422


def test_the_frontend_url(settings: Settings, session: Session) -> None:
    make_category(session, "محليات")
    make_tag(session, "نقل")
    editor = bearer(make_token(session, Scope.articles_write))
    template = "https://akhbar.example/preview?key={secret}"
    app = create_app(settings.model_copy(update={"preview_url_template": template}))
    with TestClient(app) as client:
        article = client.post("/v1/articles", json=DRAFT, headers=editor).json()
        link = make_link(client, editor, article["id"])
    assert link["url"] == f"https://akhbar.example/preview?key={link['secret']}"
    with pytest.raises(ValueError, match="secret"):
        Settings(preview_url_template="https://akhbar.example/preview")


def test_a_link_s_secret_never_reaches_the_access_log(
    settings: Settings, session: Session, capfd: pytest.CaptureFixture[str]
) -> None:
    make_category(session, "محليات")
    make_tag(session, "نقل")
    editor = bearer(make_token(session, Scope.articles_write))
    app = create_app(settings.model_copy(update={"access_log": True, "log_level": "info"}))
    with TestClient(app) as client:
        article = client.post("/v1/articles", json=DRAFT, headers=editor).json()
        link = make_link(client, editor, article["id"])
        assert client.get(f"/v1/previews/{link['secret']}").status_code == 200
        time.sleep(0.2)  # the access log writes its lines in batches
    out = capfd.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if '"akhbar.access"' in line]
    assert "/v1/previews/akp_[redacted]" in [line["path"] for line in lines]
    assert link["secret"] not in out
