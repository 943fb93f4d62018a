"""Entity tags and conditional requests (RFC 9110 §13)."""

import re

_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def entity_tag(kind: str, resource_id: int, version: int) -> str:
    """A strong ETag naming one version of one resource: ``"article-42-v3"``. Public reads
    add a digest of the answer's bytes to it (app.http.response_cache)."""
    return f'"{kind}-{resource_id}-v{version}"'


def parse_entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """``[(weak, opaque-tag), ...]`` from an If-Match / If-None-Match value; None for ``*``
    and for a value that is not a list of entity tags."""
    if header.strip() == "*":
        return None
    tags = [(bool(weak), tag) for weak, tag in _ENTITY_TAG.findall(header)]
    return tags or None


def none_match(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (or is ``*``): the weak comparison of RFC 9110
    §13.1.2, so the answer is a 304."""
    if if_none_match.strip() == "*":
        return True
    wanted = etag.strip('"')
    return any(tag == wanted for _, tag in parse_entity_tags(if_none_match) or [])
