"""What the taxonomy announces (see app.core.events)."""

from dataclasses import dataclass
from datetime import datetime

from app.core.events import Event


@dataclass(frozen=True)
class TermChanged(Event):
    """A category, tag or author was changed or deleted (flushed). ``article_ids``: the
    articles that showed it, which show it changed now, or no longer show it."""

    kind: str
    term_id: int
    article_ids: tuple[int, ...]
    now: datetime
