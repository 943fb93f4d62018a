"""API tokens as the API shows them."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.auth.scopes import Scope
from app.core.fields import Name
from app.core.pagination import Page
from app.core.params import Moment
from app.models import ApiToken


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["تطبيق غرفة الأخبار"])
    scopes: list[Scope] = Field(
        min_length=1, max_length=len(Scope), examples=[["articles:write", "taxonomy:write"]]
    )
    expires_at: Moment | None = Field(
        None, description="When the token stops working; never when null."
    )

    @field_validator("scopes")
    @classmethod
    def _distinct(cls, scopes: list[Scope]) -> list[Scope]:
        return sorted(set(scopes))


class TokenPublic(BaseModel):
    id: int = Field(examples=[7])
    name: str = Field(examples=["تطبيق غرفة الأخبار"])
    scopes: list[Scope] = Field(examples=[["articles:write", "taxonomy:write"]])
    prefix: str = Field(
        description="The characters after `akh_` that start the secret: to recognise it.",
        examples=["Xk3mQp9Z"],
    )
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(
        description="The secret. It is shown in this answer only: store it now.",
        examples=["akh_Xk3mQp9ZLr2vT8bN4cW6yH1dF5gJ7sA0e3Kq1Y"],
    )


class TokenPage(Page[TokenPublic]):
    pass


def token_public(token: ApiToken) -> TokenPublic:
    return TokenPublic(
        id=token.id,
        name=token.name,
        scopes=token.scopes.split(),
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )
