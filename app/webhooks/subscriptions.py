"""Webhook subscriptions: who wants which events, at which URL."""

import ipaddress
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.clock import utc_now
from app.core.errors import InvalidInput, NotFound
from app.core.pagination import cut_page, decode_cursor
from app.http.outbound import UnsafeTarget, check_url, is_public
from app.models import WebhookSubscription
from app.models.webhook import WEBHOOK
from app.webhooks.schemas import WebhookCreate, WebhookUpdate
from app.webhooks.signing import new_secret


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
    """An admin's webhook (the pings are the settings', app.webhooks.pings)."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.kind != WEBHOOK:
        raise NotFound(f"no webhook with id {subscription_id}")
    return subscription


def list_subscriptions(
    session: Session, *, limit: int, cursor: str | None
) -> tuple[Sequence[WebhookSubscription], str | None]:
    """Oldest first."""
    stmt = (
        select(WebhookSubscription)
        .where(col(WebhookSubscription.kind) == WEBHOOK)
        .order_by(col(WebhookSubscription.id))
        .limit(limit + 1)
    )
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
