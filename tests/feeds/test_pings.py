"""Pings on publication, to a real WebSub hub and IndexNow endpoint on 127.0.0.1, sent
through the webhook outbox by the app's delivery worker."""

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, quote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.main import create_app
from app.models import WebhookSubscription
from tests.factories import bearer, make_token
from tests.feeds.test_feeds import API, NS, SITE, site_settings
from tests.webhooks.receiver import Receiver, receiving

KEY = "5f0c9a1e2b7d4c3a8e61"
FAST = {
    "webhooks_worker": True,
    "webhooks_allow_private_targets": True,
    "webhooks_retry_base_seconds": 0.2,
    "webhooks_poll_seconds": 0.05,
    "webhooks_timeout_seconds": 5.0,
}
FEEDS = [f"{API}/feeds/rss.xml", f"{API}/feeds/atom.xml", f"{API}/feeds/feed.json"]


@contextmanager
def pinging(
    settings: Settings, hub: Receiver | None, indexnow: Receiver | None
) -> Iterator[TestClient]:
    changes: dict[str, object] = {**FAST, "site_article_url": "/{category}/{slug}"}
    if hub is not None:
        changes["websub_hub_url"] = hub.url
    if indexnow is not None:
        changes |= {"indexnow_key": KEY, "indexnow_url": indexnow.url}
    with TestClient(create_app(site_settings(settings, **changes))) as client:
        yield client


def publish(client: TestClient, token: dict[str, str], title: str, **fields: object) -> dict:
    started = time.monotonic()
    response = client.post(
        "/v1/articles",
        json={"title": title, "body": "<p>نص الخبر</p>", "status": "published", **fields},
        headers=token,
    )
    assert response.status_code == 201, response.text
    # The receivers answer in 3 s: nothing waited for them. (A fresh app's first write has
    # taken 1.1 s on PostgreSQL under a loaded CI, receivers or none: the margin is wide.)
    assert time.monotonic() - started < 2
    return dict(response.json())


def test_a_publication_pings_the_hub_and_indexnow(settings: Settings, session: Session) -> None:
    token = bearer(make_token(session))
    with (
        receiving(delay=3) as hub,
        receiving(delay=3) as indexnow,
        pinging(settings, hub, indexnow) as client,
    ):
        client.post("/v1/categories", json={"name": "اقتصاد"}, headers=token)
        article = publish(client, token, "البورصة تغلق مرتفعة", category="اقتصاد")
        [to_hub] = hub.wait_for(1)
        [to_indexnow] = indexnow.wait_for(1)

    assert to_hub.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(to_hub.body.decode()) == [
        ("hub.mode", "publish"),
        *(("hub.url", feed) for feed in FEEDS),
    ]
    assert "webhook-signature" not in to_hub.headers
    assert to_indexnow.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(to_indexnow.body) == {
        "host": "akhbar.example",
        "key": KEY,
        "urlList": [f"{SITE}/{quote('اقتصاد')}/{quote(article['slug'])}"],
    }


def test_a_new_slug_pings_the_old_page_too_and_a_failing_hub_is_retried(
    settings: Settings, session: Session
) -> None:
    token = bearer(make_token(session))
    with receiving([500, 503]) as hub, receiving() as indexnow:
        with pinging(settings, hub, indexnow) as client:
            article = publish(client, token, "خبر أول")
            hub.wait_for(3)  # two failures, then the ping that succeeded
            indexnow.wait_for(1)
            client.patch(
                f"/v1/articles/{article['id']}", json={"slug": "عنوان-جديد"}, headers=token
            )
            [_, moved] = indexnow.wait_for(2)
        kinds = session.exec(
            select(WebhookSubscription.kind).where(col(WebhookSubscription.kind) != "webhook")
        ).all()

    assert sorted(kinds) == ["indexnow", "websub"]
    assert json.loads(moved.body)["urlList"] == [
        f"{SITE}/-/{quote('عنوان-جديد')}",
        f"{SITE}/-/{quote(article['slug'])}",
    ]


def test_the_feeds_name_the_hub(settings: Settings, session: Session) -> None:
    with receiving() as hub, pinging(settings, hub, None) as client:
        rss = ET.fromstring(client.get("/feeds/rss.xml").content)
        atom = ET.fromstring(client.get("/feeds/atom.xml").content)
        feed = client.get("/feeds/feed.json").json()

    hub_link = rss.find("channel/atom:link[@rel='hub']", NS)
    assert hub_link is not None
    assert hub_link.get("href") == hub.url
    atom_hub = atom.find("atom:link[@rel='hub']", NS)
    assert atom_hub is not None
    assert atom_hub.get("href") == hub.url
    assert feed["hubs"] == [{"type": "WebSub", "url": hub.url}]


def test_pings_are_the_settings_own(settings: Settings, session: Session) -> None:
    token = bearer(make_token(session))
    with receiving() as hub:
        with pinging(settings, hub, None) as client:
            assert client.get("/v1/webhooks", headers=token).json()["data"] == []
            [ping] = session.exec(
                select(WebhookSubscription).where(col(WebhookSubscription.kind) == "websub")
            ).all()
            assert client.get(f"/v1/webhooks/{ping.id}", headers=token).status_code == 404
        # Started again without the setting: the hub hears no more.
        with pinging(settings, None, None) as client:
            publish(client, token, "خبر لا يبلغ عنه")
            time.sleep(0.5)
        session.expire_all()
        assert session.get(WebhookSubscription, ping.id).is_active is False  # type: ignore[union-attr]
    assert hub.received == []


def test_pings_need_the_site(settings: Settings) -> None:
    with pytest.raises(ValueError, match="AKHBAR_WEBSUB_HUB_URL needs AKHBAR_SITE_URL"):
        Settings(websub_hub_url="https://pubsubhubbub.appspot.com/")
    with pytest.raises(ValueError, match="AKHBAR_INDEXNOW_KEY needs AKHBAR_SITE_URL"):
        Settings(indexnow_key=KEY)
