"""What the media library announces (see app.core.events)."""

from dataclasses import dataclass
from datetime import datetime

from app.core.events import Event


@dataclass(frozen=True)
class MediaChanged(Event):
    """A picture was changed (its text, its crops) or deleted (flushed). ``article_ids``:
    the articles that showed it, which show it changed now, or no longer show it."""

    media_id: int
    article_ids: tuple[int, ...]
    now: datetime
    deleted: bool = False
    # The keys of the files no longer served (old crops; every file of a deleted one).
    removed_keys: tuple[str, ...] = ()
