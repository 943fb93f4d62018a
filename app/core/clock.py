"""The clock: every "now" in Akhbar is an aware UTC datetime."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
