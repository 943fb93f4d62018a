"""What was imported from where: the map that makes imports idempotent."""

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.lengths import URL_MAX
from app.models.base import created_at_field


class ImportSource(SQLModel, table=True):
    """A site content came from (a WordPress site's address)."""

    __tablename__ = "import_source"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=URL_MAX, unique=True)
    # The REST API import's progress: posts modified up to this moment are all in. An
    # interrupted run starts again from here; a later run asks only for what came after.
    checkpoint: str | None = Field(default=None, max_length=64)
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class ImportRecord(SQLModel, table=True):
    """One source item (a post, comment, term or author, by its id there) and the row it
    became here, with a fingerprint of what it was: the same again is skipped."""

    __tablename__ = "import_record"
    __table_args__ = (
        UniqueConstraint("source_id", "kind", "remote_id"),
        Index(None, "kind", "local_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="import_source.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    remote_id: int
    local_id: int
    fingerprint: str = Field(max_length=64)
    updated_at: datetime = created_at_field()
