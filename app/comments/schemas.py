"""Reader comments as readers, frontends and moderators see them."""

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictInt,
    StringConstraints,
)

from app.core.fields import CommentAuthor, CommentBody, WebUrl
from app.core.lengths import EMAIL_MAX
from app.core.pagination import Page, PageQuery
from app.core.params import ID_MAX
from app.models import Comment, CommentStatus

Email = Annotated[EmailStr, StringConstraints(max_length=EMAIL_MAX), AfterValidator(str.lower)]


class CommentCreate(BaseModel):
    """A reader's comment. `homepage` is a trap for robots: frontends render it hidden,
    so people leave it empty."""

    model_config = ConfigDict(extra="forbid")

    author_name: CommentAuthor = Field(examples=["أبو خالد"])
    author_email: Email = Field(
        description="Required, and never published or returned, in any form.",
        examples=["reader@example.com"],
    )
    author_url: WebUrl | None = Field(None, examples=["https://example.org/blog"])
    body: CommentBody = Field(
        description="Plain text: any HTML in it stays text.",
        examples=["شكراً على هذا التقرير المفصّل."],
    )
    parent_id: StrictInt | None = Field(
        None, ge=1, le=ID_MAX, description="An approved comment of the same article."
    )
    homepage: str | None = Field(
        None, max_length=2048, description="Leave empty (hidden from readers)."
    )


class CommentAccepted(BaseModel):
    id: int = Field(examples=[311])
    status: CommentStatus = Field(
        description="`pending` until a moderator approves it; `approved` where comments "
        "are approved automatically.",
        examples=["pending"],
    )


class CommentPublic(BaseModel):
    id: int = Field(examples=[311])
    article_id: int = Field(examples=[42])
    parent_id: int | None = Field(description="The comment it answers.", examples=[None])
    author_name: str = Field(examples=["أبو خالد"])
    author_url: str | None = Field(examples=[None])
    body: str = Field(examples=["شكراً على هذا التقرير المفصّل."])
    created_at: datetime

    @classmethod
    def from_comment(cls, comment: Comment) -> "CommentPublic":
        return cls(
            id=comment.id,
            article_id=comment.article_id,
            parent_id=comment.parent_id,
            author_name=comment.author_name,
            author_url=comment.author_url,
            body=comment.body,
            created_at=comment.created_at,
        )


class CommentPage(Page[CommentPublic]):
    pass


class CommentModeration(CommentPublic):
    """A comment with what only moderators see."""

    author_email: str = Field(examples=["reader@example.com"])
    status: CommentStatus
    held_reason: str | None = Field(
        description="Why a defence held it or filed it as spam.", examples=["links"]
    )
    client_ip: str = Field(examples=["203.0.113.7"])
    user_agent: str | None
    depth: int = Field(examples=[0])
    updated_at: datetime

    @classmethod
    def from_comment(cls, comment: Comment) -> "CommentModeration":
        return cls(
            **CommentPublic.from_comment(comment).model_dump(),
            author_email=comment.author_email,
            status=comment.status,
            held_reason=comment.held_reason,
            client_ip=comment.client_ip,
            user_agent=comment.user_agent,
            depth=comment.depth,
            updated_at=comment.updated_at,
        )


class ModerationPage(Page[CommentModeration]):
    pass


class ModerationQuery(PageQuery):
    status: CommentStatus | None = Field(None, description="Only comments in this state.")
    article: str | None = Field(
        None, max_length=600, description="Only comments on this article (slug or id)."
    )


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CommentStatus | None = None
    body: CommentBody | None = None
