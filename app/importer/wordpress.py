"""What a WordPress site holds, as read from a WXR export or the REST API: the same plain
records either way, so that one importer serves both."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class WpTerm:
    """A category or a tag. ``slug`` is WordPress's, still percent-encoded."""

    kind: str  # "category" or "post_tag"
    id: int
    slug: str
    name: str
    description: str = ""
    parent_slug: str = ""


@dataclass
class WpAuthor:
    """A user with posts. Only ``display_name`` (and ``bio``) ever becomes public: not the
    login, nor WordPress's user slug, which is made from the login."""

    id: int
    login: str
    display_name: str
    bio: str = ""


@dataclass
class WpAttachment:
    id: int
    url: str
    alt: str = ""
    caption: str = ""


@dataclass
class WpComment:
    id: int
    parent_id: int
    author_name: str
    author_email: str
    author_url: str
    author_ip: str
    date_gmt: datetime | None
    content: str
    approved: str  # "1", "0", "spam", "trash"
    type: str = ""  # "" or "comment"; "pingback", "trackback"


@dataclass
class WpPost:
    id: int
    type: str
    status: str  # publish, future, draft, pending, private, trash, auto-draft
    title: str
    slug: str  # percent-encoded, as WordPress stores it; empty for most drafts
    content: str
    excerpt: str
    date_gmt: datetime | None
    modified_gmt: datetime | None
    author: str  # the author's login (WXR) or id (REST), as text
    # (taxonomy, slug, name) of each category and tag the post is in, in order.
    terms: list[tuple[str, str, str]] = field(default_factory=list)
    sticky: bool = False
    comments_open: bool = True
    thumbnail_id: int = 0
    # The featured image itself, when the source gives it with the post (REST API).
    image: WpAttachment | None = None
    comments: list[WpComment] = field(default_factory=list)


def parse_wp_date(value: str | None) -> datetime | None:
    """A WordPress ``*_gmt`` date ("2024-03-01 09:30:00", or ISO 8601 from the REST API) in
    UTC; None for WordPress's "never" (0000-00-00 00:00:00) and anything unreadable."""
    from datetime import UTC

    if not value or value.startswith("0000"):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
