"""What the comments domain announces (see app.core.events)."""

from dataclasses import dataclass
from datetime import datetime

from app.core.events import Event
from app.models import Comment, CommentStatus


@dataclass(frozen=True)
class CommentChanged(Event):
    """A comment was posted or moderated (flushed); ``before``: its status until then
    (None for a new one); ``edited``: its body changed."""

    comment: Comment
    before: CommentStatus | None
    edited: bool
    now: datetime
