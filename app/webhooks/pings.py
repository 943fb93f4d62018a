"""Pings on publication: a WebSub hub (the feeds changed) and IndexNow (this page
changed), each off until its setting is given.

Each is a subscription of its own kind to the article events, kept as the settings say
(``keep_pings``, when a delivery worker starts), so a ping goes through the outbox like
any webhook: written with the change, sent by the worker, retried with back-off, its
attempts on record; a write never waits for it. Admins do not see them among the
webhooks (``app.webhooks.subscriptions``): the settings own them.

- WebSub (https://www.w3.org/TR/websub/#publishing): ``hub.mode=publish`` and the
  site's feeds as ``hub.url``, form-encoded. The feeds name the hub (``rel="hub"``).
- IndexNow (https://www.indexnow.org/documentation): the page's URL (and its URL before
  a change of slug), the site's host and the key, as JSON. The site must serve the key
  file (at ``https://<site>/<key>.txt``, or at ``AKHBAR_INDEXNOW_KEY_LOCATION``).
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit

import orjson
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.clock import utc_now
from app.core.config import Settings
from app.core.site import PageArticle, PageTerm, Site
from app.models import WebhookSubscription
from app.webhooks.schemas import EventType

WEBSUB = "websub"
INDEXNOW = "indexnow"
# What changes a page, or the feeds: the events both are told of.
EVENTS = [
    EventType.article_published,
    EventType.article_updated,
    EventType.article_unpublished,
    EventType.article_deleted,
]


@dataclass(frozen=True)
class Pings:
    """What a ping needs beyond its subscription."""

    site: Site
    indexnow_key: str | None
    indexnow_key_location: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Pings | None":
        site = Site.from_settings(settings)
        if site is None:
            return None
        return cls(site, settings.indexnow_key, settings.indexnow_key_location)

    def request(self, kind: str, event: bytes) -> tuple[str, bytes]:
        """The content type and body of the ping of ``kind`` for the event ``event``."""
        if kind == WEBSUB:
            fields = [("hub.mode", "publish")] + [("hub.url", url) for url in self.site.feed_urls]
            return "application/x-www-form-urlencoded", urlencode(fields).encode()
        data = orjson.loads(event)["data"]
        article = data["article"]
        category = article["category"]
        # The page now, and the page it had before a change of slug (that URL changed too).
        urls = [
            self.site.article_url(
                PageArticle(
                    article["id"],
                    slug,
                    datetime.fromisoformat(published)
                    if (published := article["published_at"])
                    else None,
                    PageTerm(category["id"], category["slug"]) if category else None,
                )
            )
            for slug in (article["slug"], data.get("previous_slug"))
            if slug
        ]
        body: dict[str, object] = {
            "host": urlsplit(self.site.url).hostname,
            "key": self.indexnow_key,
            "urlList": urls,
        }
        if self.indexnow_key_location:
            body["keyLocation"] = self.indexnow_key_location
        return "application/json; charset=utf-8", orjson.dumps(body)


def keep_pings(session: Session, settings: Settings) -> None:
    """Make the ping subscriptions what the settings say: one of each kind set, active,
    at its URL; one no longer set, inactive (its delivery log kept)."""
    wanted = {
        WEBSUB: settings.websub_hub_url,
        INDEXNOW: settings.indexnow_url if settings.indexnow_key else None,
    }
    now = utc_now()
    for kind, url in wanted.items():
        row = session.exec(
            select(WebhookSubscription).where(col(WebhookSubscription.kind) == kind)
        ).first()
        if row is None:
            if url is None:
                continue
            row = WebhookSubscription(kind=kind, url=url, events=[], secret="", created_at=now)
        wanted_row = (url or row.url, [str(event) for event in EVENTS], url is not None)
        if (row.url, row.events, row.is_active) == wanted_row:
            continue
        row.url, row.events, row.is_active = wanted_row
        row.description, row.updated_at = f"{kind} ping (settings)", now
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another worker, starting at once, made it first
            session.rollback()
