"""Readiness: can this process serve requests right now?"""

from collections.abc import Set

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.core.errors import AkhbarError
from app.http.limits import Limiter, LimitsUnavailable, MemoryLimiter
from app.ops.migrations import current_revisions
from app.ops.schemas import RateLimitsState


class NotReady(AkhbarError):
    status = 503


def check_ready(
    engine: Engine, *, expected_revisions: Set[str], known_revisions: Set[str]
) -> set[str]:
    """The database's revisions, if it answers and is migrated to head (or past it: a
    rolling upgrade has migrated for the next release, whose migrations keep this one
    working); else NotReady."""
    try:
        current = current_revisions(engine)
    except SQLAlchemyError:
        raise NotReady("the database is unreachable") from None
    newer = bool(current) and not current & known_revisions
    if current != expected_revisions and not newer:
        raise NotReady(
            f"the database is at revision {sorted(current) or 'none'}, "
            f"the code expects {sorted(expected_revisions)}: run `akhbar migrate`"
        )
    return current


def rate_limits_state(limiter: Limiter) -> RateLimitsState:
    if isinstance(limiter, MemoryLimiter):
        return "memory"
    try:
        limiter.ping()
    except LimitsUnavailable:
        return "unreachable"
    return "redis"
