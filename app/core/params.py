"""Request parameter types shared by several domains."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

# Ids are PostgreSQL INTEGERs: anything larger names nothing, and must not overflow.
ID_MAX = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=ID_MAX, description="Numeric id.", examples=[42])]


def _iso_text(value: Any) -> Any:
    # Pydantic reads a number (or a numeric string) as seconds since 1970; the contract
    # says ISO 8601 text.
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("a date and time is ISO 8601 text with an offset, e.g. 2026-11-28T09:30:00Z")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _in_utc(value: datetime) -> datetime:
    # Stored and compared in UTC: 9999-12-31T23:59:59-14:00 is in the year 10000 there,
    # which no datetime (and no database) holds.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("this time is outside the years 1 to 9999 in UTC") from None


# A moment in time, sent as ISO 8601 text with an offset; held in UTC.
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]
