"""Request parameter types shared by several domains."""

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AwareDatetime, BeforeValidator

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


# A moment in time, sent as ISO 8601 text with an offset.
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
