"""The delivery queue: the ``webhook_delivery`` table.

Due events become deliveries (``fan_out``), one per active subscription that wants each.
A worker takes due deliveries with one UPDATE that moves them out of reach for as long as
an attempt may take (its lease) and marks them with its claim: on PostgreSQL the rows are
picked with ``FOR UPDATE SKIP LOCKED``, so concurrent workers take different ones without
waiting; on SQLite the UPDATE holds the database's single write lock. Old events with
nothing left to deliver are pruned.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, update
from sqlmodel import Session, col, select

from app.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.webhooks.deliveries import DeliveryPolicy, Job, row_id


def fan_out(session: Session, *, now: datetime, limit: int = 100) -> int:
    """Make the deliveries of due events, one per active subscription that wants each;
    the number of events handled (0: nothing was due)."""
    due = (
        select(WebhookEvent.id)
        .where(col(WebhookEvent.fanned_out_at).is_(None), col(WebhookEvent.due_at) <= now)
        .order_by(col(WebhookEvent.due_at), col(WebhookEvent.id))
        .limit(limit)
    )
    if session.exec(due.limit(1)).first() is None:
        # End the read (a write transaction must start afresh) by a commit: at a rollback
        # psycopg forgets the statements it prepared on the connection (app.core.db.end_read).
        session.commit()
        return 0
    taken = session.execute(
        update(WebhookEvent)
        .where(col(WebhookEvent.id).in_(due.with_for_update(skip_locked=True).scalar_subquery()))
        .values(fanned_out_at=now)
        .returning(col(WebhookEvent.id), col(WebhookEvent.type))
        .execution_options(synchronize_session=False)
    ).all()
    subscriptions = session.exec(
        select(WebhookSubscription).where(col(WebhookSubscription.is_active).is_(True))
    ).all()
    session.add_all(
        WebhookDelivery(
            event_id=event_id, subscription_id=row_id(s), next_attempt_at=now, created_at=now
        )
        for event_id, event_type in taken
        for s in subscriptions
        if event_type in s.events
    )
    session.flush()
    return len(taken)


def claim_due(session: Session, *, now: datetime, policy: DeliveryPolicy, limit: int) -> list[Job]:
    """Take up to ``limit`` due deliveries of active subscriptions, for one attempt each."""
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending,
            col(WebhookDelivery.next_attempt_at) <= now,
            exists().where(
                col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id),
                col(WebhookSubscription.is_active).is_(True),
            ),
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(limit)
    )
    if session.exec(due.limit(1)).first() is None:
        session.commit()  # the read ends as fan_out's does
        return []
    claim = secrets.token_hex(8)
    ids = (
        session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id).in_(
                    due.with_for_update(skip_locked=True, of=WebhookDelivery).scalar_subquery()
                )
            )
            .values(
                claim=claim,
                next_attempt_at=now + policy.lease,
                attempts=col(WebhookDelivery.attempts) + 1,
            )
            .returning(col(WebhookDelivery.id))
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    session.flush()
    if not ids:
        return []
    rows = session.exec(
        select(WebhookDelivery, WebhookEvent, WebhookSubscription)
        .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
        .join(
            WebhookSubscription,
            col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id),
        )
        .where(col(WebhookDelivery.id).in_(ids))
        .order_by(col(WebhookDelivery.id))
    ).all()
    return [
        Job(
            delivery_id=row_id(delivery),
            claim=claim,
            attempt=delivery.attempts,
            url=subscription.url,
            secret=subscription.secret,
            message_id=event.message_id,
            body=event.payload.encode(),
            kind=subscription.kind,
        )
        for delivery, event, subscription in rows
    ]


def prune(session: Session, *, now: datetime, days: int) -> int:
    """Forget events older than ``days`` with nothing left to deliver (their deliveries go
    with them); the number of events removed."""
    cutoff = now - timedelta(days=days)
    pending = exists().where(
        col(WebhookDelivery.event_id) == col(WebhookEvent.id),
        col(WebhookDelivery.status) == DeliveryStatus.pending,
    )
    result = session.execute(
        delete(WebhookEvent)
        .where(
            col(WebhookEvent.created_at) < cutoff,
            col(WebhookEvent.fanned_out_at).is_not(None),
            ~pending,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
