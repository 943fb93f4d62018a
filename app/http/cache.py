"""Cache headers: how long a route's public answers may be kept (``Cache-Control``, one
policy per kind of resource, ``AKHBAR_CACHE_<KIND>``) and which resources they contain
(``Surrogate-Key``, for purging a CDN by key). The response cache
(``app.http.response_cache``) does the rest."""

from typing import Any, Literal

from fastapi import Depends, Response

from app.core.config import CachePolicy
from app.http.deps import SettingsDep

CacheKind = Literal["article", "list", "comments", "ticker", "taxonomy", "feed", "popular"]


def cache_for(kind: CacheKind) -> Any:
    """A route dependency: public answers of this route may be cached under ``kind``'s
    policy (the setting ``AKHBAR_CACHE_<KIND>``)."""

    async def declare(response: Response, settings: SettingsDep) -> None:
        policy: CachePolicy = getattr(settings, f"cache_{kind}")
        response.headers["Cache-Control"] = policy.header()

    return Depends(declare)


def tag(response: Response, *keys: str) -> None:
    """Name the resources an answer contains, for purging a CDN by key."""
    response.headers["Surrogate-Key"] = " ".join(dict.fromkeys(keys))
