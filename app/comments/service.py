"""Posting, listing and moderating reader comments, and the defences around posting.

Functions that change something flush it and announce it (``CommentChanged``, see
app.core.events); the caller commits.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy import select as sqlalchemy_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.articles.reads import public_article_key
from app.articles.service import get_article
from app.comments.events import CommentChanged
from app.comments.schemas import CommentCreate, CommentPublic, CommentUpdate, ModerationQuery
from app.core.clock import utc_now
from app.core.config import Settings
from app.core.db import savepoint
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.events import publish
from app.core.pagination import cut_page, decode_cursor
from app.http.limits import Limiter, RateLimited, RateState, within_rate
from app.models import Article, Comment, CommentStatus
from app.text.arabic import search_key
from app.text.moderation import read_as_moderator

MAX_DEPTH = 5
CURSOR_KIND = "comment"
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
# Proclitics a disallowed word may hide behind: و ف ب ك ل and the article ال.
_PROCLITIC = re.compile(r"^(?:[وف]?(?:[بكل]|ال|بال|كال|لل|وال)?)")


@dataclass(frozen=True)
class CommentPolicy:
    auto_approve: bool
    flood_seconds: int
    rate_limit: int
    rate_window_seconds: int
    max_links: int
    disallowed_words: frozenset[str]
    disallowed_phrases: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> "CommentPolicy":
        keys = [read_as_moderator(entry).words for entry in settings.comments_disallowed_words]
        limit, window = settings.comments_rate
        return cls(
            auto_approve=settings.comments_auto_approve,
            flood_seconds=settings.comments_flood_seconds,
            rate_limit=limit,
            rate_window_seconds=window,
            max_links=settings.comments_max_links,
            disallowed_words=frozenset(key[0] for key in keys if len(key) == 1),
            disallowed_phrases=tuple(" ".join(key) for key in keys if len(key) > 1),
        )

    def has_disallowed_words(self, text: str) -> bool:
        """Matched on the text as a moderator reads it (app.text.moderation), so marks,
        invisible characters, letter forms, look-alike letters or dots inside a word
        cannot slip it past; a word also matches behind a proclitic."""
        read = read_as_moderator(text)
        spaced = f" {' '.join(read.words)} "
        for phrase in self.disallowed_phrases:
            if f" {phrase} " in spaced or phrase.replace(" ", "") in read.readings:
                return True
        for token in read.readings:
            if token in self.disallowed_words:
                return True
            stripped = _PROCLITIC.sub("", token, count=1)
            if stripped != token and stripped in self.disallowed_words:
                return True
        # Letters spelled out one by one may run on from a real one-letter word ("a b a d").
        wanted = [*self.disallowed_words, *(p.replace(" ", "") for p in self.disallowed_phrases)]
        return any(word in run for run in read.spelled for word in wanted)


@dataclass(frozen=True)
class Posted:
    comment_id: int
    # What the poster is told: a comment the honeypot caught is answered exactly as an
    # honest one would be.
    shown_status: CommentStatus
    rate: RateState


def post_comment(
    session: Session,
    *,
    article_ref: str,
    data: CommentCreate,
    client: str,
    client_key: str,
    user_agent: str | None,
    policy: CommentPolicy,
    limiter: Limiter,
    now: datetime | None = None,
) -> Posted:
    """Check the defences and file the comment. ``client`` is the address kept
    with the comment; ``client_key`` what its limits count under (see app.http.client)."""
    now = now or utc_now()
    rate = _check_limits(client_key, policy=policy, limiter=limiter)
    article = public_article_key(session, article_ref, now=now)
    if not article.comments_enabled:
        raise Forbidden(
            "comments are closed on this article", arabic="التعليقات مغلقة على هذا الخبر"
        )
    depth = _depth_under(session, data.parent_id, article_id=article.id)
    digest = body_hash(data.body)
    duplicate_key = hashlib.sha256(f"{article.id}\n{client_key}\n{digest}".encode()).hexdigest()
    if _is_duplicate(session, duplicate_key):
        raise _duplicate()

    honest_status = CommentStatus.approved if policy.auto_approve else CommentStatus.pending
    status, held_reason = honest_status, None
    if len(_LINK.findall(data.body)) > policy.max_links:
        status, held_reason = CommentStatus.pending, "links"
    if policy.has_disallowed_words(f"{data.author_name} {data.body}"):
        status, held_reason = CommentStatus.spam, "disallowed_word"
    if data.homepage:
        status, held_reason = CommentStatus.spam, "honeypot"

    comment = Comment(
        article_id=article.id,
        parent_id=data.parent_id,
        depth=depth,
        author_name=data.author_name,
        author_email=data.author_email,
        author_url=data.author_url,
        body=data.body,
        body_hash=digest,
        duplicate_key=duplicate_key,
        status=status,
        held_reason=held_reason,
        client_ip=client,
        user_agent=user_agent[:400] if user_agent else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with savepoint(session):
            session.add(comment)
            session.flush()
    except IntegrityError:
        # A simultaneous repost was stored first, or the article was purged meanwhile.
        if _is_duplicate(session, duplicate_key):
            raise _duplicate() from None
        get_article(session, article_ref, now=now)  # the 404 a vanished article gives
        raise
    if status is CommentStatus.approved:
        refresh_comment_count(session, article.id)
        publish(session, CommentChanged(comment, None, edited=False, now=now))
    assert comment.id is not None
    shown = honest_status if held_reason == "honeypot" else status
    if shown is CommentStatus.spam:
        shown = CommentStatus.pending  # a spammer learns nothing from the answer
    return Posted(comment_id=comment.id, shown_status=shown, rate=rate)


def _check_limits(client: str, *, policy: CommentPolicy, limiter: Limiter) -> RateState:
    rate = within_rate(
        limiter,
        f"comments:{client}",
        limit=policy.rate_limit,
        window_seconds=policy.rate_window_seconds,
        english="comments",
        arabic="تعليقات",
    )
    if policy.flood_seconds:
        wait = limiter.flood_wait(f"comments:{client}", seconds=policy.flood_seconds)
        if wait:
            raise RateLimited(
                f"wait {wait} s before posting another comment",
                rate=rate,
                retry_after_seconds=wait,
                arabic=f"انتظر {wait} ثانية قبل أن تنشر تعليقًا آخر",
            )
    return rate


def _is_duplicate(session: Session, duplicate_key: str) -> bool:
    found = session.exec(select(Comment.id).where(Comment.duplicate_key == duplicate_key))
    return found.first() is not None


def _duplicate() -> Conflict:
    return Conflict(
        "you have already posted this comment on this article",
        arabic="سبق أن نشرت هذا التعليق على هذا الخبر",
    )


def _depth_under(session: Session, parent_id: int | None, *, article_id: int) -> int:
    if parent_id is None:
        return 0
    parent = session.get(Comment, parent_id)
    if (
        parent is None
        or parent.article_id != article_id
        or parent.status is not CommentStatus.approved
    ):
        raise InvalidInput(
            "no approved comment with this id on this article",
            field=("parent_id",),
            arabic="لا تعليق منشورًا بهذا الرقم على هذا الخبر",
        )
    if parent.depth + 1 >= MAX_DEPTH:
        raise InvalidInput(
            f"replies nest at most {MAX_DEPTH} deep",
            field=("parent_id",),
            arabic=f"لا تتداخل الردود أعمق من {MAX_DEPTH} مستويات",
        )
    return parent.depth + 1


def body_hash(body: str) -> str:
    return hashlib.sha256(" ".join(search_key(body).split()).encode()).hexdigest()


# What the public sees of a comment (CommentPublic's fields), selected without the ORM.
_PUBLIC_COLUMNS = tuple(Comment.__table__.c[name] for name in CommentPublic.model_fields)  # type: ignore[attr-defined]


def list_public_comments(
    session: Session, article_ref: str, *, limit: int, cursor: str | None
) -> tuple[int, list[CommentPublic], str | None]:
    """The article's id and its approved comments, oldest first (404 if the article is
    not public). The hot path of a comment thread: one statement for the article's id,
    one for the page, no ORM objects."""
    article_id = public_article_key(session, article_ref).id
    stmt = sqlalchemy_select(*_PUBLIC_COLUMNS).where(
        col(Comment.article_id) == article_id, col(Comment.status) == CommentStatus.approved
    )
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, kind=CURSOR_KIND, shape=(int,))
        stmt = stmt.where(col(Comment.id) > after_id)
    rows = session.execute(stmt.order_by(col(Comment.id)).limit(limit + 1)).all()
    page, next_cursor = cut_page(rows, limit, kind=CURSOR_KIND, key=lambda row: [row.id])
    return article_id, [CommentPublic.model_validate(row._mapping) for row in page], next_cursor


def list_for_moderation(
    session: Session, *, query: ModerationQuery
) -> tuple[Sequence[Comment], str | None]:
    """The moderation queue, oldest first."""
    stmt = select(Comment)
    if query.status is not None:
        stmt = stmt.where(Comment.status == query.status)
    if query.article is not None:
        article = get_article(session, query.article, editor=True)
        stmt = stmt.where(Comment.article_id == article.id)
    return _page(session, stmt, limit=query.limit, cursor=query.cursor)


def _page(
    session: Session, stmt: SelectOfScalar[Comment], *, limit: int, cursor: str | None
) -> tuple[Sequence[Comment], str | None]:
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, kind=CURSOR_KIND, shape=(int,))
        stmt = stmt.where(col(Comment.id) > after_id)
    rows = session.exec(stmt.order_by(col(Comment.id)).limit(limit + 1)).all()
    return cut_page(rows, limit, kind=CURSOR_KIND, key=lambda c: [c.id])


def moderate(
    session: Session, comment_id: int, *, data: CommentUpdate, now: datetime | None = None
) -> Comment:
    """Change a comment's status or body; the article's approved count follows."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"no comment with id {comment_id}")
    now = now or utc_now()
    before, edited = comment.status, False
    fields = data.model_dump(exclude_unset=True, exclude_none=True)
    if "body" in fields and fields["body"] != comment.body:
        comment.body = fields["body"]
        comment.body_hash = body_hash(fields["body"])
        edited = True
    if "status" in fields:
        comment.status = fields["status"]
    comment.updated_at = now
    session.flush()
    refresh_comment_count(session, comment.article_id)
    publish(session, CommentChanged(comment, before, edited=edited, now=now))
    return comment


def trash(session: Session, comment_id: int) -> None:
    moderate(session, comment_id, data=CommentUpdate(status=CommentStatus.trash))


def refresh_comment_count(session: Session, article_id: int) -> None:
    """Recount rather than increment: the count can never drift from the rows."""
    approved = (
        select(func.count())
        .select_from(Comment)
        .where(Comment.article_id == article_id, Comment.status == CommentStatus.approved)
        .scalar_subquery()
    )
    session.execute(
        update(Article).where(col(Article.id) == article_id).values(comment_count=approved)
    )
