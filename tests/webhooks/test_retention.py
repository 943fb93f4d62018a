"""Old events with nothing left to deliver are forgotten; pending ones never are."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.webhooks.queue import prune
from tests.webhooks.conftest import deliveries

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def event(session: Session, message_id: str, *, age_days: int, fanned_out: bool = True) -> int:
    created = NOW - timedelta(days=age_days)
    row = WebhookEvent(
        message_id=message_id,
        type="article.updated",
        payload="{}",
        due_at=created,
        fanned_out_at=created if fanned_out else None,
        created_at=created,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def test_prune_keeps_recent_pending_and_not_yet_sent_events(session: Session) -> None:
    subscription = WebhookSubscription(url="https://example.com/", events=[], secret="s")
    session.add(subscription)
    session.flush()
    old_done = event(session, "msg_old_done", age_days=40)
    old_pending = event(session, "msg_old_pending", age_days=40)
    event(session, "msg_old_scheduled", age_days=40, fanned_out=False)
    recent = event(session, "msg_recent", age_days=5)
    for event_id, status in (
        (old_done, DeliveryStatus.succeeded),
        (old_done, DeliveryStatus.failed),
        (old_pending, DeliveryStatus.pending),
        (recent, DeliveryStatus.succeeded),
    ):
        session.add(
            WebhookDelivery(event_id=event_id, subscription_id=subscription.id, status=status)
        )
    session.commit()

    removed = prune(session, now=NOW, days=30)

    assert removed == 1
    session.expire_all()
    remaining = session.exec(select(WebhookEvent.message_id).order_by(col(WebhookEvent.id)))
    assert list(remaining) == [
        "msg_old_pending",
        "msg_old_scheduled",
        "msg_recent",
    ]
    assert [(d.event_id, d.status) for d in deliveries(session)] == [
        (old_pending, DeliveryStatus.pending),
        (recent, DeliveryStatus.succeeded),
    ]
