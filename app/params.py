"""Request parameter types shared by several domains."""

from typing import Annotated

from fastapi import Path

# Ids are PostgreSQL INTEGERs: anything larger names nothing, and must not overflow.
ID_MAX = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=ID_MAX, description="Numeric id.", examples=[42])]
