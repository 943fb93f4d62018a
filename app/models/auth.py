"""API tokens: only a digest of each secret is stored."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.lengths import NAME_MAX
from app.models.base import created_at_field


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX)
    # The first characters of the secret after "akh_": enough to find the row and to
    # recognise a token in a list, useless for guessing the rest.
    prefix: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    scopes: str = Field(max_length=500, description="Space-separated scope names.")
    created_at: datetime = created_at_field()
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
