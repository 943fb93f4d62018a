"""Subscriptions, the delivery queue and its log.

The queue is the ``webhook_delivery`` table. A worker takes due deliveries with one
UPDATE that moves them out of reach for as long as an attempt may take (its lease) and
marks them with its claim: on PostgreSQL the rows are picked with ``FOR UPDATE SKIP
LOCKED``, so concurrent workers take different ones without waiting; on SQLite the UPDATE
holds the database's single write lock. Its result is written only under that claim.
"""

import ipaddress
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, update
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import utc_now
from app.errors import Conflict, InvalidInput, NotFound
from app.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.pagination import cut_page, decode_cursor
from app.webhooks.outbox import new_message_id
from app.webhooks.schemas import (
    PING,
    DeliveryListQuery,
    PingData,
    PingEvent,
    WebhookCreate,
    WebhookUpdate,
)
from app.webhooks.sender import Outcome
from app.webhooks.signing import new_secret
from app.webhooks.targets import UnsafeTarget, check_url, is_public

# The longest a receiver's Retry-After may hold a delivery back.
MAX_RETRY_AFTER_SECONDS = 3600.0


@dataclass(frozen=True)
class DeliveryPolicy:
    retry_base_seconds: float
    max_attempts: int
    timeout_seconds: float
    allow_private: bool
    retention_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "DeliveryPolicy":
        return cls(
            retry_base_seconds=settings.webhooks_retry_base_seconds,
            max_attempts=settings.webhooks_max_attempts,
            timeout_seconds=settings.webhooks_timeout_seconds,
            allow_private=settings.webhooks_allow_private_targets,
            retention_days=settings.webhooks_retention_days,
        )

    @property
    def lease(self) -> timedelta:
        """How long a claimed delivery is out of other workers' reach: longer than an
        attempt can take (its deadline), with room to record the result."""
        return timedelta(seconds=2 * self.timeout_seconds + 5)

    def retry_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before the next attempt after failed attempt number ``attempt``:
        base × 2^(attempt − 1), ± 25 % at random so that many retries do not arrive
        together; longer if the receiver asked for it."""
        delay = self.retry_base_seconds * 2 ** (attempt - 1) * random.uniform(0.75, 1.25)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
        return float(delay)


@dataclass(frozen=True)
class Job:
    """A claimed delivery and all an attempt needs."""

    delivery_id: int
    claim: str
    attempt: int
    url: str
    secret: str
    message_id: str
    body: bytes


# Subscriptions


def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse at once what the delivery-time check would refuse without a lookup: a URL
    that is not a usable target, or one naming a loopback, private or link-local address."""
    try:
        host, _port = check_url(url)
        if allow_private:
            return
        if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
            raise UnsafeTarget("localhost is not a public address")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return  # a name: checked on every delivery, once resolved
        if not is_public(address):
            raise UnsafeTarget(f"{address} is not a public address")
    except UnsafeTarget as exc:
        raise InvalidInput(f"this URL cannot receive webhooks: {exc}", field=("url",)) from None


def create_subscription(
    session: Session, data: WebhookCreate, *, allow_private: bool, now: datetime | None = None
) -> WebhookSubscription:
    now = now or utc_now()
    check_target(data.url, allow_private=allow_private)
    subscription = WebhookSubscription(
        url=data.url,
        events=[str(event) for event in data.events],
        secret=data.secret or new_secret(),
        description=data.description,
        is_active=data.is_active,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    session.flush()
    session.refresh(subscription)
    return subscription


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"no webhook with id {subscription_id}")
    return subscription


def list_subscriptions(
    session: Session, *, limit: int, cursor: str | None
) -> tuple[Sequence[WebhookSubscription], str | None]:
    """Oldest first."""
    stmt = select(WebhookSubscription).order_by(col(WebhookSubscription.id)).limit(limit + 1)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, kind="webhook", shape=(int,))
        stmt = stmt.where(col(WebhookSubscription.id) > after_id)
    return cut_page(session.exec(stmt).all(), limit, kind="webhook", key=lambda s: [s.id])


def update_subscription(
    session: Session,
    subscription_id: int,
    data: WebhookUpdate,
    *,
    allow_private: bool,
    now: datetime | None = None,
) -> WebhookSubscription:
    subscription = get_subscription(session, subscription_id)
    fields = data.model_dump(exclude_unset=True)
    for name in ("url", "events", "secret", "is_active"):
        if name in fields and fields[name] is None:
            raise InvalidInput(f"{name} cannot be null", field=(name,))
    if "url" in fields:
        check_target(fields["url"], allow_private=allow_private)
    if "events" in fields:
        fields["events"] = [str(event) for event in fields["events"]]
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.updated_at = now or utc_now()
    session.flush()
    session.refresh(subscription)
    return subscription


