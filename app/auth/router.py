"""Token management under ``/v1/tokens`` (admin only)."""

from fastapi import APIRouter, Request, Response, status

from app.auth import service
from app.auth.deps import Admin
from app.auth.schemas import TokenCreate, TokenCreated, TokenPage, TokenPublic, token_public
from app.core.errors import problem_responses
from app.core.pagination import PageQueryDep, build_page
from app.core.params import RowId
from app.http.deps import SessionDep
from app.http.routing import JsonRoute

router = APIRouter(route_class=JsonRoute, prefix="/v1/tokens", tags=["tokens"])

AUTH_PROBLEMS = problem_responses(401, 403, 422)


@router.post(
    "",
    summary="Mint an API token",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=AUTH_PROBLEMS,
)
def create_token(
    data: TokenCreate, session: SessionDep, response: Response, _admin: Admin
) -> TokenCreated:
    """A new token with the given scopes. The answer holds the secret (`token`), once:
    only a digest is stored, so it cannot be shown again."""
    token, secret = service.create_token(
        session, name=data.name, scopes=data.scopes, expires_at=data.expires_at
    )
    response.headers["Location"] = f"/v1/tokens/{token.id}"
    return TokenCreated(**token_public(token).model_dump(), token=secret)


@router.get("", summary="List API tokens", response_model=TokenPage, responses=AUTH_PROBLEMS)
def list_tokens(
    request: Request, response: Response, session: SessionDep, page: PageQueryDep, _admin: Admin
) -> TokenPage:
    """Every token, revoked ones included, oldest first. Secrets are never shown."""
    rows, next_cursor = service.list_tokens(session, limit=page.limit, cursor=page.cursor)
    return build_page(
        TokenPage,
        [token_public(row) for row in rows],
        limit=page.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


@router.delete(
    "/{token_id}",
    summary="Revoke an API token",
    response_model=TokenPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def revoke_token(token_id: RowId, session: SessionDep, _admin: Admin) -> TokenPublic:
    """The token stops working at once. Revoking twice is harmless."""
    token = service.revoke_token(session, token_id)
    return token_public(token)
