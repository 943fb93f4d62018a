"""Webhook subscriptions, deliveries, and the events they carry, as the API and receivers
see them."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from app.articles.schemas import ArticleListItem
from app.comments.schemas import CommentPublic
from app.core.fields import Name, WebUrl
from app.core.pagination import Page, PageQuery
from app.media.schemas import MediaPublic
from app.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.webhooks.signing import secret_key

MESSAGE_ID_EXAMPLE = "msg_01JDYQ3K8Z6W5F2M9T4R7C1B0A"


class EventType(StrEnum):
    """What a subscription may ask for. Every event concerns what the public sees."""

    article_published = "article.published"
    article_updated = "article.updated"
    article_unpublished = "article.unpublished"
    article_deleted = "article.deleted"
    ticker_changed = "ticker.changed"
    comment_approved = "comment.approved"
    comment_updated = "comment.updated"
    comment_removed = "comment.removed"
    media_updated = "media.updated"
    media_deleted = "media.deleted"


# Sent by `POST /v1/webhooks/{id}/ping` to that subscription only, whatever it asked for.
PING = "webhook.ping"


# What receivers get


class ArticleRef(BaseModel):
    id: int = Field(examples=[42])
    slug: str = Field(examples=["افتتاح-سوق-الحرير-بعد-الترميم"])


class ArticleEventData(BaseModel):
    article: ArticleListItem = Field(
        description="The article as a list shows it (without its body: fetch "
        "`/v1/articles/{id}` for that). For `article.unpublished` and `article.deleted`, "
        "as it was last seen in public."
    )
    previous_slug: str | None = Field(
        None,
        description="Its slug before this change, when the change moved it: that page "
        "needs rebuilding (or purging) too.",
        examples=[None],
    )
    surrogate_keys: list[str] = Field(
        description="The `Surrogate-Key` / `Cache-Tag` values of the answers that show the "
        "article: purge these from a CDN.",
        examples=[["articles", "article-42", "category-3", "tag-7", "author-2"]],
    )


class TickerEventData(BaseModel):
    reason: Literal[
        "created",
        "updated",
        "deleted",
        "reordered",
        "window_opened",
        "window_closed",
        "article_changed",
    ] = Field(
        description="What changed the bar: an editor's change, a headline's window opening "
        "or closing on time, or a linked article appearing or going.",
        examples=["created"],
    )
    headline_ids: list[int] = Field(examples=[[5]])
    surrogate_keys: list[str] = Field(examples=[["ticker"]])


class CommentEventData(BaseModel):
    comment: CommentPublic
    article: ArticleRef
    surrogate_keys: list[str] = Field(examples=[["article-42-comments", "article-42"]])


class MediaEventData(BaseModel):
    media_id: int = Field(examples=[12])
    media: MediaPublic | None = Field(description="The picture as it is now; null once deleted.")
    removed_files: list[str] = Field(
        description="URLs no longer served (old crops, or every file of a deleted picture): "
        "purge them from a CDN.",
        examples=[["/media/12/5f0c9a1e2b7d4c3a8e61-640x360.webp"]],
    )
    surrogate_keys: list[str] = Field(examples=[["media-12"]])


class PingData(BaseModel):
    webhook_id: int = Field(examples=[3])
    message: str = Field(examples=["اختبار: هذا الاشتراك يعمل."])


class Event(BaseModel):
    """The body of every delivery (signed as it is sent). ``id`` is also the
    ``webhook-id`` header: the same on every retry, so receivers can drop duplicates."""

    id: str = Field(examples=[MESSAGE_ID_EXAMPLE])
    type: str
    timestamp: datetime = Field(
        description="When it happened (a scheduled article: its publication time).",
        examples=["2026-11-29T09:30:00Z"],
    )


class ArticleEvent(Event):
    type: Literal[
        "article.published", "article.updated", "article.unpublished", "article.deleted"
    ] = Field(examples=["article.published"])
    data: ArticleEventData


class TickerEvent(Event):
    type: Literal["ticker.changed"] = Field(examples=["ticker.changed"])
    data: TickerEventData


class CommentEvent(Event):
    type: Literal["comment.approved", "comment.updated", "comment.removed"] = Field(
        examples=["comment.approved"]
    )
    data: CommentEventData


class MediaEvent(Event):
    type: Literal["media.updated", "media.deleted"] = Field(examples=["media.updated"])
    data: MediaEventData


class PingEvent(Event):
    type: Literal["webhook.ping"] = Field(examples=["webhook.ping"])
    data: PingData


# What the API takes and answers


def _usable_secret(value: str) -> str:
    secret_key(value)  # ValueError, with its reason, when it is not one
    return value


Secret = Annotated[
    str,
    Field(
        max_length=100,
        description="`whsec_` and 24 to 64 random bytes in base64 (Standard Webhooks). "
        "Made for you when left out.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    ),
    AfterValidator(_usable_secret),
]
EventList = Annotated[
    list[EventType],
    Field(
        min_length=1,
        max_length=len(EventType),
        description="The events to send here.",
        examples=[["article.published", "article.updated", "article.deleted"]],
    ),
    AfterValidator(lambda events: list(dict.fromkeys(events))),
]
TargetUrl = Annotated[
    WebUrl,
    Field(
        description="Where to POST the events (http or https). Loopback, private and "
        "link-local addresses are refused unless the operator allows them.",
        examples=["https://www.example.com/api/revalidate"],
    ),
]
WebhookDescription = Annotated[Name, Field(examples=["إعادة بناء صفحات الموقع"])]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: TargetUrl
    events: EventList
    secret: Secret | None = None
    description: WebhookDescription | None = None
    is_active: StrictBool = True


class WebhookUpdate(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    url: TargetUrl | None = None
    events: EventList | None = None
    secret: Secret | None = Field(None, description="A new secret: signs from now on.")
    description: WebhookDescription | None = None
    is_active: StrictBool | None = Field(None, description="False: nothing is sent until true.")


class WebhookPublic(BaseModel):
    id: int = Field(examples=[3])
    url: str = Field(examples=["https://www.example.com/api/revalidate"])
    events: list[EventType]
    description: str | None = Field(examples=["إعادة بناء صفحات الموقع"])
    is_active: bool = Field(examples=[True])
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_subscription(cls, subscription: WebhookSubscription) -> "WebhookPublic":
        return cls(
            id=subscription.id,
            url=subscription.url,
            events=subscription.events,
            description=subscription.description,
            is_active=subscription.is_active,
            created_at=subscription.created_at,
            updated_at=subscription.updated_at,
        )


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="Verifies the signatures. Shown this once: keep it.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class WebhookPage(Page[WebhookPublic]):
    pass


class DeliveryPublic(BaseModel):
    id: int = Field(examples=[1207])
    webhook_id: int = Field(examples=[3])
    message_id: str = Field(
        description="The event's id: the `webhook-id` header.", examples=[MESSAGE_ID_EXAMPLE]
    )
    event_type: str = Field(examples=["article.published"])
    status: DeliveryStatus = Field(
        description="`pending` until an attempt succeeds (2xx) or the attempts run out (`failed`).",
        examples=["succeeded"],
    )
    attempts: int = Field(examples=[1])
    next_attempt_at: datetime | None = Field(description="When pending: the next try.")
    last_attempt_at: datetime | None
    last_status_code: int | None = Field(
        description="The receiver's HTTP status, if it answered.", examples=[200]
    )
    last_error: str | None = Field(
        description="Why the last attempt failed.", examples=[None, "HTTP 503: صيانة"]
    )
    last_duration_ms: int | None = Field(examples=[84])
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, delivery: WebhookDelivery, event: WebhookEvent) -> "DeliveryPublic":
        return cls(
            id=delivery.id,
            webhook_id=delivery.subscription_id,
            message_id=event.message_id,
            event_type=event.type,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=(
                delivery.next_attempt_at if delivery.status is DeliveryStatus.pending else None
            ),
            last_attempt_at=delivery.last_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            last_duration_ms=delivery.last_duration_ms,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
        )


class DeliveryPage(Page[DeliveryPublic]):
    pass


class DeliveryListQuery(PageQuery):
    status: DeliveryStatus | None = Field(None, description="Only deliveries in this state.")
