"""What every table shares: the constraint naming convention and timestamp columns."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.core.clock import utc_now
from app.core.db import UTCDateTime

# Named constraints from the first revision on, so that later migrations (and SQLite's
# batch mode, which rebuilds tables) can refer to them by name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at_field() -> Any:
    return Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)


class Timestamped(SQLModel):
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
