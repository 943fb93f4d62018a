"""Webhook fixtures: tokens, and the outbox and delivery rows as plain values."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.auth.scopes import Scope
from app.models import WebhookDelivery, WebhookEvent
from tests.factories import bearer, make_token


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    return bearer(make_token(session, Scope.admin, name="مدير"))


@dataclass(frozen=True)
class Outboxed:
    type: str
    due_at: datetime
    subject: str | None
    fanned_out: bool
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body["data"]


def outbox(session: Session) -> list[Outboxed]:
    """Every event written, oldest first."""
    session.expire_all()
    rows = session.exec(select(WebhookEvent).order_by(col(WebhookEvent.id))).all()
    return [
        Outboxed(
            row.type,
            row.due_at,
            row.subject,
            row.fanned_out_at is not None,
            json.loads(row.payload),
        )
        for row in rows
    ]


def deliveries(session: Session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id))).all())
