"""The outbox: events written in the transaction of the change that causes them.

The outbox hears the domains' events (``subscribe``, wired by ``app.wiring``) and writes
a row for each in the transaction of the change that causes it, so an event exists
exactly when its change does: a rollback takes both away, a crash after the commit loses
neither. No domain imports this module. A change the public will only see later (a
scheduled article, a ticker window) leaves an event due at that moment, which the next
change of the same thing replaces. Delivery is the worker's business
(``app.webhooks.worker``).
"""

import os
import time
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from app.articles.events import ArticleChanged, SeenArticle
from app.articles.schemas import ArticleListItem, article_keys
from app.comments.events import CommentChanged
from app.comments.schemas import CommentPublic
from app.core.db import mark
from app.core.events import EventHandlers
from app.media.events import MediaChanged
from app.media.schemas import media_public
from app.models import Article, CommentStatus, Media, WebhookEvent
from app.models.media import file_url
from app.ticker.events import HeadlinesChanged, HeadlineWindowSet, TickerReason
from app.webhooks.schemas import (
    ArticleEvent,
    ArticleEventData,
    ArticleRef,
    CommentEvent,
    CommentEventData,
    Event,
    EventType,
    MediaEvent,
    MediaEventData,
    TickerEvent,
    TickerEventData,
)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Marks a transaction that wrote an event to send (app.core.db.mark): its commit wakes the
# webhook worker of this process (DeliveryWorker.on_commit).
EVENT_WRITTEN = "webhook event"


def subscribe(handlers: EventHandlers) -> None:
    handlers.subscribe(ArticleChanged, article_changed)
    handlers.subscribe(CommentChanged, comment_changed)
    handlers.subscribe(HeadlinesChanged, headlines_changed)
    handlers.subscribe(HeadlineWindowSet, headline_window)
    handlers.subscribe(MediaChanged, media_changed)


def new_message_id() -> str:
    """``msg_`` and a ULID: unique, and in the order the events were made."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return "msg_" + "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def record(
    session: Session,
    envelope: type[Event],
    event_type: str,
    data: object,
    *,
    now: datetime,
    due_at: datetime | None = None,
    subject: str | None = None,
) -> WebhookEvent:
    """Add an event to the session's transaction, its body made now, once."""
    message_id = new_message_id()
    timestamp = due_at or now
    body = envelope.model_validate(
        {"id": message_id, "type": event_type, "timestamp": timestamp, "data": data}
    )
    row = WebhookEvent(
        message_id=message_id,
        type=event_type,
        subject=subject,
        payload=body.model_dump_json(),
        due_at=timestamp,
        created_at=now,
    )
    session.add(row)
    mark(session, EVENT_WRITTEN)
    return row


def cancel_scheduled(session: Session, subject: str, now: datetime) -> None:
    """Drop the events still waiting for their moment about ``subject``."""
    session.execute(
        delete(WebhookEvent).where(
            col(WebhookEvent.subject) == subject,
            col(WebhookEvent.fanned_out_at).is_(None),
            col(WebhookEvent.due_at) > now,
        )
    )


# Articles


def article_changed(session: Session, event: ArticleChanged) -> None:
    """Record what the public will notice of this (flushed) change of an article."""
    article, before, now = event.article, event.before, event.now
    assert article.id is not None
    subject = f"article-{article.id}"
    cancel_scheduled(session, subject, now)
    public, scheduled = article.is_public_at(now), article.is_scheduled_at(now)
    current = None
    if public or scheduled:
        # Its terms as they are now, links written by this change included.
        session.flush()
        session.expire(article, ["category", "tags", "authors"])
        current = _article_data(article, before)
    if before.item is not None and not public:
        gone = EventType.article_deleted if article.deleted_at else EventType.article_unpublished
        keys = ["articles", *before.keys, f"{subject}-comments"]
        data = ArticleEventData(article=before.item, surrogate_keys=keys)
        record(session, ArticleEvent, gone, data, now=now)
    elif current is not None and public:
        changed = EventType.article_updated if before.item else EventType.article_published
        record(session, ArticleEvent, changed, current, now=now)
    if current is not None and scheduled:
        assert article.published_at is not None
        record(
            session,
            ArticleEvent,
            EventType.article_published,
            current,
            now=now,
            due_at=article.published_at,
            subject=subject,
        )


def _article_data(article: Article, before: SeenArticle) -> ArticleEventData:
    keys = list(dict.fromkeys(["articles", *before.keys, *article_keys(article)]))
    moved = before.item is not None and before.item.slug != article.slug
    return ArticleEventData(
        article=ArticleListItem.from_article(article),
        previous_slug=before.item.slug if moved and before.item else None,
        surrogate_keys=keys,
    )


# The ticker


def headlines_changed(session: Session, event: HeadlinesChanged) -> None:
    _ticker_event(session, event.reason, event.headline_ids, now=event.now)


def _ticker_event(
    session: Session,
    reason: TickerReason,
    headline_ids: Iterable[int],
    *,
    now: datetime,
    due_at: datetime | None = None,
    subject: str | None = None,
) -> None:
    data = TickerEventData(
        reason=reason, headline_ids=list(headline_ids), surrogate_keys=["ticker"]
    )
    record(
        session,
        TickerEvent,
        EventType.ticker_changed,
        data,
        now=now,
        due_at=due_at,
        subject=subject,
    )


def headline_window(session: Session, event: HeadlineWindowSet) -> None:
    """The events of a headline's window opening and closing later, replacing earlier ones."""
    subject = f"ticker-headline-{event.headline_id}"
    cancel_scheduled(session, subject, event.now)
    for moment, reason in event.edges:
        _ticker_event(
            session, reason, [event.headline_id], now=event.now, due_at=moment, subject=subject
        )


# Comments


def comment_changed(session: Session, event: CommentChanged) -> None:
    """Approved (now, not before), removed (before, not now), or edited while approved."""
    comment, now = event.comment, event.now
    approved = comment.status is CommentStatus.approved
    was_approved = event.before is CommentStatus.approved
    if approved and not was_approved:
        event_type = EventType.comment_approved
    elif was_approved and not approved:
        event_type = EventType.comment_removed
    elif approved and event.edited:
        event_type = EventType.comment_updated
    else:
        return
    article = session.get_one(Article, comment.article_id)
    assert article.id is not None
    if not article.is_public_at(now):
        # Its comments are not public either (nor its slug, which a draft may change):
        # its publication will announce the article, comments and all.
        return
    data = CommentEventData(
        comment=CommentPublic.from_comment(comment),
        article=ArticleRef(id=article.id, slug=article.slug),
        surrogate_keys=[f"article-{article.id}-comments", f"article-{article.id}"],
    )
    record(session, CommentEvent, event_type, data, now=now)


# The media library


def media_changed(session: Session, event: MediaChanged) -> None:
    """Its files are public wherever they are used: a CDN in front of them hears which
    ones went, and the surrogate key of what shows the picture."""
    media = None if event.deleted else session.get(Media, event.media_id)
    data = MediaEventData(
        media_id=event.media_id,
        media=media_public(media) if media is not None else None,
        removed_files=[file_url(key) for key in event.removed_keys],
        surrogate_keys=[f"media-{event.media_id}"],
    )
    event_type = EventType.media_deleted if event.deleted else EventType.media_updated
    record(session, MediaEvent, event_type, data, now=event.now)
