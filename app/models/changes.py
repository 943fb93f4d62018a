"""What commits ended of what the public sees, for the workers on an SQLite file
(app.core.changes writes and reads it; PostgreSQL announces with NOTIFY instead)."""

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class CacheChange(SQLModel, table=True):
    __tablename__ = "cache_changes"

    id: int | None = Field(default=None, primary_key=True)
    # The surrogate keys a commit ended, separated by spaces ("*": every answer).
    keys: str = Field(sa_type=Text)
    # When it was committed: rows older than app.core.changes.KEPT_FOR go.
    at: datetime = Field(sa_type=UTCDateTime)
