"""Readiness: can this process serve requests right now?"""

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.errors import AkhbarError
from app.ops.migrations import current_revisions


class NotReady(AkhbarError):
    status = 503


def check_ready(engine: Engine, *, expected_revisions: set[str]) -> set[str]:
    """The database's revisions, if it answers and is migrated to head; else NotReady."""
    try:
        current = current_revisions(engine)
    except SQLAlchemyError:
        raise NotReady("the database is unreachable") from None
    if current != expected_revisions:
        raise NotReady(
            f"the database is at revision {sorted(current) or 'none'}, "
            f"the code expects {sorted(expected_revisions)}: run `akhbar migrate`"
        )
    return current
