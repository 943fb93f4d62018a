"""The e-mail never leaves: not the address, not a hash of it, in no public answer."""

import hashlib
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.main import create_app
from tests.factories import make_article, make_headline

ADDRESSES = ["Layla.Haddad@Example.ORG", "saeed+news@mail.example.com"]


def forms(address: str) -> set[str]:
    """The address and its hex digests, as given and lower-cased."""
    found = set()
    for variant in {address, address.lower(), address.strip().lower()}:
        found.add(variant)
        for algorithm in ("md5", "sha1", "sha256"):
            found.add(hashlib.new(algorithm, variant.encode()).hexdigest())
    return found


def test_no_public_answer_carries_an_address_or_its_hash(
    settings: Settings, session: Session
) -> None:
    article = make_article(session, "خبر للتعليق")
    make_headline(session, "خاص | خبر", article_id=article.id)
    app = create_app(
        settings.model_copy(
            update={
                "comments_auto_approve": True,
                "comments_flood_seconds": 0,
                "comments_max_links": 0,
            }
        )
    )
    answers = []
    with TestClient(app) as client:
        for n, address in enumerate(ADDRESSES):
            body = {"author_name": f"قارئ {n}", "author_email": address, "body": f"رأيي {n}"}
            answers.append(client.post(f"/v1/articles/{article.id}/comments", json=body))
            # The same again (409), and one with a link held for moderation.
            answers.append(client.post(f"/v1/articles/{article.id}/comments", json=body))
            answers.append(
                client.post(
                    f"/v1/articles/{article.id}/comments",
                    json={**body, "body": "https://a.example"},
                )
            )
            # Errors that name the e-mail field must not echo it.
            answers.append(
                client.post(
                    f"/v1/articles/{article.id}/comments",
                    json={**body, "author_email": address + "@@", "body": "x"},
                )
            )
        for path in [
            "/v1/articles",
            f"/v1/articles/{article.id}",
            f"/v1/articles/{quote(article.slug)}",
            f"/v1/articles/{article.id}/comments",
            "/v1/ticker",
            "/v1/categories",
            "/v1/tags",
            "/v1/authors",
            "/openapi.json",
        ]:
            answers.append(client.get(path))

    assert [a.status_code for a in answers[:4]] == [201, 409, 202, 422]
    assert len(answers) == 17
    haystacks = [a.text + "\n".join(f"{k}: {v}" for k, v in a.headers.items()) for a in answers]
    for address in ADDRESSES:
        for form in forms(address):
            leaks = [
                a.request.url.path
                for a, h in zip(answers, haystacks, strict=True)
                if form.lower() in h.lower()
            ]
            assert leaks == [], f"{form!r} appears in {leaks}"
