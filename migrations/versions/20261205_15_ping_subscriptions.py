"""Pings on publication (a WebSub hub, IndexNow) as subscriptions of their own kind

Revision ID: 20261205_15
Revises: 20261205_14
Create Date: 2026-12-05 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_15"
down_revision: str | None = "20261205_14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_A_PING = sa.text("kind <> 'webhook'")


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="webhook")
        )
    op.create_index(
        op.f("ix_webhook_subscription_kind"),
        "webhook_subscription",
        ["kind"],
        unique=True,
        sqlite_where=_A_PING,
        postgresql_where=_A_PING,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_subscription_kind"), table_name="webhook_subscription")
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.drop_column("kind")
