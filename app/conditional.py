"""Entity tags and conditional requests (RFC 9110 §13)."""

import hashlib
import re

from fastapi import Request, Response

_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def entity_tag(kind: str, resource_id: int, version: int, *, extra: str = "") -> str:
    """A strong ETag naming one version of one resource: ``"article-42-v3"``, with
    ``extra`` for what changes the answer without being an edit (``"article-42-v3-c7"``)."""
    return f'"{kind}-{resource_id}-v{version}{extra}"'


def parse_entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """``[(weak, opaque-tag), ...]`` from an If-Match / If-None-Match value; None for ``*``
    and for a value that is not a list of entity tags."""
    if header.strip() == "*":
        return None
    tags = [(bool(weak), tag) for weak, tag in _ENTITY_TAG.findall(header)]
    return tags or None


def not_modified(request: Request, etag: str) -> Response | None:
    """The 304 answer when the client's If-None-Match already names ``etag`` (weak match)."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    wanted = etag.strip('"')
    if header.strip() == "*" or any(tag == wanted for _, tag in parse_entity_tags(header) or []):
        return Response(status_code=304, headers={"ETag": etag})
    return None


def content_etag(body: bytes) -> str:
    """A strong ETag for a representation built from several rows: a digest of its bytes."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
