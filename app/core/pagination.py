"""Keyset pagination: the opaque cursor, the ``{"data", "meta"}`` page and the Link header.

A cursor carries the sort key of the last item of a page, so the next page is one indexed
range scan: page 5,000 costs what page 1 costs. It is opaque to clients (base64url JSON
tagged with the kind of list) and verified on the way back in: a forged, corrupted or
foreign cursor is a 422, never a 500.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from app.core.errors import InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 512

ItemT = TypeVar("ItemT")


class PageMeta(BaseModel):
    limit: int = Field(examples=[20])
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.",
        examples=["eyJrIjoiYXJ0aWNsZSIsInYiOlsiMjAyNi0xMS0yOFQwOTozMDowMFoiLDQyXX0"],
    )


class Page(BaseModel, Generic[ItemT]):
    data: list[ItemT]
    meta: PageMeta


class PageQuery(BaseModel):
    """The paging parameters every list takes."""

    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page (1–{MAX_LIMIT})."
    )
    cursor: str | None = Field(
        None,
        max_length=MAX_CURSOR_LENGTH,
        description="Opaque cursor from the previous page's `meta.next_cursor`.",
    )


PageQueryDep = Annotated[PageQuery, Query()]


def field_selection(item: type[BaseModel]) -> Any:
    """``fields=``: the fields each list item should have, for lean answers. Its pattern
    names the item's fields, so a name the item lacks is invalid in the schema itself."""
    names = "|".join(item.model_fields)
    return Field(
        None,
        max_length=1_000,
        pattern=rf"^({names})(,({names}))*$",
        description="Comma-separated names of the item fields to return (the others are "
        "left out), e.g. `id,slug,title,published_at`. Each item is then the list's item "
        "with only those properties.",
        examples=["id,slug,title,published_at"],
    )


RowT = TypeVar("RowT")


def cut_page(
    rows: Sequence[RowT], limit: int, *, kind: str, key: Callable[[RowT], list[Any]]
) -> tuple[Sequence[RowT], str | None]:
    """The first ``limit`` of ``limit + 1`` fetched rows, and the cursor after the last of
    them (None when the extra row was not there: this is the last page)."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor(kind, key(rows[limit - 1]))


def encode_cursor(kind: str, key: list[Any]) -> str:
    raw = orjson.dumps({"k": kind, "v": key})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, *, kind: str, shape: tuple[type, ...]) -> list[Any]:
    """The key inside ``cursor``; its values must have the types in ``shape``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        payload = None
    key = payload.get("v") if isinstance(payload, dict) and payload.get("k") == kind else None
    if (
        not isinstance(key, list)
        or len(key) != len(shape)
        or not all(type(value) is expected for value, expected in zip(key, shape, strict=True))
        # Every number in a cursor is an id or a position: a database INTEGER.
        or not all(-(2**31) <= value < 2**31 for value in key if type(value) is int)
    ):
        raise _invalid_cursor()
    return key


def parse_cursor_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid_cursor() from None
    if parsed.tzinfo is None:
        raise _invalid_cursor()
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is in the year 10000 in UTC
        raise _invalid_cursor() from None


def _invalid_cursor() -> InvalidInput:
    return InvalidInput("the cursor is not one this list gave out", field=("cursor",))


def next_link(request: Request, next_cursor: str | None) -> str | None:
    """The RFC 8288 ``Link`` header value pointing at the next page, if there is one."""
    if next_cursor is None:
        return None
    # Relative, so that a Host header never ends up inside a cached answer.
    url = request.url.include_query_params(cursor=next_cursor)
    return f'<{url.path}?{url.query}>; rel="next"'


PageT = TypeVar("PageT", bound=Page[Any])


def build_page(
    page_type: type[PageT],
    items: list[Any],
    *,
    limit: int,
    next_cursor: str | None,
    request: Request,
    response: Response,
) -> PageT:
    """The page answer, with its ``Link: rel="next"`` header set on ``response``."""
    link = next_link(request, next_cursor)
    if link is not None:
        response.headers["Link"] = link
    return page_type(data=items, meta=PageMeta(limit=limit, next_cursor=next_cursor))


def select_fields(page: PageT, fields: str | None, response: Response) -> PageT | Response:
    """The page itself, or, with ``fields`` (names the query's pattern has checked), its
    JSON with only those fields in each item (and the headers already set on
    ``response``)."""
    if fields is None:
        return page
    wanted = set(fields.split(","))
    body = page.model_dump_json(include={"data": {"__all__": wanted}, "meta": True})
    answer = Response(body, media_type="application/json")
    for name, value in response.headers.items():
        if name != "content-length":
            answer.headers.append(name, value)
    return answer
