"""Reader comments, with their private request metadata."""

from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Enum, Index, Text
from sqlmodel import Field

from app.core.lengths import COMMENT_AUTHOR_MAX, EMAIL_MAX, NAME_MAX, URL_MAX
from app.models.base import Timestamped


class CommentStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    spam = "spam"
    trash = "trash"


class Comment(Timestamped, table=True):
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'spam', 'trash')", name="status"),
        # An article's approved comments, oldest first.
        Index(None, "article_id", "status", "id"),
        # The moderation queue.
        Index(None, "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="comment.id", ondelete="SET NULL")
    depth: int = 0
    author_name: str = Field(max_length=COMMENT_AUTHOR_MAX)
    # Private, forever: never in a public answer, in any form.
    author_email: str = Field(max_length=EMAIL_MAX)
    author_url: str | None = Field(default=None, max_length=URL_MAX)
    body: str = Field(sa_type=Text)
    body_hash: str = Field(max_length=64)
    # The same text from the same client on the same article is one comment, whatever
    # e-mail it gives (so the answer to a repost tells nothing about anyone's address):
    # a digest of the three, unique, so that simultaneous reposts are stored once.
    # Comments that came another way (an import) have none.
    duplicate_key: str | None = Field(default=None, max_length=64, unique=True)
    status: CommentStatus = Field(
        default=CommentStatus.pending,
        sa_column=Column(
            Enum(
                CommentStatus,
                native_enum=False,
                create_constraint=False,
                length=16,
                values_callable=lambda enum: [member.value for member in enum],
            ),
            nullable=False,
        ),
    )
    # Why a defence held it or filed it as spam: "honeypot", "disallowed_word", "links".
    held_reason: str | None = Field(default=None, max_length=32)
    # Private request metadata, for flood control and moderators.
    client_ip: str = Field(max_length=45)
    user_agent: str | None = Field(default=None, max_length=NAME_MAX * 2)
