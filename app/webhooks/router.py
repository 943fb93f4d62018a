"""Webhook subscriptions under ``/v1/webhooks`` (admin only), and the events they receive."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.auth.deps import Admin
from app.core.errors import problem_responses
from app.core.pagination import PageQueryDep, build_page
from app.core.params import ID_MAX, RowId
from app.http.deps import SessionDep, SettingsDep
from app.http.openapi import operation_id
from app.http.routing import JsonRoute
from app.webhooks import deliveries, subscriptions
from app.webhooks.deliveries import DeliveryPolicy, ping
from app.webhooks.schemas import (
    ArticleEvent,
    CommentEvent,
    DeliveryListQuery,
    DeliveryPage,
    DeliveryPublic,
    MediaEvent,
    PingEvent,
    TickerEvent,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookPublic,
    WebhookUpdate,
)

router = APIRouter(route_class=JsonRoute, prefix="/v1/webhooks", tags=["webhooks"])

DeliveryId = Annotated[int, Path(ge=1, le=ID_MAX, description="Delivery id.", examples=[1207])]
PROBLEMS = problem_responses(401, 403, 404, 422)


@router.post(
    "",
    summary="Subscribe to events",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=problem_responses(401, 403, 422),
)
def create_webhook(
    data: WebhookCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _admin: Admin,
) -> WebhookCreated:
    """From now on, each of the `events` is POSTed to `url`, signed as the Standard
    Webhooks specification says (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    The answer holds the `secret` that verifies the signatures, this once. Needs `admin`."""
    subscription = subscriptions.create_subscription(
        session, data, allow_private=settings.webhooks_allow_private_targets
    )
    response.headers["Location"] = f"/v1/webhooks/{subscription.id}"
    return WebhookCreated(
        **WebhookPublic.from_subscription(subscription).model_dump(), secret=subscription.secret
    )


@router.get("", summary="List webhooks", response_model=WebhookPage, responses=PROBLEMS)
def list_webhooks(
    request: Request, response: Response, session: SessionDep, page: PageQueryDep, _admin: Admin
) -> WebhookPage:
    """Every subscription, oldest first, without secrets. Needs `admin`."""
    rows, next_cursor = subscriptions.list_subscriptions(
        session, limit=page.limit, cursor=page.cursor
    )
    return build_page(
        WebhookPage,
        [WebhookPublic.from_subscription(row) for row in rows],
        limit=page.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


@router.get(
    "/{webhook_id:int}", summary="Get a webhook", response_model=WebhookPublic, responses=PROBLEMS
)
def get_webhook(webhook_id: RowId, session: SessionDep, _admin: Admin) -> WebhookPublic:
    """One subscription, without its secret. Needs `admin`."""
    return WebhookPublic.from_subscription(subscriptions.get_subscription(session, webhook_id))


@router.patch(
    "/{webhook_id:int}",
    summary="Update a webhook",
    response_model=WebhookPublic,
    responses=PROBLEMS,
)
def update_webhook(
    webhook_id: RowId,
    data: WebhookUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _admin: Admin,
) -> WebhookPublic:
    """Change the fields sent: `is_active: false` pauses it (its pending deliveries wait),
    a new `secret` signs every attempt from now on. Needs `admin`."""
    subscription = subscriptions.update_subscription(
        session, webhook_id, data, allow_private=settings.webhooks_allow_private_targets
    )
    return WebhookPublic.from_subscription(subscription)


@router.delete(
    "/{webhook_id:int}",
    summary="Delete a webhook",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=PROBLEMS,
)
def delete_webhook(webhook_id: RowId, session: SessionDep, _admin: Admin) -> None:
    """Nothing more is sent to it; its delivery log goes with it. Needs `admin`."""
    subscriptions.delete_subscription(session, webhook_id)


@router.post(
    "/{webhook_id:int}/ping",
    summary="Send a test event",
    response_model=DeliveryPublic,
    responses=PROBLEMS,
)
async def ping_webhook(
    webhook_id: RowId, session: SessionDep, settings: SettingsDep, _admin: Admin
) -> DeliveryPublic:
    """Sends a `webhook.ping` event to the subscription now (active or not, whatever
    events it asked for) and answers how it went: the receiver's status code, or why it
    could not be reached. A ping is tried once. Needs `admin`."""
    delivery, event = await ping(session, webhook_id, DeliveryPolicy.from_settings(settings))
    return DeliveryPublic.from_row(delivery, event)


@router.get(
    "/{webhook_id:int}/deliveries",
    summary="List a webhook's deliveries",
    response_model=DeliveryPage,
    responses=PROBLEMS,
)
def list_webhook_deliveries(
    webhook_id: RowId,
    request: Request,
    response: Response,
    session: SessionDep,
    query: Annotated[DeliveryListQuery, Query()],
    _admin: Admin,
) -> DeliveryPage:
    """The delivery log, newest first: each event sent here, its state, attempts, the
    receiver's last status code and the last error. Needs `admin`."""
    rows, next_cursor = deliveries.list_deliveries(session, webhook_id, query=query)
    return build_page(
        DeliveryPage,
        [DeliveryPublic.from_row(delivery, event) for delivery, event in rows],
        limit=query.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


@router.post(
    "/deliveries/{delivery_id:int}/redeliver",
    summary="Redeliver an event",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def redeliver_webhook_delivery(
    delivery_id: DeliveryId, response: Response, session: SessionDep, _admin: Admin
) -> DeliveryPublic:
    """Sends a delivered or failed delivery's event again (same `webhook-id`: a receiver
    that already has it may drop it), as a new delivery with fresh attempts; 409 while the
    delivery is still pending. Needs `admin`."""
    delivery, event = deliveries.redeliver(session, delivery_id)
    response.headers["Location"] = f"/v1/webhooks/{delivery.subscription_id}/deliveries"
    return DeliveryPublic.from_row(delivery, event)


# What receivers get: the `webhooks` of the OpenAPI document.
events = APIRouter(
    route_class=JsonRoute,
    tags=["webhooks"],
    generate_unique_id_function=operation_id,
    responses={
        "2XX": {"description": "Received: the delivery is done."},
        "default": {"description": "Anything else fails the attempt: it is tried again."},
    },
)


@events.post("article.published", summary="An article changed in public view")
def article_event(body: ArticleEvent) -> None:
    """`article.published`: an article became public (published now, its scheduled time
    came, or it was undeleted); `article.updated`: a public article changed;
    `article.unpublished`: it went back to draft, was archived or rescheduled;
    `article.deleted`: it was deleted. Answer 2xx within the timeout."""


@events.post("ticker.changed", summary="The ticker changed")
def ticker_event(body: TickerEvent) -> None:
    """The public bar changed: a headline was added, edited, removed or reordered, its
    window opened or closed, or its linked article appeared or went. Fetch `/v1/ticker`."""


@events.post("comment.approved", summary="A comment changed in public view")
def comment_event(body: CommentEvent) -> None:
    """`comment.approved`: a comment became public; `comment.updated`: a moderator edited
    an approved comment; `comment.removed`: a comment is no longer approved."""


@events.post("media.updated", summary="A picture of the media library changed")
def media_event(body: MediaEvent) -> None:
    """`media.updated`: a picture's text or focal point changed (its crops are new
    files: `removed_files` lists the old ones); `media.deleted`: it is gone, and its files
    with it. Articles showing it are announced as `article.updated` too."""


@events.post("webhook.ping", summary="A test event")
def ping_event(body: PingEvent) -> None:
    """Sent by `POST /v1/webhooks/{id}/ping`, to that subscription only."""