def delete_subscription(session: Session, subscription_id: int) -> None:
    """The subscription and its delivery log; nothing more is sent to it."""
    get_subscription(session, subscription_id)
    session.execute(
        delete(WebhookSubscription).where(col(WebhookSubscription.id) == subscription_id)
    )
    session.flush()


# The delivery log


def list_deliveries(
    session: Session, subscription_id: int, *, query: DeliveryListQuery
) -> tuple[Sequence[tuple[WebhookDelivery, WebhookEvent]], str | None]:
    """A subscription's deliveries, newest first."""
    get_subscription(session, subscription_id)
    stmt = (
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(query.limit + 1)
    )
    if query.status is not None:
        stmt = stmt.where(WebhookDelivery.status == query.status)
    if query.cursor is not None:
        (before_id,) = decode_cursor(query.cursor, kind="delivery", shape=(int,))
        stmt = stmt.where(col(WebhookDelivery.id) < before_id)
    rows = session.exec(stmt).all()
    return cut_page(rows, query.limit, kind="delivery", key=lambda row: [row[0].id])


def get_delivery(session: Session, delivery_id: int) -> tuple[WebhookDelivery, WebhookEvent]:
    row = session.exec(
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
        .where(WebhookDelivery.id == delivery_id)
    ).first()
    if row is None:
        raise NotFound(f"no delivery with id {delivery_id}")
    return row


def redeliver(
    session: Session, delivery_id: int, *, now: datetime | None = None
) -> tuple[WebhookDelivery, WebhookEvent]:
    """Send a finished delivery's event again, as a new delivery (same ``webhook-id``),
    due at once; the old one stays in the log as it was."""
    now = now or utc_now()
    delivery, _event = get_delivery(session, delivery_id)
    if delivery.status is DeliveryStatus.pending:
        raise Conflict("this delivery is still pending: it will be tried again by itself")
    again = WebhookDelivery(
        event_id=delivery.event_id,
        subscription_id=delivery.subscription_id,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(again)
    session.info["webhook_event"] = True  # wake this process's worker
    session.flush()
    return get_delivery(session, _id(again))


def start_ping(
    session: Session, subscription_id: int, *, policy: DeliveryPolicy, now: datetime | None = None
) -> Job:
    """A ``webhook.ping`` event for this subscription only, claimed by the caller."""
    now = now or utc_now()
    subscription = get_subscription(session, subscription_id)
    message_id = new_message_id()
    body = PingEvent(
        id=message_id,
        type=PING,
        timestamp=now,
        data=PingData(
            webhook_id=subscription_id, message="اختبار من أخبار: هذا الاشتراك يصله ما يُرسَل."
        ),
    ).model_dump_json()
    event = WebhookEvent(
        message_id=message_id,
        type=PING,
        payload=body,
        due_at=now,
        fanned_out_at=now,
        created_at=now,
    )
    session.add(event)
    session.flush()
    claim = secrets.token_hex(8)
    delivery = WebhookDelivery(
        event_id=_id(event),
        subscription_id=subscription_id,
        attempts=1,
        next_attempt_at=now + policy.lease,
        claim=claim,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return Job(
        delivery_id=_id(delivery),
        claim=claim,
        attempt=1,
        url=subscription.url,
        secret=subscription.secret,
        message_id=message_id,
        body=body.encode(),
    )


# The worker's side


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
        session.rollback()  # end the read: a write transaction must start afresh
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
            event_id=event_id, subscription_id=_id(s), next_attempt_at=now, created_at=now
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
        session.rollback()
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
            delivery_id=_id(delivery),
            claim=claim,
            attempt=delivery.attempts,
            url=subscription.url,
            secret=subscription.secret,
            message_id=event.message_id,
            body=event.payload.encode(),
        )
        for delivery, event, subscription in rows
    ]


def finish(
    session: Session,
    job: Job,
    outcome: Outcome,
    *,
    policy: DeliveryPolicy,
    retry: bool = True,
    now: datetime | None = None,
) -> None:
    """Record an attempt: delivered, or due again after a back-off, or failed for good.
    Written only while the delivery is still this attempt's (its claim)."""
    now = now or utc_now()
    values: dict[str, object] = {
        "claim": None,
        "last_attempt_at": now,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "last_duration_ms": outcome.duration_ms,
    }
    if outcome.succeeded:
        values |= {"status": DeliveryStatus.succeeded, "delivered_at": now}
    elif retry and job.attempt < policy.max_attempts:
        delay = policy.retry_delay(job.attempt, outcome.retry_after)
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    else:
        values["status"] = DeliveryStatus.failed
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == job.delivery_id, col(WebhookDelivery.claim) == job.claim)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.flush()


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


def _id(row: WebhookSubscription | WebhookEvent | WebhookDelivery) -> int:
    assert row.id is not None
    return row.id
