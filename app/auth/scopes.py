"""What a token may do."""

from collections.abc import Iterable
from enum import StrEnum


class Scope(StrEnum):
    articles_write = "articles:write"
    taxonomy_write = "taxonomy:write"
    ticker_write = "ticker:write"
    comments_moderate = "comments:moderate"
    media_write = "media:write"
    admin = "admin"


def grants(scopes: Iterable[str], needed: Scope) -> bool:
    """True when ``scopes`` include ``needed``; ``admin`` implies every scope."""
    held = set(scopes)
    return Scope.admin in held or needed in held
