"""Webhooks: subscriptions, the outbox of events, and one delivery per event and subscriber."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, Enum, Index, Text, text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.lengths import NAME_MAX, URL_MAX
from app.models.base import Timestamped, created_at_field

EVENT_TYPE_MAX = 40
MESSAGE_ID_MAX = 40
ERROR_MAX = 500


# A subscription an admin made: signed JSON events. The others are pings kept by the
# settings (app.webhooks.pings): a WebSub hub, IndexNow.
WEBHOOK = "webhook"
_A_PING = text(f"kind <> '{WEBHOOK}'")


class WebhookSubscription(Timestamped, table=True):
    """Where to send which events, and the secret that signs them."""

    __tablename__ = "webhook_subscription"
    # One subscription of each kind of ping.
    __table_args__ = (
        Index(None, "kind", unique=True, sqlite_where=_A_PING, postgresql_where=_A_PING),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default=WEBHOOK, max_length=16, sa_column_kwargs={"server_default": WEBHOOK})
    url: str = Field(max_length=URL_MAX)
    events: list[str] = Field(sa_type=JSON)
    # Kept as it is: the HMAC needs it (API tokens, which only need checking, are hashed).
    secret: str = Field(max_length=100)
    description: str | None = Field(default=None, max_length=NAME_MAX)
    is_active: bool = True


class WebhookEvent(SQLModel, table=True):
    """The outbox: one row per event, written in the transaction of the change it tells of.

    ``payload`` is the exact body every delivery sends (and signs). An event is due at
    ``due_at`` (a scheduled publication's time, or at once); the worker then makes one
    delivery per subscription that wants it and sets ``fanned_out_at``. ``subject`` names
    what a scheduled event is about, so that a later change replaces it.
    """

    __tablename__ = "webhook_event"
    __table_args__ = (
        Index(None, "fanned_out_at", "due_at"),
        Index(None, "subject", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=MESSAGE_ID_MAX, unique=True)
    type: str = Field(max_length=EVENT_TYPE_MAX)
    subject: str | None = Field(default=None, max_length=64)
    payload: str = Field(sa_type=Text)
    due_at: datetime = Field(sa_type=UTCDateTime)
    fanned_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class DeliveryStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event on its way to one subscriber, and how its attempts went.

    A worker claims a due delivery by moving ``next_attempt_at`` past the time an attempt
    can take and writing its ``claim``: no other worker takes it meanwhile, and if the
    worker dies, the delivery is due again when that time has passed.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        # The worker's queue: pending ones by the time they are due.
        Index(None, "status", "next_attempt_at"),
        # A subscription's delivery log, newest first.
        Index(None, "subscription_id", "id"),
        Index(None, "event_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="webhook_event.id", ondelete="CASCADE")
    subscription_id: int = Field(foreign_key="webhook_subscription.id", ondelete="CASCADE")
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending,
        sa_column=Column(
            Enum(
                DeliveryStatus,
                native_enum=False,
                create_constraint=False,
                length=16,
                values_callable=lambda enum: [member.value for member in enum],
            ),
            nullable=False,
        ),
    )
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim: str | None = Field(default=None, max_length=32)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=ERROR_MAX)
    last_duration_ms: int | None = None
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
