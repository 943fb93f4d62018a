"""Who is calling: the bearer token, resolved once per request, and scope checks."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth.scopes import Scope, grants
from app.auth.service import authenticate, token_scopes
from app.core.db import unit_of_work
from app.core.errors import Forbidden, Unauthorized
from app.http.deps import SessionDep

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="An API token (`akh_...`), minted with `akhbar tokens create` or "
    "`POST /v1/tokens`.",
)

INVALID_TOKEN = "the bearer token is missing, malformed, unknown, revoked or expired"


@dataclass(frozen=True)
class Principal:
    token_id: int
    name: str
    scopes: tuple[Scope, ...]

    def can(self, scope: Scope) -> bool:
        return grants(self.scopes, scope)


async def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    """The caller's token, or None for an anonymous request.

    A token that is presented but does not work is a 401 even on a public read: a client
    with a broken token should hear about it, not silently get the public view. An
    anonymous request costs no database work and no thread (most requests are).
    """
    if credentials is None:
        if request.headers.get("Authorization"):
            raise Unauthorized(INVALID_TOKEN, token_presented=True)
        return None
    return await run_in_threadpool(_principal, session, credentials.credentials)


def _principal(session: Session, secret: str) -> Principal:
    token = authenticate(session, secret)
    if token is None:
        raise Unauthorized(INVALID_TOKEN, token_presented=True)
    if session.dirty:
        # last_used_at moved: a use case of its own, committed before the request's own
        # work begins, so that reads and refused requests record it too.
        with unit_of_work(session):
            session.flush()
    assert token.id is not None
    return Principal(token_id=token.id, name=token.name, scopes=tuple(token_scopes(token)))


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


def require_scope(principal: Principal | None, scope: Scope) -> Principal:
    """The principal if it holds ``scope``; 401 without a token, 403 without the scope."""
    if principal is None:
        raise Unauthorized(INVALID_TOKEN, token_presented=False)
    if not principal.can(scope):
        raise Forbidden(f"this token lacks the scope {scope.value!r}")
    return principal


class RequireScope:
    """A dependency that lets the request through only with a token holding ``scope``."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(self, principal: PrincipalDep) -> Principal:
        return require_scope(principal, self.scope)


class HoldsScope:
    """A dependency answering whether the caller's token (if any) holds ``scope``: for
    reads that show editors more than the public."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(self, principal: PrincipalDep) -> bool:
        return principal is not None and principal.can(self.scope)


ArticleEditorView = Annotated[bool, Depends(HoldsScope(Scope.articles_write))]
TickerEditorView = Annotated[bool, Depends(HoldsScope(Scope.ticker_write))]
ArticleEditor = Annotated[Principal, Depends(RequireScope(Scope.articles_write))]
TaxonomyEditor = Annotated[Principal, Depends(RequireScope(Scope.taxonomy_write))]
TickerEditor = Annotated[Principal, Depends(RequireScope(Scope.ticker_write))]
MediaEditor = Annotated[Principal, Depends(RequireScope(Scope.media_write))]
CommentModerator = Annotated[Principal, Depends(RequireScope(Scope.comments_moderate))]
Admin = Annotated[Principal, Depends(RequireScope(Scope.admin))]
