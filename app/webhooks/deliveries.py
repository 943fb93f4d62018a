"""Deliveries: the policy of attempts, their log, redelivery, and a ping sent at once.

A delivery's attempt is recorded only under its claim (see ``app.webhooks.queue``).
"""

import asyncio
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.core.clock import utc_now
from app.core.config import Settings
from app.core.db import mark, unit_of_work
from app.core.errors import Conflict, NotFound
from app.core.pagination import cut_page, decode_cursor
from app.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.models.webhook import WEBHOOK
from app.webhooks.outbox import EVENT_WRITTEN, new_message_id
from app.webhooks.pings import Pings
from app.webhooks.schemas import PING, DeliveryListQuery, PingData, PingEvent
from app.webhooks.sender import Outcome, send
from app.webhooks.subscriptions import get_subscription

T = TypeVar("T")

# The longest a receiver's Retry-After may hold a delivery back.
MAX_RETRY_AFTER_SECONDS = 3600.0


@dataclass(frozen=True)
class DeliveryPolicy:
    retry_base_seconds: float
    max_attempts: int
    timeout_seconds: float
    allow_private: bool
    retention_days: int
    pings: Pings | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "DeliveryPolicy":
        return cls(
            retry_base_seconds=settings.webhooks_retry_base_seconds,
            max_attempts=settings.webhooks_max_attempts,
            timeout_seconds=settings.webhooks_timeout_seconds,
            allow_private=settings.webhooks_allow_private_targets,
            retention_days=settings.webhooks_retention_days,
            pings=Pings.from_settings(settings),
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
    # A webhook's (signed JSON), or a ping's (app.webhooks.pings).
    kind: str = WEBHOOK


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
    mark(session, EVENT_WRITTEN)  # wake this process's worker
    session.flush()
    return get_delivery(session, row_id(again))


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
        event_id=row_id(event),
        subscription_id=subscription_id,
        attempts=1,
        next_attempt_at=now + policy.lease,
        claim=claim,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return Job(
        delivery_id=row_id(delivery),
        claim=claim,
        attempt=1,
        url=subscription.url,
        secret=subscription.secret,
        message_id=message_id,
        body=body.encode(),
    )


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


async def attempt(job: Job, policy: DeliveryPolicy) -> Outcome:
    """One attempt at a claimed delivery (its result is for ``finish``)."""
    timeout, allow_private = policy.timeout_seconds, policy.allow_private
    if job.kind == WEBHOOK:
        signed = (job.secret, job.message_id)
        return await send(
            job.url, body=job.body, timeout=timeout, allow_private=allow_private, signed=signed
        )
    if policy.pings is None:  # pings need the site: its settings went away since
        return Outcome(None, "AKHBAR_SITE_URL is not set: nothing to ping with", 0)
    content_type, body = policy.pings.request(job.kind, job.body)
    return await send(
        job.url, body=body, timeout=timeout, allow_private=allow_private, content_type=content_type
    )


async def ping(
    session: Session, webhook_id: int, policy: DeliveryPolicy
) -> tuple[WebhookDelivery, WebhookEvent]:
    """Send a ``webhook.ping`` to one subscription now, once; the delivery as it ended."""
    # Two use cases, each committed: the delivery is on record before it is attempted.
    job = await asyncio.to_thread(
        _committed, session, lambda: start_ping(session, webhook_id, policy=policy)
    )
    outcome = await attempt(job, policy)
    await asyncio.to_thread(
        _committed,
        session,
        lambda: finish(session, job, outcome, policy=policy, retry=False),
    )
    return await asyncio.to_thread(get_delivery, session, job.delivery_id)


def _committed(session: Session, use_case: Callable[[], T]) -> T:
    with unit_of_work(session):
        return use_case()


def row_id(row: WebhookSubscription | WebhookEvent | WebhookDelivery) -> int:
    assert row.id is not None
    return row.id
