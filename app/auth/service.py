"""Minting, listing, revoking and checking API tokens."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.auth import secrets
from app.auth.scopes import Scope
from app.core.clock import utc_now
from app.core.errors import InvalidInput, NotFound
from app.core.pagination import cut_page, decode_cursor
from app.models import ApiToken

# last_used_at is written at most this often per token: a busy client should not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
CURSOR_KIND = "token"


def create_token(
    session: Session,
    *,
    name: str,
    scopes: Sequence[Scope],
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token (flushed) and its secret, which is not stored anywhere."""
    now = now or utc_now()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("must be in the future", field=("expires_at",))
    secret = secrets.generate_secret()
    token = ApiToken(
        name=name,
        prefix=secrets.lookup_prefix(secret),
        secret_hash=secrets.digest(secret),
        scopes=" ".join(sorted(set(scopes))),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(
    session: Session, *, limit: int, cursor: str | None
) -> tuple[Sequence[ApiToken], str | None]:
    stmt = select(ApiToken).order_by(col(ApiToken.id)).limit(limit + 1)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, kind=CURSOR_KIND, shape=(int,))
        stmt = stmt.where(col(ApiToken.id) > after_id)
    return cut_page(session.exec(stmt).all(), limit, kind=CURSOR_KIND, key=lambda t: [t.id])


def revoke_token(session: Session, token_id: int, *, now: datetime | None = None) -> ApiToken:
    """Revoke (idempotently: a second revoke keeps the first time)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now or utc_now()
        session.flush()
    return token


def authenticate(session: Session, secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token this secret belongs to, or None whatever the reason."""
    if not secrets.is_well_formed(secret):
        return None
    now = now or utc_now()
    token = session.exec(
        select(ApiToken).where(ApiToken.prefix == secrets.lookup_prefix(secret))
    ).first()
    if token is None or not secrets.matches(secret, token.secret_hash):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token


def token_scopes(token: ApiToken) -> list[Scope]:
    return [Scope(name) for name in token.scopes.split()]
