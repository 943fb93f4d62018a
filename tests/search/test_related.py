"""Related articles: the pinned ones an editor chose (a `related` field written like tags),
then automatic matches that find the articles on the same event by what they say."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import ArticleRelated
from app.text.slugs import slugify
from tests.factories import bearer, make_article, make_category, make_tag, make_token
from tests.search.related_collection import DESKS, EVENTS, background


def load_events(session: Session) -> dict[str, list[int]]:
    """The collection, newest last, after a background of articles in common words: the
    ids of each event's articles."""
    for category, tag in DESKS:
        make_category(session, category)
        make_tag(session, tag)
    for number, (title, body) in enumerate(background(300)):
        make_article(session, title, body=f"<p>{body}</p>", hours=number / 10)
    events: dict[str, list[int]] = {}
    for number, (event, articles) in enumerate(EVENTS.items()):
        for k, (title, body) in enumerate(articles):
            category, tag = DESKS[k]
            article = make_article(
                session,
                title,
                body=f"<p>{body}</p>",
                category=slugify(category),
                tags=[slugify(tag)],
                hours=20 + number + k / 10,
            )
            assert article.id is not None
            events.setdefault(event, []).append(article.id)
    return events


def related_ids(client: TestClient, ref: object, **params: object) -> list[int]:
    response = client.get(f"/v1/articles/{ref}/related", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_articles_on_the_same_event_come_first_though_they_share_no_tag(
    client: TestClient, session: Session
) -> None:
    events = load_events(session)
    for event, ids in events.items():
        for article_id in ids:
            siblings = set(ids) - {article_id}
            found = related_ids(client, article_id)
            assert len(found) == 5
            assert set(found[:3]) == siblings, (event, article_id, found)
            assert article_id not in found


def test_an_answer_names_what_it_is_and_why(client: TestClient, session: Session) -> None:
    events = load_events(session)
    quake = events["quake"]
    response = client.get(f"/v1/articles/{quake[0]}/related", params={"limit": 2})

    assert response.status_code == 200
    assert (
        response.headers["Cache-Control"]
        == "public, max-age=30, s-maxage=60, stale-while-revalidate=30"
    )
    keys = response.headers["Surrogate-Key"].split()
    assert {f"article-{quake[0]}", "articles", "search"} <= set(keys)
    items = response.json()["data"]
    assert len(items) == 2
    assert {item["id"] for item in items} <= set(quake)
    assert all(f"article-{item['id']}" in keys for item in items)
    assert all(item["pinned"] is False and "body" not in item for item in items)
    assert items[0]["title"] in [title for title, _ in EVENTS["quake"]]


def test_pinned_articles_come_first_in_order_and_only_public_ones(
    client: TestClient, session: Session
) -> None:
    events = load_events(session)
    quake, rates = events["quake"], events["rates"]
    draft = make_article(session, "مسودة عن زلزال مرسين", status="draft", published_at=None)
    editor = bearer(make_token(session))
    slug = client.get(f"/v1/articles/{rates[2]}").json()["slug"]

    # By id and by slug, in the editor's order, once each.
    changed = client.patch(
        f"/v1/articles/{quake[0]}",
        json={"related": [rates[3], slug, draft.id, rates[3]]},
        headers=editor,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["related"] == [rates[3], rates[2], draft.id]

    # The public sees the public ones, pinned first, then the event's own articles.
    assert client.get(f"/v1/articles/{quake[0]}").json()["related"] == [rates[3], rates[2]]
    items = client.get(f"/v1/articles/{quake[0]}/related").json()["data"]
    assert [(item["id"], item["pinned"]) for item in items] == [
        (rates[3], True),
        (rates[2], True),
        *[(item["id"], False) for item in items[2:]],
    ]
    assert {item["id"] for item in items[2:]} == set(quake[1:])
    assert draft.id not in [item["id"] for item in items]
    assert related_ids(client, quake[0], limit=1) == [rates[3]]

    # Published, the pinned draft shows in both answers (the cached ones end).
    published = client.patch(
        f"/v1/articles/{draft.id}", json={"status": "published"}, headers=editor
    )
    assert published.status_code == 200
    assert client.get(f"/v1/articles/{quake[0]}").json()["related"] == [
        rates[3],
        rates[2],
        draft.id,
    ]
    assert related_ids(client, quake[0], limit=3) == [rates[3], rates[2], draft.id]

    # An editor reads back what was written; a revision keeps it; [] clears it.
    assert client.get(f"/v1/articles/{quake[0]}", headers=editor).json()["related"] == [
        rates[3],
        rates[2],
        draft.id,
    ]
    cleared = client.patch(f"/v1/articles/{quake[0]}", json={"related": []}, headers=editor)
    assert cleared.json()["related"] == []
    revision = client.get(f"/v1/articles/{quake[0]}/revisions", headers=editor).json()["data"][0]
    assert revision["snapshot"]["related"] == [rates[3], rates[2], draft.id]
    restored = client.post(
        f"/v1/articles/{quake[0]}/revisions/{revision['id']}/restore", headers=editor
    )
    assert restored.json()["related"] == [rates[3], rates[2], draft.id]


def test_drafts_and_deleted_articles_are_never_matched(
    client: TestClient, session: Session
) -> None:
    events = load_events(session)
    quake = events["quake"]
    twin = make_article(
        session,
        "زلزال مرسين: هزات ارتدادية وفرق الإنقاذ بين الأنقاض",
        body="<p>زلزال مرسين والهزات الارتدادية وأنقاض المباني وفرق الإنقاذ.</p>",
        status="draft",
        published_at=None,
    )
    editor = bearer(make_token(session))
    assert client.delete(f"/v1/articles/{quake[1]}", headers=editor).status_code == 204

    found = related_ids(client, quake[0], limit=20)
    assert twin.id not in found
    assert quake[1] not in found
    assert quake[0] not in found
    assert set(quake[2:]) <= set(found[:2])

    # Published, it is the best match of all.
    client.patch(f"/v1/articles/{twin.id}", json={"status": "published"}, headers=editor)
    assert related_ids(client, quake[0])[0] == twin.id


def test_pinning_is_checked(client: TestClient, session: Session) -> None:
    first = make_article(session, "الخبر الأول")
    second = make_article(session, "الخبر الثاني")
    editor = bearer(make_token(session))

    def pin(related: object) -> tuple[int, object]:
        response = client.patch(
            f"/v1/articles/{first.id}", json={"related": related}, headers=editor
        )
        body = response.json()
        return response.status_code, body.get("errors", body.get("related"))

    status, errors = pin([second.id, "لا-خبر-بهذا-العنوان"])
    assert status == 422
    assert [error["loc"] for error in errors] == [["body", "related", 1]]  # type: ignore[union-attr]
    status, errors = pin([first.id])
    assert status == 422
    assert "itself" in errors[0]["message"]  # type: ignore[index]
    assert pin([0])[0] == 422
    assert pin([str(2**40)])[0] == 422
    assert pin(list(range(1, 22)))[0] == 422
    assert pin(None)[0] == 422
    assert session.exec(select(ArticleRelated)).all() == []

    # A new article may pin others; a purged one leaves the lists it was in.
    created = client.post(
        "/v1/articles",
        json={"title": "خبر ثالث", "status": "published", "related": [second.id, first.slug]},
        headers=editor,
    )
    assert created.status_code == 201
    assert created.json()["related"] == [second.id, first.id]
    assert client.delete(f"/v1/articles/{second.id}", headers=editor).status_code == 204
    assert client.get(f"/v1/articles/{created.json()['id']}").json()["related"] == [first.id]
    assert client.post(f"/v1/articles/{second.id}/purge", headers=editor).status_code == 204
    assert client.get(f"/v1/articles/{created.json()['id']}", headers=editor).json()["related"] == [
        first.id
    ]


def test_only_a_public_article_has_related_articles(client: TestClient, session: Session) -> None:
    draft = make_article(session, "مسودة", status="draft", published_at=None)
    article = make_article(session, "خبر منشور")

    assert client.get(f"/v1/articles/{draft.id}/related").status_code == 404
    assert client.get("/v1/articles/لا-خبر/related").status_code == 404
    assert client.get(f"/v1/articles/{article.id}/related").json() == {"data": []}
    for limit in (0, 21, "خمسة"):
        response = client.get(f"/v1/articles/{article.id}/related", params={"limit": limit})
        assert response.status_code == 422
        assert response.headers["Content-Type"] == "application/problem+json"
